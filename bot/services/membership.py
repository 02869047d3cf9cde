"""Membership over time: moving to alumni and back, the weekly inactivity review, and the admins'
one-click lists (one posting per admin, redrawn for everyone when one of them acts).

Alumni hold no power (their roles stay stored; `list_powers` gives them none); reinstating one clears
`removed_on` and recomputes their standing from their agreements, with their history kept.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import Session

from bot.services.activity import latest_activity, pull_request_ref, record_activity
from bot.services.admins import admin_ids
from bot.services.audit import audit, audit_each
from bot.services.errors import FieldErrors, UserError
from bot.services.github.api import GitHubConnect, GitHubError, GitHubNotFound, WorkSeen
from bot.services.outbox import Outgoing, commit, dm, post, redraw
from bot.services.roster import get_profile, list_admins, person_by_handle
from bot.types.decided import Decided
from bot.types.keys import Kind, Subject
from bot.types.membership import Backfill, Inactive, InactivitySummary, ProposalRow
from bot.types.policy import Channels, LifecyclePolicy
from bot.views import membership as views
from bot.views.text import Mrkdwn
from storage import activity as activity_store
from storage import membership as store
from storage import renewals as renewal_store
from storage import roster as roster_store
from storage.models import (
    ActivityKind,
    InactivityDecision,
    InactivityProposal,
    Person,
    Role,
    Status,
)
from storage.program import add_program_setting_once, get_program_setting, set_program_setting

logger = logging.getLogger(__name__)

# When activity began to be recorded: nobody counts as inactive for the time before it, unless GitHub's
# history of their work was read (the backfill).
ACTIVITY_SINCE_KEY = "activity_tracked_since"
# The backfill from GitHub's API, once: when, and whom it read (their own history replaces the grace).
BACKFILL_KEY = "github_activity_backfill"
# A run's claim on the backfill, by day: a second instance leaves it alone; a crashed one is retried later.
BACKFILL_CLAIM = "github_activity_backfill:{day}"
# Rows of an admin list per message (two blocks each, within Slack's 50).
LIST_ROWS = 20


# -- moving to alumni and back --------------------------------------------------------------------------


def move_to_alumni(
    session: Session, person: Person, *, now: dt.datetime, actor: Person | str, reason: str
) -> None:
    """Make a person an alumnus from today (audited, without committing); their roles stay, their power goes."""
    person.removed_on, person.status = now.date(), Status.ALUMNI
    session.add(person)
    audit(session, now, actor, "person.removed", person.github, reason=reason)


def move_all_to_alumni(
    session: Session, people: Sequence[Person], *, now: dt.datetime, actor: Person | str, reason: str
) -> None:
    """`move_to_alumni` for many people: their rows written in one flush, their audit entries in one statement."""
    roster_store.make_alumni(session, people, on=now.date())
    audit_each(session, now, actor, "person.removed", [(p.github, {"reason": reason}) for p in people])


def alumni_notice(
    session: Session,
    person: Person,
    kind: Kind,
    reason: str,
    *,
    parts: Sequence[object],
    admins: Sequence[Person] | None = None,
) -> Outgoing | None:
    """Return the DM telling someone they are now an alumnus, with thanks and how to come back.

    `admins`: the current admins, when the caller has read them already (for many notices at once).
    """
    return dm(
        kind,
        [*parts, person.id],
        person.slack_user_id,
        views.alumni_text(person, reason, list_admins(session) if admins is None else admins),
    )


def _person(session: Session, handle: str, field: str) -> Person:
    return person_by_handle(session, handle, field=field)


def reinstate(
    session: Session,
    actor: Person | str,
    *,
    github: str,
    reason: str = "",
    now: dt.datetime,
    channels: Channels,
) -> Decided[Mrkdwn]:
    """Bring an alumnus back: clear `removed_on`, recompute their standing from their agreements, welcome them."""
    person = _person(session, github, "github")
    if person.removed_on is None:
        raise FieldErrors({"github": f"{person.github} is not an alumnus; nothing to reinstate."})
    alumni_since = person.removed_on
    person.removed_on = None
    session.add(person)
    session.flush()
    standing = get_profile(session, person.id or 0, today=now.date()).standing
    person.status = standing.status
    record_activity(
        session, person.id or 0, ActivityKind.REINSTATED, now, f"reinstated:{now:%Y-%m-%dT%H:%M:%S}"
    )
    audit(
        session,
        now,
        actor,
        "person.reinstated",
        person.github,
        alumni_since=str(alumni_since),
        reason=reason.strip(),
    )
    welcome = dm(
        Kind.REINSTATED,
        [person.id, f"{now:%Y%m%d%H%M%S}"],
        person.slack_user_id,
        views.welcome_back_text(person, standing.gaps),
    )
    return Decided(views.reinstated_done(person, standing.gaps), commit(session, [welcome], now=now))


def retire(
    session: Session,
    actor: Person | str,
    *,
    github: str,
    reason: str,
    now: dt.datetime,
    channels: Channels,
) -> Decided[Mrkdwn]:
    """Move a current person to alumni with a reason, and tell them (the CLI's `alumni move`)."""
    person = _person(session, github, "github")
    if person.removed_on is not None:
        raise FieldErrors({"github": f"{person.github} is already an alumnus (since {person.removed_on})."})
    if not reason.strip():
        raise FieldErrors({"reason": "Say why, for the audit log and for them."})
    move_to_alumni(session, person, now=now, actor=actor, reason=reason.strip())
    notice = alumni_notice(session, person, Kind.ALUMNI, reason.strip(), parts=[f"{now:%Y%m%d%H%M%S}"])
    return Decided(views.moved_done(person), commit(session, [notice], now=now))


# -- inactivity ----------------------------------------------------------------------------------------


def tracked_since(session: Session) -> dt.datetime | None:
    """Return when activity began to be recorded (set by the first inactivity review), or None."""
    value = get_program_setting(session, ACTIVITY_SINCE_KEY)
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


def backfilled_people(session: Session) -> set[int]:
    """Return the people whose work GitHub's API was read for (empty before the backfill, or without GitHub)."""
    value = get_program_setting(session, BACKFILL_KEY)
    people = value.get("people") if isinstance(value, dict) else None
    return {int(pid) for pid in people or []}


def list_inactive(session: Session, *, now: dt.datetime, policy: LifecyclePolicy) -> list[Inactive]:
    """Return the current committers inactive for longer than `policy.inactive_days` and not kept, longest first.

    A committer's clock starts at the latest of: their last recorded activity (with the bot or on GitHub),
    their newest commit grant, and when activity began to be recorded. For those whose GitHub history the
    backfill read, that history stands instead of the last (when it shows nothing, the start still does).
    """
    since = tracked_since(session)
    if since is None:
        return []
    committers = [p for p in roster_store.list_people_with_role(session, Role.COMMITTER) if p.id]
    ids = [p.id or 0 for p in committers]
    last = activity_store.last_activity_by_person(session, ids)
    grants = activity_store.latest_grant_dates(session, ids)
    kept = store.kept_people(session, today=now.date())
    read = backfilled_people(session)
    limit = dt.timedelta(days=policy.inactive_days)
    found = []
    for person in committers:
        pid = person.id or 0
        if pid in kept:
            continue
        granted = grants.get(pid)
        starts = [last[pid]] if pid in last else []
        if granted is not None:
            starts.append(dt.datetime.combine(granted, dt.time(), tzinfo=dt.UTC))
        if pid not in read or not starts:
            starts.append(since)
        counted_from = max(starts)
        if now - counted_from > limit:
            found.append(Inactive(person, last.get(pid), counted_from, (now - counted_from).days))
    return sorted(found, key=lambda i: (i.counted_from, i.person.github_key))


def _period(now: dt.datetime) -> str:
    year, week, _ = now.date().isocalendar()
    return f"{year}-W{week:02d}"


def _rows(session: Session, period: str) -> list[ProposalRow]:
    proposals = store.list_proposals(session, period)
    people = roster_store.list_people_by_ids(session, [p.person_id for p in proposals])
    return [ProposalRow(p, people[p.person_id]) for p in proposals if p.person_id in people]


def _chunks(rows: Sequence[Any]) -> list[Sequence[Any]]:
    return [rows[i : i + LIST_ROWS] for i in range(0, len(rows), LIST_ROWS)]


def admin_list_messages(
    session: Session,
    *,
    kind: Kind,
    rows: Sequence[Any],
    subject: Callable[[int, str], str],
    render: Callable[[Sequence[Any], int, int], tuple[Mrkdwn, list[Any]]],
    channels: Channels,
) -> list[Outgoing | None]:
    """Return one admin list as posts: each admin gets every chunk of rows, each chunk a posting to redraw."""
    chunks = _chunks(rows)
    messages: list[Outgoing | None] = []
    # Every admin gets the same chunks: each is rendered once.
    rendered: list[tuple[Mrkdwn, list[dict[str, Any]]]] = []
    for admin in admin_ids(session, channels):
        for index, chunk in enumerate(chunks):
            if index == len(rendered):
                text, blocks = render(chunk, index, len(chunks))
                rendered.append((text, [b if isinstance(b, dict) else b.to_dict() for b in blocks]))
            text, dicts = rendered[index]
            name = subject(index, admin)
            messages.append(post(kind, [name], admin, text, blocks=dicts, subject=name))
    return messages


def admin_list_redraws(
    session: Session,
    *,
    prefix: str,
    rows: Sequence[Any],
    render: Callable[[Sequence[Any], int, int], tuple[Mrkdwn, list[Any]]],
) -> list[Outgoing | None]:
    """Return the redraws of every posted copy of one admin list (subjects `prefix<chunk>:<admin>`)."""
    chunks = _chunks(rows)
    messages: list[Outgoing | None] = []
    for posting in renewal_store.list_postings_with_prefix(session, prefix):
        index_text = posting.subject[len(prefix) :].split(":", 1)[0]
        if index_text.isdigit() and int(index_text) < len(chunks):
            text, blocks = render(chunks[int(index_text)], int(index_text), len(chunks))
            messages.append(redraw(posting.subject, text, blocks))
    return messages


def _inactivity_render(
    policy: LifecyclePolicy, period: str, now: dt.datetime
) -> Callable[..., tuple[Mrkdwn, list[Any]]]:
    def render(chunk: Sequence[ProposalRow], index: int, total: int) -> tuple[Mrkdwn, list[Any]]:
        return views.inactivity_list(chunk, period=period, part=(index, total), policy=policy, now=now)

    return render


def backfill_github_activity(
    session: Session, connect: GitHubConnect | None, *, now: dt.datetime
) -> Backfill | None:
    """Once, with GitHub configured: record each current committer's latest merged PR and review from GitHub's API.

    Runs when no backfill is recorded and this day's claim is free (another instance may hold it);
    commits the claim before asking GitHub, and the signs with the record of whom it read after.
    A GitHub failure records nothing and leaves the backfill to a later review; None when not run.
    """
    if connect is None or get_program_setting(session, BACKFILL_KEY) is not None:
        return None
    committers = [
        p
        for p in roster_store.list_people_with_role(session, Role.COMMITTER)
        if p.id is not None and p.removed_on is None
    ]
    orgs = sorted(
        {
            repo.key.split("/")[0]
            for grants in roster_store.active_grants_by_person(session).values()
            for _, repo in grants
            if repo is not None
        }
    )
    if not committers or not orgs:
        return None
    if not add_program_setting_once(session, BACKFILL_CLAIM.format(day=now.date()), now.isoformat()):
        return None
    # Read before committing: no transaction stays open while GitHub answers (minutes, at its search rate).
    logins = [(p.id or 0, p.github) for p in committers]
    session.commit()
    work: dict[int, list[WorkSeen]] = {}
    try:
        with connect() as github:
            for pid, login in logins:
                try:
                    work[pid] = github.latest_work(login, orgs)
                except GitHubNotFound as exc:
                    logger.info("backfill: %s not read: %s", login, exc)
    except GitHubError as exc:
        logger.warning("backfill from GitHub stopped, tried again at a later review: %s", exc)
        return Backfill(failed=str(exc))
    recorded = sum(
        record_activity(session, pid, seen.kind, seen.at, pull_request_ref(seen.repo, seen.number))
        for pid, seen_list in work.items()
        for seen in seen_list
    )
    set_program_setting(session, BACKFILL_KEY, {"at": now.isoformat(), "people": sorted(work)})
    audit(session, now, "ccbot", "activity.backfilled", "github", read=len(work), recorded=recorded)
    session.commit()
    return Backfill(read=len(work), recorded=recorded)


def review_inactive(
    session: Session,
    *,
    now: dt.datetime,
    policy: LifecyclePolicy,
    channels: Channels,
    github: GitHubConnect | None = None,
) -> int:
    """Propose this week's inactive committers to the admins, each once, in one list per admin; return how many.

    With `github`, the first review reads each committer's latest work from GitHub's API first (once).
    """
    if tracked_since(session) is None:
        # Two instances may run the first review at once: the first to store the instant wins.
        add_program_setting_once(session, ACTIVITY_SINCE_KEY, now.isoformat())
    backfill = backfill_github_activity(session, github, now=now)
    if backfill is not None:
        logger.info("inactivity review: GitHub backfill %s", backfill)
    period = _period(now)
    fresh = store.add_proposals(
        session,
        [
            InactivityProposal(
                person_id=inactive.person.id or 0,
                period=period,
                proposed_at=now,
                last_active_at=inactive.last_active_at or inactive.counted_from,
            )
            for inactive in list_inactive(session, now=now, policy=policy)
        ],
    )
    rows = _rows(session, period)
    render = _inactivity_render(policy, period, now)
    messages = admin_list_messages(
        session,
        kind=Kind.INACTIVE_REVIEW,
        rows=rows,
        subject=lambda index, admin: Subject.inactivity_review(period, index, admin),
        render=render,
        channels=channels,
    )
    if fresh:
        # A second run in the same week adds its new rows to the lists already posted.
        messages += admin_list_redraws(
            session, prefix=Subject.inactivity_review_prefix(period), rows=rows, render=render
        )
    if fresh:
        audit(session, now, "ccbot", "inactivity.proposed", period, people=fresh)
    commit(session, messages, now=now)
    return fresh


def decide_inactive(
    session: Session,
    proposal_id: int,
    actor: Person,
    *,
    decision: InactivityDecision,
    now: dt.datetime,
    policy: LifecyclePolicy,
    channels: Channels,
) -> Decided[Mrkdwn]:
    """Keep a proposed committer (not proposed again for `keep_days`) or move them to alumni; redraw the lists."""
    proposal = store.get_proposal(session, proposal_id)
    if proposal is None:
        raise UserError(
            "This inactivity proposal no longer exists; the next weekly list has the current ones."
        )
    person = roster_store.get_person(session, proposal.person_id)
    assert person is not None
    kept_until = (
        now.date() + dt.timedelta(days=policy.keep_days) if decision is InactivityDecision.KEPT else None
    )
    if decision is InactivityDecision.MOVED and person.removed_on is not None:
        raise UserError(f"{person.github} is already an alumnus (since {person.removed_on}).")
    if decision is InactivityDecision.MOVED and proposal.decision is None:
        # The list may be a week old: whoever has been active since it was made is not moved on its word.
        latest = latest_activity(session, person.id or 0)
        if latest is not None and latest.at > proposal.proposed_at:
            raise UserError(views.active_since_text(person, latest))
    if not store.decide_proposal(
        session, proposal_id, decision=decision, by=actor.github, at=now, kept_until=kept_until
    ):
        session.rollback()
        session.refresh(proposal)
        raise UserError(views.already_decided(proposal))
    messages: list[Outgoing | None] = []
    if decision is InactivityDecision.MOVED:
        reason = views.inactive_reason(proposal, policy)
        move_to_alumni(session, person, now=now, actor=actor, reason=reason)
        messages.append(alumni_notice(session, person, Kind.ALUMNI, reason, parts=["inactive", proposal.id]))
        confirmation = views.moved_done(person)
    else:
        audit(session, now, actor, "inactivity.kept", person.github, until=str(kept_until))
        confirmation = views.kept_done(person, kept_until)
    session.flush()
    session.refresh(proposal)
    rows = _rows(session, proposal.period)
    messages += admin_list_redraws(
        session,
        prefix=Subject.inactivity_review_prefix(proposal.period),
        rows=rows,
        render=_inactivity_render(policy, proposal.period, now),
    )
    return Decided(confirmation, commit(session, messages, now=now))


def inactivity_summary(session: Session, *, now: dt.datetime, policy: LifecyclePolicy) -> InactivitySummary:
    """Return the committers inactive now and how many proposals of the last weeks await a decision."""
    return InactivitySummary(
        inactive=list_inactive(session, now=now, policy=policy),
        undecided=len(store.list_undecided_proposals(session, since=now - dt.timedelta(days=28))),
        days=policy.inactive_days,
    )
