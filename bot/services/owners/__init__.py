"""Technical owners of repositories: looked up (by CODEOWNERS rules in `codeowners`) and introduced; synced in `sync`."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse

from sqlmodel import Session

from bot.services.audit import audit
from bot.services.errors import NotOnRoster, UserError
from bot.services.outbox import Outgoing, commit, dm, post, posting_of
from bot.services.owners.codeowners import match_codeowners, parse_codeowners
from bot.services.owners.sync import (
    GROUPS_KEY,
    refresh_owners_from_github,
    store_owners,
    sync_owners,
    sync_owners_from_github,
)
from bot.types.decided import Decided
from bot.types.keys import Kind
from bot.types.outbox import REASON
from bot.types.owners import IntroCard, Owner, OwnersAnswer
from bot.types.policy import Channels
from bot.views import owners as views
from storage import owners as store
from storage import roster as roster_store
from storage.models import OwnerIntro, Person
from storage.program import get_program_setting

__all__ = [
    "REPO_NAME",
    "check_repo_name",
    "find_owners",
    "intro_post",
    "refresh_owners_from_github",
    "request_intro",
    "store_owners",
    "sync_owners",
    "sync_owners_from_github",
]

REPO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
INTRO_REPEAT_WINDOW = dt.timedelta(days=7)


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
) -> Decided[IntroCard]:
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
