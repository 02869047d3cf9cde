"""Technical owners of repositories: synced from catalog-info.yaml and CODEOWNERS, looked up, introduced."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from codeowners import CodeOwners
from sqlmodel import Session

from bot.services.errors import NotOnRoster, UserError
from bot.services.github_api import NOT_CONFIGURED, GitHubApi, GitHubConnect, GitHubNotFound
from bot.services.keys import Kind, Subject
from bot.services.outbox import REASON, Outgoing, commit, dm, post, posting_of
from bot.services.policy import Channels
from bot.views import owners as views
from storage import owners as store
from storage import roster as roster_store
from storage.audit import add_audit_entry
from storage.models import OwnerIntro, Person, RepoOwnership
from storage.program import get_program_setting, set_program_setting

REPO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
CODEOWNERS_PLACES = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")
GROUPS_KEY = "owner_groups"
INTRO_REPEAT_WINDOW = dt.timedelta(days=7)


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
    sources = []
    for org_dir in sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for repo_dir in sorted(p for p in org_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            codeowners = next(
                (repo_dir / place for place in CODEOWNERS_PLACES if (repo_dir / place).is_file()), None
            )
            sources.append(
                RepoFiles(
                    name=f"{org_dir.name}/{repo_dir.name}",
                    where=str(repo_dir),
                    catalog=_read(repo_dir / "catalog-info.yaml"),
                    codeowners=_read(codeowners) if codeowners else None,
                )
            )
    groups_file = directory / "groups.yaml"
    extra = [(str(groups_file), _read(groups_file) or "")] if groups_file.is_file() else []
    return store_owners(session, sources, now=now, actor=actor, subject=str(directory), group_files=extra)


def sync_owners_from_github(
    session: Session, github: GitHubApi, targets: list[str], *, now: dt.datetime, actor: str
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
            catalog = github.read_file(repo.full_name, "catalog-info.yaml", repo.default_branch)
            codeowners = None
            for place in CODEOWNERS_PLACES:
                codeowners = github.read_file(repo.full_name, place, repo.default_branch)
                if codeowners is not None:
                    break
            sources.append(
                RepoFiles(name=repo.full_name, where=where, catalog=catalog, codeowners=codeowners)
            )
    result = store_owners(session, sources, now=now, actor=actor, subject="github:" + ",".join(targets))
    result.problems[:0] = report.problems
    return result


def refresh_owners_from_github(
    session: Session, connect: GitHubConnect | None, targets: Sequence[str], *, now: dt.datetime, actor: str
) -> SyncReport:
    """Sync the configured organisations and repositories (CCBOT_GITHUB_OWNERS); `skipped` says why when not."""
    if not targets:
        return SyncReport(skipped="CCBOT_GITHUB_OWNERS names no organisation or repository")
    if connect is None:
        return SyncReport(skipped=NOT_CONFIGURED)
    with connect() as github:
        return sync_owners_from_github(session, github, list(targets), now=now, actor=actor)


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
    add_audit_entry(
        session,
        at=now,
        actor=actor,
        action="owners.synced",
        subject=subject[:200],
        details={"repos": len(report.repos), "groups": len(groups), "problems": len(report.problems)},
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
    kind, _, name = value.partition(":")
    if not name:
        kind, name = "user", value
    return _owner(session, kind.strip().lower(), name.strip(), groups)


def check_repo_name(text: str) -> tuple[str, str]:
    """Return (`org/repo`, path) from `/cc-owners` text; raise UserError with the usage when malformed."""
    parts = text.split()
    if not parts:
        raise UserError(
            "Usage: `/cc-owners org/repo [path]`, for example `/cc-owners openedx/edx-platform lms/`."
        )
    repo = parts[0].strip("<>").removeprefix("https://github.com/").strip("/")
    if not REPO_NAME.match(repo):
        raise UserError(
            f"`{repo[:100]}` is not a repository name: write it as `org/repo`, like `openedx/edx-platform`."
        )
    path = parts[1].strip().lstrip("/") if len(parts) > 1 else ""
    return repo, path[:500]


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
    rule, line = None, None
    if ownership.codeowners:
        rules = CodeOwners(ownership.codeowners)
        target = path or "/"
        owners, line, rule, _section = rules.matching_line(target)
        if not owners and path and not path.endswith("/"):
            owners, line, rule, _section = rules.matching_line(path + "/")
        for kind, name in owners:
            label = {"USERNAME": "user", "TEAM": "team", "EMAIL": "email"}[kind]
            path_owners.append(_owner(session, label, name.lstrip("@"), groups))
    return OwnersAnswer(
        repo=repo.full_name,
        path=path,
        catalog_owner=catalog,
        path_owners=path_owners,
        rule=rule,
        rule_line=line,
        lifecycle=ownership.lifecycle,
        synced_at=ownership.synced_at,
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
    add_audit_entry(
        session,
        at=now,
        actor=person.github,
        action="owners.intro_requested",
        subject=f"{repo.full_name}:{path or '/'}",
        details={"owners": answer.labels},
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
