"""CODEOWNERS, matched as GitHub does, in time linear in the path."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The pattern rules are those of hmarr/codeowners (what the `codeowners` package ports): a slash
# other than a trailing one anchors a pattern at the root; `*` and `?` never cross a slash; `**/`
# is any number of directories and a trailing `/**` everything inside; a trailing `/` matches a
# directory's contents, a trailing `/*` its direct children only, and anything else the path or
# what is under it. Translating that to a backtracking regex makes `**/**/**/...` or `*a*a*a*`
# exponential in the path, so patterns are run as a Thompson automaton instead: every path
# character advances a set of states, never more than the pattern's length.

_LIT, _STAR, _ONE, _CLASS, _ANY, _DIRS, _DIRS_IN = range(7)
OWNER_TEAM = re.compile(r"^@[^\s/]+/\S+$")
OWNER_USER = re.compile(r"^@\S+$")
OWNER_EMAIL = re.compile(r"^[^@\s]+@\S+$")
MAX_PATTERN = 400


class CodeownersPattern:
    """One CODEOWNERS pattern compiled to a small automaton."""

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        slash = pattern.find("/")
        self.anchored = slash > -1 and slash != len(pattern) - 1
        self.suffix = "dir" if pattern.endswith("/") else "children" if pattern.endswith("/*") else "any"
        self.tokens: list[tuple[int, Any]] = []
        trimmed = pattern.strip("/")
        i = 0
        while i < len(trimmed):
            ch = trimmed[i]
            if ch == "\\":  # escapes the next character; a lone trailing one is dropped
                self.tokens += [(_LIT, trimmed[i + 1])] if i + 1 < len(trimmed) else []
                i += 2
                continue
            if ch == "*" and trimmed[i + 1 : i + 2] == "*":
                starts = i == 0 or trimmed[i - 1] == "/"
                ends = i + 2 == len(trimmed)
                if starts and (ends or trimmed[i + 2] == "/"):
                    # `**/` is two states: nothing yet (may be skipped), or inside `.*` awaiting a slash.
                    self.tokens += [(_ANY, None)] if ends else [(_DIRS, None), (_DIRS_IN, None)]
                    i += 2 if ends else 3
                    continue
            if ch == "*":
                self.tokens.append((_STAR, None))
            elif ch == "?":
                self.tokens.append((_ONE, None))
            elif ch == "[" and "]" in trimmed[i + 2 :]:
                end = trimmed.index("]", i + 2)
                self.tokens.append((_CLASS, _char_class(trimmed[i + 1 : end])))
                i = end + 1
                continue
            else:
                self.tokens.append((_LIT, ch))
            i += 1

    def _close(self, states: set[int]) -> set[int]:
        """Add every state reachable without reading a character (`*`, `**`, `**/` may be empty)."""
        stack = list(states)
        while stack:
            state = stack.pop()
            kind = self.tokens[state][0] if state < len(self.tokens) else None
            skip = state + 1 if kind in (_STAR, _ANY) else state + 2 if kind == _DIRS else None
            if skip is not None and skip not in states:
                states.add(skip)
                stack.append(skip)
        return states

    def _step(self, states: set[int], ch: str) -> set[int]:
        following: set[int] = set()
        for state in states:
            if state == len(self.tokens):
                continue
            kind, value = self.tokens[state]
            if kind == _LIT:
                if ch == value:
                    following.add(state + 1)
            elif kind == _ONE:
                if ch != "/":
                    following.add(state + 1)
            elif kind == _CLASS:
                if value(ch):
                    following.add(state + 1)
            elif kind == _STAR:
                if ch != "/":
                    following.add(state)
            elif kind == _ANY:
                following.add(state)
            elif kind == _DIRS:  # `(.*/)?` begins: any character, a slash may also end it
                following.add(state + 1)
                if ch == "/":
                    following.add(state + 2)
            else:  # _DIRS_IN
                following.add(state)
                if ch == "/":
                    following.add(state + 1)
        return self._close(following)

    def _accepts(self, path: str, i: int) -> bool:
        if self.suffix == "dir":
            return i < len(path) and path[i] == "/"
        if self.suffix == "children":
            return i == len(path)
        return i == len(path) or path[i] == "/"

    def matches(self, path: str) -> bool:
        """Whether the pattern covers `path` (no leading slash; a trailing one for a directory)."""
        done = len(self.tokens)
        states = self._close({0})
        for i in range(len(path) + 1):
            if done in states and self._accepts(path, i):
                return True
            if i == len(path):
                return False
            states = self._step(states, path[i]) if states else states
            if not self.anchored and path[i] == "/":
                states = self._close(states | {0})  # an unanchored pattern may start after any slash
            elif not states and self.anchored:
                return False
        return False


def _char_class(body: str) -> Callable[[str], bool]:
    # A plain set of characters: the regex port escapes `^`, `-` and `!` inside brackets.
    members = frozenset(body)
    return members.__contains__


@dataclass
class CodeownersRule:
    """A CODEOWNERS line: its pattern, its owners as (kind, name), and its line number."""

    pattern: CodeownersPattern
    owners: list[tuple[str, str]]
    line: int


def parse_codeowners(text: str) -> list[CodeownersRule]:
    """Return the rules of a CODEOWNERS file in file order (comments, blanks and sections skipped)."""
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or (line.startswith(("[", "^[")) and line.endswith("]")):
            continue
        words = re.split(r"(?<!\\)\s+", line)
        pattern = words[0].replace("\\ ", " ")
        if len(pattern) > MAX_PATTERN:
            continue
        owners: list[tuple[str, str]] = []
        for word in words[1:]:
            if word.startswith("#"):
                break
            if OWNER_TEAM.match(word):
                owners.append(("team", word[1:]))
            elif OWNER_USER.match(word):
                owners.append(("user", word[1:]))
            elif OWNER_EMAIL.match(word):
                owners.append(("email", word))
        rules.append(CodeownersRule(CodeownersPattern(pattern), owners, number))
    return rules


def match_codeowners(rules: list[CodeownersRule], path: str) -> CodeownersRule | None:
    """Return the rule that decides `path`: the last one matching, even one with no owners."""
    for rule in reversed(rules):
        if rule.pattern.matches(path):
            return rule
    return None
