"""The Slack directory as services see it (who a Slack user is, by id, by e-mail, or page by page), and the
background resolution that fills in roster people's missing Slack ids and time zones.

An import never waits for Slack: it asks for a resolution (`request_resolution`), and the `slack_resolution` job
works it off the import's path. One walk of users.list (Tier 2, 200 members a page) covers a workspace of
thousands in a few dozen calls; a handful of people are looked up one by one instead, whichever Slack's limits
make quicker. Each page's matches are committed with the walk's cursor, so a process that dies mid-walk is
continued, and a lease in the database keeps two processes from walking at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from bot.services.admins import admin_messages
from bot.services.audit import audit
from bot.services.outbox import commit
from bot.types.directory import (
    LOOKUP_BY_EMAIL_PER_MINUTE,
    PAGE_SIZE,
    USERS_INFO_PER_MINUTE,
    USERS_LIST_PER_MINUTE,
    Miss,
    NotFound,
    ResolutionReport,
    SlackProfile,
    UserPage,
)
from bot.types.keys import Kind
from bot.types.policy import Channels
from bot.views.directory import not_found_notice
from storage import directory as store
from storage import roster as roster_store
from storage.models import Person, ResolutionMode, ResolutionState, SlackResolution

__all__ = [
    "Directory",
    "DirectoryBusy",
    "SlackProfile",
    "UserPage",
    "apply_slack_user",
    "request_resolution",
    "resolve_slack",
]

logger = logging.getLogger(__name__)

ACTOR = "ccbot:slack_resolution"
# A lease outlives the longest wait one call can make (slack_sdk retries a 429 five times after Retry-After).
LEASE = dt.timedelta(minutes=10)
# How often a run waits out Slack's 429s that outlast the client's own retries before it gives the lease back.
MAX_BUSY_WAITS = 20
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")


class Directory(Protocol):
    """Looks people up in the Slack workspace; implemented over the Web API in bot.slack."""

    def lookup_by_email(self, email: str) -> SlackProfile | None:
        """Return the Slack user with this e-mail, or None when there is none."""
        ...

    def user_info(self, user_id: str) -> SlackProfile | None:
        """Return the Slack user with this id, or None when there is none."""
        ...

    def list_users(self, cursor: str, limit: int) -> UserPage:
        """Return one page of the workspace's members, from `cursor` ("" for the first)."""
        ...


class DirectoryBusy(Exception):
    """Slack still answers 429 after the client's own retries: try again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:g} s")
        self.retry_after = retry_after


def valid_user_id(value: object) -> str | None:
    """Return a Slack user id as Slack writes them (U or W, capitals and digits), or None."""
    return value if isinstance(value, str) and SLACK_USER_ID.fullmatch(value) else None


def valid_timezone(value: object) -> str | None:
    """Return an IANA time zone this system knows (like Europe/Paris), or None for anything else."""
    if not isinstance(value, str) or not value or len(value) > 64 or not value.isascii():
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return value


def _email_key(value: object) -> str | None:
    return value.strip().lower() if isinstance(value, str) and "@" in value and len(value) <= 320 else None


# --- asking for a resolution (the import's side) -------------------------------------------------------------


def request_resolution(session: Session, *, now: dt.datetime, actor: str) -> int:
    """Ask the background job to fill in missing Slack ids and time zones (not committed: the caller's transaction
    carries it); return how many people it will look for (0: nothing was asked)."""
    wanted = sum(
        1 for _, _, email, slack, _ in store.unresolved_people(session) if slack or _email_key(email)
    )
    if wanted:
        store.add_resolution(session, now=now, actor=actor)
    return wanted


def resolution_status(session: Session) -> SlackResolution | None:
    """Return the latest resolution request, for `ccbot roster resolve --status`."""
    return store.latest_resolution(session)


# --- Slack's events (user_change, team_join) ------------------------------------------------------------------


def apply_slack_user(session: Session, profile: SlackProfile, *, now: dt.datetime) -> str | None:
    """Keep a linked person's time zone current, or link an unlinked person by their unique e-mail (committed);
    return what changed ("timezone", "linked") or None."""
    user_id = valid_user_id(profile.user_id)
    if user_id is None or profile.bot:
        return None
    timezone = valid_timezone(profile.timezone)
    person = roster_store.get_person_by_slack_id(session, user_id)
    if person is not None:
        if timezone is None or person.timezone == timezone:
            return None
        audit(session, now, user_id, "person.timezone", person.github, timezone=timezone, by="slack")
        person.timezone = timezone
        session.commit()
        return "timezone"
    email = _email_key(profile.email)
    if profile.deleted or email is None:
        return None
    candidates = [
        p
        for p in roster_store.list_people_by_email(session, email)
        if not p.slack_user_id and p.removed_on is None
    ]
    if len(candidates) != 1:
        return None
    person = candidates[0]
    person.slack_user_id = user_id
    if not person.timezone and timezone:
        person.timezone = timezone
    audit(session, now, user_id, "person.link_slack", person.github, slack_user_id=user_id, by="email")
    session.commit()
    return "linked"


# --- the background resolution (the job's side) ---------------------------------------------------------------


def choose_mode(by_id: int, by_email: int, workspace: int) -> ResolutionMode:
    """Walk users.list unless looking each person up is quicker at Slack's limits (Tier 2 pages against
    Tier 4 users.info for time zones and Tier 3 users.lookupByEmail for ids)."""
    pages = max(1, math.ceil(workspace / PAGE_SIZE))
    walk = pages / USERS_LIST_PER_MINUTE
    singles = by_id / USERS_INFO_PER_MINUTE + by_email / LOOKUP_BY_EMAIL_PER_MINUTE
    return ResolutionMode.LOOKUP if singles < walk else ResolutionMode.WALK


@dataclass
class _Wanted:
    """Who still needs what, as of the (re)start of a run: by Slack id for time zones, by e-mail for ids."""

    by_id: dict[str, tuple[int, str]] = field(default_factory=dict)
    by_email: dict[str, list[tuple[int, str, bool]]] = field(default_factory=dict)
    people: list[tuple[int, str, str | None, str | None]] = field(default_factory=list)

    @classmethod
    def load(cls, session: Session, reported: set[str]) -> _Wanted:
        wanted = cls()
        for pid, github, email, slack, has_timezone in store.unresolved_people(session):
            if github in reported:
                continue
            key = _email_key(email)
            if slack:
                wanted.by_id[slack] = (pid, github)
                wanted.people.append((pid, github, None, slack))
            elif key:
                wanted.by_email.setdefault(key, []).append((pid, github, has_timezone))
                wanted.people.append((pid, github, key, None))
        return wanted


@dataclass
class _Matches:
    """What one page (or one look-up) filled in, and whom it could not."""

    updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    ids: int = 0
    timezones: int = 0
    misses: list[NotFound] = field(default_factory=list)


def _match(session: Session, wanted: _Wanted, members: Iterable[SlackProfile]) -> _Matches:
    found = _Matches()
    members = [m for m in members if not m.bot and valid_user_id(m.user_id)]
    holders = store.slack_holders(
        session, [m.user_id for m in members if _email_key(m.email) in wanted.by_email]
    )
    for member in members:
        timezone = valid_timezone(member.timezone)
        linked = wanted.by_id.get(member.user_id)
        if linked is not None and timezone:
            del wanted.by_id[member.user_id]
            found.updates.setdefault(linked[0], {})["timezone"] = timezone
            found.timezones += 1
        key = _email_key(member.email)
        if member.deleted or key is None or key not in wanted.by_email:
            continue
        people = wanted.by_email.pop(key)
        if len(people) > 1:
            found.misses += [NotFound(github, Miss.SHARED_EMAIL, key) for _, github, _ in people]
            continue
        pid, github, has_timezone = people[0]
        holder = holders.get(member.user_id)
        if holder is not None and holder[0] != pid:
            found.misses.append(NotFound(github, Miss.TAKEN, f"{member.user_id} {holder[1]}"))
            continue
        update = found.updates.setdefault(pid, {})
        update["slack_user_id"] = member.user_id
        found.ids += 1
        if timezone and not has_timezone:
            update["timezone"] = timezone
            found.timezones += 1
    return found


class _Run:
    """One run of the resolution, holding its request's lease."""

    def __init__(
        self,
        session: Session,
        directory: Directory,
        request: SlackResolution,
        *,
        owner: str,
        clock: Callable[[], dt.datetime],
        sleep: Callable[[float], None],
        max_calls: int | None,
    ) -> None:
        assert request.id is not None
        self.session, self.directory, self.request_id = session, directory, request.id
        self.owner, self.clock, self.sleep = owner, clock, sleep
        self.max_calls = max_calls
        self.calls = 0
        self.report = ResolutionReport(
            request_id=request.id,
            mode=str(request.mode),
            calls=request.calls,
            ids_found=request.ids_found,
            timezones_found=request.timezones_found,
            not_found=[NotFound(str(g), Miss(m), str(d)) for g, m, d in request.not_found],
        )
        self.cursor = request.cursor
        self.members = request.members

    def ask(self, call: Callable[[], Any]) -> Any:
        """Make one Slack call, waiting out rate limits that outlast the client's retries (the lease renewed)."""
        for _ in range(MAX_BUSY_WAITS):
            if not self.renew():
                raise _LeaseLost
            try:
                result = call()
            except DirectoryBusy as busy:
                logger.info("slack_resolution: Slack is busy; waiting %.1f s", busy.retry_after)
                self.sleep(busy.retry_after)
                continue
            self.calls += 1
            self.report.calls += 1
            return result
        raise DirectoryBusy(0)

    def renew(self) -> bool:
        held = store.save_progress(
            self.session, self.request_id, owner=self.owner, lease_until=self.clock() + LEASE
        )
        self.session.commit()
        return held

    def save(self, found: _Matches, **progress: Any) -> None:
        """Commit one step's matches with the request's progress, or nothing when the lease was lost."""
        self.report.ids_found += found.ids
        self.report.timezones_found += found.timezones
        self.report.not_found += found.misses
        rows = [{"id": pid, **values} for pid, values in found.updates.items()]
        roster_store.update_rows(self.session, Person, rows)
        values: dict[str, Any] = {
            "calls": self.report.calls,
            "ids_found": self.report.ids_found,
            "timezones_found": self.report.timezones_found,
            "not_found": [[n.github, str(n.miss), n.detail] for n in self.report.not_found],
            "lease_until": self.clock() + LEASE,
        }
        held = store.save_progress(self.session, self.request_id, owner=self.owner, **{**values, **progress})
        if not held:
            self.session.rollback()
            raise _LeaseLost
        self.session.commit()

    def out_of_calls(self) -> bool:
        return self.max_calls is not None and self.calls >= self.max_calls

    def walk(self, wanted: _Wanted) -> bool:
        """Walk users.list from the saved cursor to its end; return whether it got there."""
        while wanted.by_id or wanted.by_email:
            if self.out_of_calls():
                return False
            page: UserPage = self.ask(partial(self.directory.list_users, self.cursor, PAGE_SIZE))
            found = _match(self.session, wanted, page.members)
            self.members += len(page.members)
            self.cursor = page.next_cursor
            self.save(found, cursor=self.cursor, members=self.members)
            if not page.next_cursor:
                return True
        return True

    def look_up(self, wanted: _Wanted) -> bool:
        """Look each wanted person up after the saved one, in id order; return whether all were."""
        after = int(self.cursor or 0)
        for pid, github, email, slack in wanted.people:
            # Done before a restart, or settled by an earlier look-up (an e-mail others share, say).
            still_wanted = slack in wanted.by_id if slack else email in wanted.by_email
            if pid <= after or not still_wanted:
                continue
            if self.out_of_calls():
                return False
            if slack:
                profile = self.ask(partial(self.directory.user_info, slack))
            else:
                profile = self.ask(partial(self.directory.lookup_by_email, email or ""))
            found = _match(self.session, wanted, [profile] if profile else [])
            if pid not in found.updates and not any(n.github == github for n in found.misses):
                found.misses.append(
                    NotFound(github, Miss.NO_TIMEZONE, slack)
                    if slack
                    else NotFound(github, Miss.NO_USER, email or "")
                )
            self.cursor = str(pid)
            self.save(found, cursor=self.cursor)
        return True

    def finish(self, wanted: _Wanted, *, now: dt.datetime) -> None:
        """Report whom Slack did not give (what the walk left wanted) and close the request."""
        reported = {n.github for n in self.report.not_found}
        left = [NotFound(github, Miss.NO_TIMEZONE, slack) for slack, (_, github) in wanted.by_id.items()]
        left += [
            NotFound(github, Miss.NO_USER, key)
            for key, people in wanted.by_email.items()
            for _, github, _ in people
        ]
        left += [
            NotFound(github, Miss.NO_EMAIL)
            for _, github, email, slack, _ in store.unresolved_people(self.session)
            if not slack and not _email_key(email)
        ]
        self.report.not_found += [n for n in left if n.github not in reported]
        self.report.not_found.sort(key=lambda n: n.github.lower())
        self.save(
            _Matches(),
            state=ResolutionState.DONE,
            finished_at=self.clock(),
            claimed_by=None,
            lease_until=None,
        )
        self.report.finished = True
        audit(
            self.session,
            now,
            ACTOR,
            "directory.resolve",
            f"resolution #{self.request_id}",
            mode=self.report.mode,
            calls=self.report.calls,
            ids_found=self.report.ids_found,
            timezones_found=self.report.timezones_found,
            not_found=[f"{n.github}: {n.miss} {n.detail}".strip() for n in self.report.not_found[:200]],
        )


class _LeaseLost(Exception):
    """Another process took the request over (this one's lease ran out)."""


def resolve_slack(
    session: Session,
    directory: Directory,
    *,
    now: dt.datetime,
    channels: Channels | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    owner: str | None = None,
    max_calls: int | None = None,
) -> ResolutionReport:
    """Work the oldest open resolution request to its end (unless another process holds it); tell the admins
    (`channels`) whom Slack did not give. `max_calls` stops early, leaving the rest for the next run."""
    clock = clock or (lambda: now)
    owner = owner or uuid.uuid4().hex
    request = store.next_resolution(session)
    if request is None or request.id is None:
        return ResolutionReport()
    request_id = request.id
    if not store.claim_resolution(session, request_id, owner=owner, now=clock(), until=clock() + LEASE):
        session.rollback()
        return ResolutionReport(request_id=request_id, busy=True)
    session.commit()
    session.refresh(request)
    reported = {str(g) for g, _, _ in request.not_found}
    wanted = _Wanted.load(session, reported)
    if request.mode is None:
        workspace = max(store.last_walk_size(session), store.count_linked(session) + len(wanted.by_email))
        request.mode = choose_mode(len(wanted.by_id), len(wanted.by_email), workspace)
        request.started_at = clock()
        # Whoever this run loaded, it looks for: requests asked before it started are covered.
        store.close_older_pending(session, request_id, now=request.started_at)
        session.add(request)
        session.commit()
        logger.info(
            "slack_resolution #%s: %d time zone(s) by Slack id, %d Slack id(s) by e-mail, by %s",
            request_id,
            len(wanted.by_id),
            len(wanted.by_email),
            request.mode,
        )
    run = _Run(session, directory, request, owner=owner, clock=clock, sleep=sleep, max_calls=max_calls)
    try:
        done = run.walk(wanted) if request.mode == ResolutionMode.WALK else run.look_up(wanted)
        if done:
            run.finish(wanted, now=now)
    except _LeaseLost:
        session.rollback()
        logger.warning("slack_resolution #%s: another process took it over", request_id)
        return run.report
    except Exception:
        # A failed call leaves the progress made; the next run continues from it, at once.
        session.rollback()
        store.release_resolution(session, request_id, owner=owner)
        session.commit()
        raise
    if not done:
        store.release_resolution(session, request_id, owner=owner)
        session.commit()
        return run.report
    newer = store.has_pending_after(session, request_id)
    _tell(session, run.report, channels=channels, now=now, quiet=newer)
    return run.report


def _tell(
    session: Session, report: ResolutionReport, *, channels: Channels | None, now: dt.datetime, quiet: bool
) -> None:
    missing = report.not_found
    if missing:
        logger.warning(
            "slack_resolution #%s: %d not found: %s",
            report.request_id,
            len(missing),
            ", ".join(f"{n.github} ({n.miss})" for n in missing[:50])
            + (", ..." if len(missing) > 50 else ""),
        )
    else:
        logger.info("slack_resolution #%s: everyone found", report.request_id)
    # A newer request looks at everyone again: the admins hear from that one.
    if missing and channels is not None and not quiet:
        text = not_found_notice(report)
        commit(
            session,
            admin_messages(session, channels, Kind.SLACK_NOT_FOUND, [report.request_id], text),
            now=now,
        )
    else:
        session.commit()
