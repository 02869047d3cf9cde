"""GitHub logins: GitHub's rules for a handle, checked wherever one enters ccbot (a leaf: imports nothing of ours)."""

from __future__ import annotations

import re

LOGIN_MAX = 39
BOT_SUFFIX = "[bot]"
LOGIN_RULE = (
    "GitHub handles are 1 to 39 letters, digits or single hyphens, and do not start or end with a hyphen"
)
BOT_RULE = "; an app's account adds [bot]"
# ASCII only: `str.isalnum` would let other scripts' letters and digits through.
_ALLOWED = re.compile(r"[A-Za-z0-9-]")
_LOGIN = re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9])*$")


class LoginError(ValueError):
    """A value is not a GitHub login; the message says what is wrong and GitHub's rule."""


def _shown(char: str) -> str:
    """Return a character as a refusal may show it: printable ones quoted, the rest by code point."""
    if char.isprintable() and not char.isspace():
        return f"'{char}'"
    return "a space" if char == " " else f"U+{ord(char):04X}"


def login_problem(value: str, *, bots: bool = False) -> str | None:
    """Return what is wrong with `value` as a GitHub login (`it starts with a hyphen`), or None when it is one.

    With `bots`, an app's account (`name[bot]`) is a login too: webhook senders and `keep` lists name them.
    """
    base = value[: -len(BOT_SUFFIX)] if bots and value.endswith(BOT_SUFFIX) else value
    if not base:
        return "it is empty"
    bad = next((char for char in base if not _ALLOWED.fullmatch(char)), None)
    if bad is not None:
        return f"it contains {_shown(bad)}"
    if len(base) > LOGIN_MAX:
        return f"it is {len(base)} characters long"
    if base.startswith("-"):
        return "it starts with a hyphen"
    if base.endswith("-"):
        return "it ends with a hyphen"
    if not _LOGIN.match(base):
        return "it has two hyphens in a row"
    return None


def not_a_login(value: str, *, bots: bool = False) -> str | None:
    """Return the refusal of a value that is no login (`not a GitHub handle: it …, (GitHub's rule)`), or None."""
    problem = login_problem(value, bots=bots)
    if problem is None:
        return None
    return f"not a GitHub handle: {problem} ({LOGIN_RULE}{BOT_RULE if bots else ''})"


def is_login(value: str, *, bots: bool = False) -> bool:
    """Return whether `value` is a GitHub login by GitHub's rules."""
    return login_problem(value, bots=bots) is None


def check_login(value: str, *, bots: bool = False) -> str:
    """Return the login typed as `value` (spaces around and one leading @ dropped); raise LoginError saying why not."""
    login = value.strip()
    login = login[1:] if login.startswith("@") else login
    refused = not_a_login(login, bots=bots)
    if refused is not None:
        raise LoginError(refused)
    return login


def login_refusal(value: str, *, bots: bool = False) -> str | None:
    """Return a form field's refusal of a login (`Not a GitHub handle: it …`), or None when it is one."""
    refused = not_a_login(value, bots=bots)
    return None if refused is None else refused[:1].upper() + refused[1:] + "."
