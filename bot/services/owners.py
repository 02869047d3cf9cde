"""Technical owners of repositories: synced from catalog-info.yaml and CODEOWNERS, looked up, introduced."""

from __future__ import annotations

import datetime as dt
import os
import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session

from bot.services.audit import audit
from bot.services.errors import NotOnRoster, UserError
from bot.services.github_api import NOT_CONFIGURED, GitHubApi, GitHubBadContent, GitHubConnect, GitHubNotFound
from bot.services.identity import confirm_accounts
from bot.services.keys import Kind, Subject
from bot.services.outbox import REASON, Outgoing, commit, dm, post, posting_of
from bot.services.policy import Channels
from bot.views import owners as views
from storage import owners as store
from storage import roster as roster_store
from storage.models import OwnerIntro, Person, RepoOwnership
from storage.program import get_program_setting, set_program_setting

REPO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
CODEOWNERS_PLACES = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")
GROUPS_KEY = "owner_groups"
INTRO_REPEAT_WINDOW = dt.timedelta(days=7)


# --- CODEOWNERS, matched as GitHub does, in time linear in the path ------------------------------
#
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


@dataclass
class Owner:
    """One owner as written in the metadata, with the roster people it stands for."""

    kind: str  # user | group | team | email
    name: str
    people: list[Person] = field(default_factory=list)


@dataclass
class OwnersAnswer:
    """The owners of a repository and, when a path was asked, of that path."""

    repo: str
    path: str
    catalog_owner: Owner | None
    path_owners: list[Owner]
    rule: str | None
    rule_line: int | None
    lifecycle: str | None
    synced_at: dt.datetime
    coverage: str = "owned"  # owned | ownerless (a rule with no owners) | uncovered | no_codeowners

    @property
    def people(self) -> list[Person]:
        """Return every roster person among the owners, path owners first, without repeats."""
        seen: dict[int | None, Person] = {}
        for owner in [*self.path_owners, *([self.catalog_owner] if self.catalog_owner else [])]:
            for person in owner.people:
                seen.setdefault(person.id, person)
        return list(seen.values())

    @property
    def labels(self) -> list[str]:
        """Return every owner as written (`user:x`, `@org/team`), path owners first."""
        owners = [*self.path_owners, *([self.catalog_owner] if self.catalog_owner else [])]
        return list(dict.fromkeys(f"{o.kind}:{o.name}" for o in owners))


@dataclass
class SyncReport:
    """What `ccbot owners sync` found."""

    repos: list[str] = field(default_factory=list)
    groups: int = 0
    problems: list[str] = field(default_factory=list)
    skipped: str | None = None

    def __str__(self) -> str:
        if self.skipped:
            return f"skipped: {self.skipped}"
        return (
            f"synced owners of {len(self.repos)} repositories and {self.groups} groups "
            f"({len(self.problems)} problems)"
        )


@dataclass
class IntroCard:
    """An intro request with the people it brings together."""

    intro: OwnerIntro
    committer: Person
    repo: str
    owners: OwnersAnswer
    champions: list[Person]
    repeated: bool = False

    @property
    def subject(self) -> str:
        """The intro's post in the coordination channel, as the outbox and the postings name it."""
        assert self.intro.id is not None
        return Subject.intro(self.intro.id)


@dataclass(frozen=True)
class Decided:
    """An intro request as it was decided, and the keys of the messages committed with it."""

    card: IntroCard
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class RepoFiles:
    """One repository's ownership files, read from a directory or from GitHub; `where` names them in messages."""

    name: str
    where: str
    catalog: str | None = None
    codeowners: str | None = None


def _load_yaml_documents(text: str, where: str, report: SyncReport) -> list[dict[str, Any]]:
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        report.problems.append(f"{where}: not valid YAML ({exc.__class__.__name__})")
        return []
    return [doc for doc in documents if isinstance(doc, dict)]


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None


def sync_owners(session: Session, directory: Path, *, now: dt.datetime, actor: str) -> SyncReport:
    """Read `<org>/<repo>/catalog-info.yaml` and CODEOWNERS under `directory` into the database (committed)."""
    if not directory.is_dir():
        raise UserError(f"{directory} is not a directory")
    skipped = SyncReport()
    root = os.path.realpath(directory)

    def inside(path: Path) -> bool:
        """Whether `path` stays in the folder once every link is followed (links out are skipped)."""
        if not os.path.lexists(path):
            return False
        real = os.path.realpath(path)
        if real == root or real.startswith(root + os.sep):
            return True
        skipped.problems.append(f"{path}: a link to {real}, outside {directory}; skipped")
        return False

    def folders(parent: Path) -> list[Path]:
        return sorted(p for p in parent.iterdir() if not p.name.startswith(".") and inside(p) and p.is_dir())

    sources = []
    for org_dir in folders(directory):
        for repo_dir in folders(org_dir):
            catalog = repo_dir / "catalog-info.yaml"
            codeowners = next(
                (
                    repo_dir / place
                    for place in CODEOWNERS_PLACES
                    if inside(repo_dir / place) and (repo_dir / place).is_file()
                ),
                None,
            )
            sources.append(
                RepoFiles(
                    name=f"{org_dir.name}/{repo_dir.name}",
                    where=str(repo_dir),
                    catalog=_read(catalog) if inside(catalog) else None,
                    codeowners=_read(codeowners) if codeowners else None,
                )
            )
    groups_file = directory / "groups.yaml"
    extra = (
        [(str(groups_file), _read(groups_file) or "")]
        if inside(groups_file) and groups_file.is_file()
        else []
    )
    result = store_owners(session, sources, now=now, actor=actor, subject=str(directory), group_files=extra)
    result.problems[:0] = skipped.problems
    return result


# `user:login` in catalog-info.yaml and `@login` (not `@org/team`) in CODEOWNERS.
OWNER_LOGIN = re.compile(r"(?:\buser:|(?<![\w.])@)([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\b(?![/-])")


def sync_owners_from_github(
    session: Session,
    github: GitHubApi,
    targets: list[str],
    *,
    now: dt.datetime,
    actor: str,
    channels: Channels | None = None,
) -> SyncReport:
    """Read catalog-info.yaml and CODEOWNERS (root, .github/, docs/) from each repository's default branch.

    `targets` are organisations (every repository that is not archived) or `org/repo`; the meaning is
    exactly that of `sync_owners` on a directory (committed).
    """
    report = SyncReport()
    sources = []
    for target in targets:
        try:
            repos = [github.get_repo(target)] if "/" in target else github.list_org_repos(target)
        except GitHubNotFound:
            report.problems.append(
                f"{target}: not found on GitHub, or the credentials cannot see it; skipped"
            )
            continue
        for repo in repos:
            if repo.archived and "/" not in target:
                continue
            where = f"{repo.full_name}@{repo.default_branch}"
            try:
                catalog = github.read_file(repo.full_name, "catalog-info.yaml", repo.default_branch)
                codeowners = None
                for place in CODEOWNERS_PLACES:
                    codeowners = github.read_file(repo.full_name, place, repo.default_branch)
                    if codeowners is not None:
                        break
            except GitHubBadContent as exc:
                # Half a repository's files would change its owners: it keeps those of its last sync.
                report.problems.append(f"{exc}; {repo.full_name} skipped (its owners stay as last synced)")
                continue
            sources.append(
                RepoFiles(name=repo.full_name, where=where, catalog=catalog, codeowners=codeowners)
            )
    result = store_owners(session, sources, now=now, actor=actor, subject="github:" + ",".join(targets))
    result.problems[:0] = report.problems
    # The owners named are people on GitHub: record the account ids of those on the roster.
    named = {
        login.lower()
        for source in sources
        for text in (source.catalog or "", source.codeowners or "")
        for login in OWNER_LOGIN.findall(text)
    }
    people = [p for p in roster_store.list_people(session) if p.github_key in named and p.github_id is None]
    if people:
        confirmed = confirm_accounts(
            session, github, people, now=now, channels=channels or Channels(), where="owners sync --github"
        )
        result.problems += [f"{login}: no GitHub account holds this login" for login in confirmed.missing]
    return result


def refresh_owners_from_github(
    session: Session,
    connect: GitHubConnect | None,
    targets: Sequence[str],
    *,
    now: dt.datetime,
    actor: str,
    channels: Channels | None = None,
) -> SyncReport:
    """Sync the configured organisations and repositories (CCBOT_GITHUB_OWNERS); `skipped` says why when not."""
    if not targets:
        return SyncReport(skipped="CCBOT_GITHUB_OWNERS names no organisation or repository")
    if connect is None:
        return SyncReport(skipped=NOT_CONFIGURED)
    with connect() as github:
        return sync_owners_from_github(
            session, github, list(targets), now=now, actor=actor, channels=channels
        )


def store_owners(
    session: Session,
    sources: list[RepoFiles],
    *,
    now: dt.datetime,
    actor: str,
    subject: str,
    group_files: list[tuple[str, str]] | None = None,
) -> SyncReport:
    """Store each repository's catalog owner and CODEOWNERS, and Backstage groups, in one transaction."""
    report = SyncReport()
    groups: dict[str, list[str]] = {}
    for source in sources:
        catalog_where = f"{source.where}/catalog-info.yaml"
        documents = _load_yaml_documents(source.catalog, catalog_where, report) if source.catalog else []
        component = next((d for d in documents if str(d.get("kind", "")).lower() == "component"), None)
        for doc in documents:
            if str(doc.get("kind", "")).lower() == "group":
                _collect_group(doc, groups)
        if component is None and source.codeowners is None:
            report.problems.append(f"{source.where}: neither catalog-info.yaml nor CODEOWNERS; skipped")
            continue
        spec = component.get("spec") if component and isinstance(component.get("spec"), dict) else {}
        assert isinstance(spec, dict)
        owner = str(spec.get("owner") or "").strip() or None
        if component is not None and owner is None:
            report.problems.append(f"{catalog_where}: spec.owner is missing")
        repo = roster_store.get_or_add_repo(session, source.name)
        assert repo.id is not None
        store.put_ownership(
            session,
            RepoOwnership(
                repo_id=repo.id,
                catalog_owner=owner[:200] if owner else None,
                lifecycle=str(spec.get("lifecycle") or "")[:32] or None,
                component_type=str(spec.get("type") or "")[:32] or None,
                codeowners=source.codeowners,
                synced_at=now,
            ),
        )
        report.repos.append(source.name)
    for where, text in group_files or []:
        for doc in _load_yaml_documents(text, where, report):
            _collect_group(doc, groups)
    if groups:
        known = get_program_setting(session, GROUPS_KEY, {}) or {}
        set_program_setting(session, GROUPS_KEY, {**known, **groups})
    report.groups = len(groups)
    audit(
        session,
        now,
        actor,
        "owners.synced",
        subject[:200],
        repos=len(report.repos),
        groups=len(groups),
        problems=len(report.problems),
    )
    session.commit()
    return report


def _collect_group(doc: dict[str, Any], groups: dict[str, list[str]]) -> None:
    """Backstage Group entities: `metadata.name` and `spec.members` (GitHub handles)."""
    metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    assert isinstance(metadata, dict)
    assert isinstance(spec, dict)
    name = str(metadata.get("name") or "").strip().lower()
    members = spec.get("members") or []
    if name and isinstance(members, list):
        groups[name] = [str(m).removeprefix("user:").strip() for m in members if str(m).strip()]


def _owner(session: Session, kind: str, name: str, groups: dict[str, list[str]]) -> Owner:
    if kind == "user":
        person = roster_store.get_person_by_github(session, name)
        return Owner(kind, name, [person] if person else [])
    if kind in {"group", "team"}:
        slug = name.split("/")[-1].lower()
        members = groups.get(name.lower()) or groups.get(slug) or []
        people = [p for p in (roster_store.get_person_by_github(session, m) for m in members) if p]
        return Owner(kind, name, people)
    people = roster_store.list_people_by_email(session, name) if kind == "email" else []
    return Owner(kind, name, people[:1])


def _catalog_owner(session: Session, value: str, groups: dict[str, list[str]]) -> Owner:
    """Read `spec.owner` as Backstage does: `[kind:][namespace/]name`, the kind a Group when absent."""
    kind, _, name = value.partition(":")
    if not name:
        kind, name = "group", value
    name = name.strip().removeprefix("default/")
    return _owner(session, kind.strip().lower(), name, groups)


USAGE = (
    "Usage: `/cc-owners org/repo [path]` or a GitHub link, for example `/cc-owners openedx/edx-platform lms/` "
    "or `/cc-owners https://github.com/openedx/edx-platform/tree/master/lms`."
)


def check_repo_name(text: str) -> tuple[str, str]:
    """Return (`org/repo`, path) from `/cc-owners` text or a pasted GitHub link; UserError with the usage.

    A link's `/blob/<ref>/path` or `/tree/<ref>/path` names the path (a tree is a directory);
    the ref is its first segment, as in GitHub's own links to a branch, tag or commit.
    """
    parts = text.split()
    if not parts:
        raise UserError(USAGE)
    first = parts[0].strip("<>").split("|", 1)[0]
    path = ""
    if re.match(r"^(?:https?://)?(?:www\.)?github\.com/", first, re.IGNORECASE):
        url = urllib.parse.urlsplit(first if "://" in first else f"https://{first}")
        segments = [urllib.parse.unquote(s) for s in url.path.split("/") if s]
        repo = "/".join(segments[:2]).removesuffix(".git")
        rest = segments[2:]
        if len(rest) >= 2 and rest[0] in {"blob", "tree"}:
            path = "/".join(rest[2:])
            if rest[0] == "tree" and path:
                path += "/"
    else:
        repo = first.strip("/")
    if not REPO_NAME.match(repo):
        raise UserError(
            f"`{repo[:100]}` is not a repository name: write it as `org/repo`, like `openedx/edx-platform`, "
            "or paste a GitHub link."
        )
    if len(parts) > 1:
        path = parts[1].strip()
    return repo, path.lstrip("/")[:500]


def find_owners(session: Session, repo_name: str, path: str = "") -> OwnersAnswer:
    """Return the owners of a repository (and of `path` by CODEOWNERS rules); UserError when unknown."""
    repo = store.get_repo(session, repo_name)
    ownership = store.get_ownership(session, repo.id) if repo and repo.id else None
    if repo is None or ownership is None:
        raise UserError(
            f"I know no owners for `{repo_name}`: it is not in the synced repository metadata. "
            "Check the spelling, or ask a program admin to run `ccbot owners sync`."
        )
    groups: dict[str, list[str]] = get_program_setting(session, GROUPS_KEY, {}) or {}
    catalog = _catalog_owner(session, ownership.catalog_owner, groups) if ownership.catalog_owner else None
    path_owners: list[Owner] = []
    rule, line, coverage = None, None, "no_codeowners"
    if ownership.codeowners is not None:
        rules = parse_codeowners(ownership.codeowners)
        decided = match_codeowners(rules, path or "/")
        if decided is None and path and not path.endswith("/"):
            decided = match_codeowners(rules, path + "/")  # a directory asked for without its slash
        coverage = "uncovered"
        if decided is not None:
            rule, line = decided.pattern.text, decided.line
            coverage = "owned" if decided.owners else "ownerless"
            path_owners = [_owner(session, kind, name, groups) for kind, name in decided.owners]
    return OwnersAnswer(
        repo=repo.full_name,
        path=path,
        catalog_owner=catalog,
        path_owners=path_owners,
        rule=rule,
        rule_line=line,
        lifecycle=ownership.lifecycle,
        synced_at=ownership.synced_at,
        coverage=coverage,
    )


def request_intro(
    session: Session,
    person: Person | None,
    repo_name: str,
    path: str,
    *,
    now: dt.datetime,
    channels: Channels,
) -> Decided:
    """Record a committer's request to meet a repository's owners with its post; a repeat within a week is not."""
    if person is None or person.id is None:
        raise NotOnRoster(
            "Only people on the Core Committer roster can request an intro. Ask a program admin."
        )
    if not channels.coordination:
        raise UserError(NO_INTRO_CHANNEL)
    answer = find_owners(session, repo_name, path)
    repo = store.get_repo(session, repo_name)
    assert repo is not None
    assert repo.id is not None
    champions = [c for _, c in roster_store.list_active_champions(session, person.id)]
    recent = store.find_recent_intro(
        session, committer_id=person.id, repo_id=repo.id, path=path, since=now - INTRO_REPEAT_WINDOW
    )
    if recent is not None:
        card = IntroCard(recent, person, repo.full_name, answer, champions, repeated=True)
        # An intro recorded but never posted (its process died first) is posted now; a queued one stays as it is.
        if posting_of(session, card.subject) is not None:
            return Decided(card)
        return Decided(card, commit(session, [intro_post(card, channels.coordination)], now=now))
    intro = store.add_intro(
        session,
        OwnerIntro(
            committer_id=person.id, repo_id=repo.id, path=path, owners=answer.labels, requested_at=now
        ),
    )
    audit(
        session,
        now,
        person,
        "owners.intro_requested",
        f"{repo.full_name}:{path or '/'}",
        owners=answer.labels,
    )
    card = IntroCard(intro, person, repo.full_name, answer, champions)
    return Decided(card, commit(session, [intro_post(card, channels.coordination)], now=now))


NO_INTRO_CHANNEL = (
    "Intros cannot be posted yet: the coordination channel is not configured "
    "(CCBOT_COORDINATION_CHANNEL). Tell a program admin."
)


def intro_post(card: IntroCard, channel: str) -> Outgoing | None:
    """Return the intro's post in `channel`; should Slack refuse it for good, the committer hears why by DM."""
    assert card.intro.id is not None
    failed = dm(
        Kind.INTRO_DELAYED,
        [card.intro.id],
        card.committer.slack_user_id,
        views.intro_failed_text(card, REASON),
    )
    return post(
        Kind.INTRO, [card.intro.id], channel, views.intro_text(card), subject=card.subject, fallback=failed
    )
