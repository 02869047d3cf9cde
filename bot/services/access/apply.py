"""Applying an access plan: exactly the plan reviewed, within the caps, each write recorded before GitHub sees it.

A write is recorded as pending and committed before GitHub is called, then settled with GitHub's answer. A run
killed in between leaves pending writes; the next run reconciles them with what GitHub shows and tells the
admins. The plan file carries a digest over its writes: a plan that no longer matches the roster and GitHub
is refused with the difference, never applied in part.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bot.services.access.config import AccessConfig
from bot.services.access.notices import notice_messages
from bot.services.access.plan import plan_access
from bot.services.admins import admin_messages
from bot.services.audit import audit
from bot.services.errors import UserError
from bot.services.github.api import GitHubApi, GitHubError, GitHubNotFound
from bot.services.github.identity import Identities
from bot.services.outbox import Outgoing, commit
from bot.types.access import PLAN_FORMAT, AccessPlan, ApplyReport, Change, Settled, changes_digest
from bot.types.keys import Kind
from bot.types.policy import Channels
from bot.views import access as views
from storage import access as store
from storage.models import AccessChange, AccessOp, GitHubAccess, TeamAccessState

PENDING = store.PENDING
# A pending write younger than this may belong to a run still going: it is left for a later run to settle.
SETTLE_AFTER = dt.timedelta(minutes=2)


class PlanMoved(UserError):
    """The roster or GitHub changed since the plan was reviewed; the message holds the difference."""


@dataclass(frozen=True)
class ReviewedPlan:
    """A plan as written for review: its writes and the digest over them."""

    changes: list[Change]
    digest: str
    created_at: str = ""
    source: str = ""


def plan_document(plan: AccessPlan) -> dict[str, Any]:
    """Return the plan as the file `ccbot access plan --out` writes: each write with reason and source, and the digest."""
    return {
        "format": PLAN_FORMAT,
        "created_at": plan.created_at.isoformat() if plan.created_at else None,
        "config": plan.config,
        "summary": plan.summary,
        "digest": plan.digest,
        "changes": [change.as_record() for change in plan.changes],
        "held": [
            {**held.change.as_record(), "remove_after": held.remove_after.isoformat()} for held in plan.held
        ],
        "notices": [
            {"login": n.login, "cause": n.cause.value, "reason": n.reason, "teams": list(n.teams)}
            for n in plan.notices
        ],
    }


def write_plan(plan: AccessPlan, path: Path) -> str:
    """Write the plan file; return its digest."""
    document = plan_document(plan)
    try:
        path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot write the plan ({exc.__class__.__name__})") from None
    return str(document["digest"])


def read_plan_text(text: str, *, source: str) -> ReviewedPlan:
    """Read a plan file's text; UserError when it is not a plan or was edited after it was written."""
    try:
        document = json.loads(text)
    except ValueError:
        raise UserError(
            f"{source}: not a plan file (write one with `ccbot access plan --out FILE`)"
        ) from None
    if not isinstance(document, dict) or document.get("format") != PLAN_FORMAT:
        raise UserError(f"{source}: not a plan file of this ccbot ({PLAN_FORMAT}); write it again with --out")
    records = document.get("changes")
    try:
        if not isinstance(records, list):
            raise TypeError
        changes = [Change.from_record(record) for record in records]
    except (KeyError, ValueError, TypeError, AttributeError):
        raise UserError(
            f"{source}: its changes are not in the plan format; write it again with --out"
        ) from None
    digest = str(document.get("digest") or "")
    if changes_digest(changes) != digest:
        raise UserError(
            f"{source}: the plan's changes do not match its digest (the file was edited after it was written); "
            "write it again with `ccbot access plan --out`"
        )
    return ReviewedPlan(changes, digest, str(document.get("created_at") or ""), source)


def read_plan(path: Path) -> ReviewedPlan:
    """Read a plan file written by `ccbot access plan --out`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: not found (write it with `ccbot access plan --out {path}`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read it ({exc.__class__.__name__})") from None
    return read_plan_text(text, source=str(path))


def diff_lines(reviewed: list[Change], current: list[Change]) -> list[str]:
    """Return the difference between a reviewed plan's writes and today's, one line per write."""
    before, after = (
        {c.as_record().__repr__(): c for c in reviewed},
        {c.as_record().__repr__(): c for c in current},
    )
    lines = [f"  no longer planned:  {before[key].line}" for key in before if key not in after]
    lines += [f"  newly planned:      {after[key].line}" for key in after if key not in before]
    return lines


def check_unchanged(reviewed: ReviewedPlan, plan: AccessPlan) -> None:
    """Refuse, with the difference, when today's plan is not the plan reviewed."""
    if plan.digest == reviewed.digest:
        return
    lines = diff_lines(reviewed.changes, plan.changes)
    raise PlanMoved(
        "the roster or GitHub changed since the plan was reviewed; nothing was changed. The difference:\n"
        + "\n".join(lines or ["  (the same writes, with other reasons or accounts)"])
        + "\nReview the new plan (`ccbot access plan --out FILE`) and apply that one."
    )


def check_limits(plan: AccessPlan, *, max_additions: int, max_removals: int) -> None:
    """Refuse a plan with more additions or removals than allowed; nothing is changed then."""
    for changes, limit, flag, verb in (
        (plan.adds, max_additions, "--max-additions", "adds"),
        (plan.removals, max_removals, "--max-removals", "removes"),
    ):
        if len(changes) > limit:
            teams = Counter(c.team for c in changes)
            worst = ", ".join(f"{team} ({n})" for team, n in teams.most_common(3))
            raise UserError(
                f"the plan {verb} {len(changes)} memberships, more than {flag} {limit} ({worst}); nothing was "
                f"changed. Check `ccbot access plan`, then run again with a higher {flag} if it is right"
            )


def record_access(session: Session, plan: AccessPlan, *, now: dt.datetime) -> None:
    """Store the comparison `/cc` and App Home show each committer (without committing)."""
    store.replace_access(
        session,
        (
            GitHubAccess(person_id=person_id, team=team, state=state, checked_at=now)
            for (person_id, team), state in plan.states.items()
        ),
    )


@dataclass(frozen=True)
class Applied:
    """What applying a plan did, and the keys of the messages committed with it."""

    report: ApplyReport
    keys: tuple[str, ...] = ()


def apply_plan(
    session: Session,
    plan: AccessPlan,
    github: GitHubApi,
    *,
    max_additions: int,
    max_removals: int,
    now: dt.datetime,
    actor: str,
    channels: Channels,
    extra: list[Outgoing | None] | None = None,
) -> Applied:
    """Make exactly the plan's writes on GitHub, each recorded before it is made and settled after.

    The run's record (what `/cc` shows, the notices due, the audit entry) commits last, with the admins' report.
    """
    check_limits(plan, max_additions=max_additions, max_removals=max_removals)
    report = ApplyReport()
    digest = plan.digest
    for change in plan.changes:
        row = _intend(session, change, now=now, actor=actor, digest=digest)
        org, _, slug = change.team.partition("/")
        try:
            if change.op is AccessOp.ADD:
                state = github.add_team_member(org, slug, change.login)
            else:
                # Already gone is the outcome wanted.
                with contextlib.suppress(GitHubNotFound):
                    github.remove_team_member(org, slug, change.login)
                state = ""
        except GitHubError as exc:
            _settle(session, row, "failed", error=str(exc))
            report.failed.append((change, str(exc)))
            continue
        key = (change.person_id or 0, change.team)
        if change.op is AccessOp.ADD:
            invited = state == "pending"
            (report.invited if invited else report.added).append(change)
            plan.states[key] = TeamAccessState.PENDING if invited else TeamAccessState.MEMBER
            _settle(session, row, "invited" if invited else "added")
        else:
            report.removed.append(change)
            plan.states.pop(key, None)
            _settle(session, row, "cancelled" if change.invitation else "removed")
    record_access(session, plan, now=now)
    notices = notice_messages(session, plan, now=now)
    report.noticed = list(plan.notices)
    audit(
        session,
        now,
        actor,
        "access.applied",
        "github",
        plan=digest[:12],
        added=len(report.added),
        invited=len(report.invited),
        removed=len(report.removed),
        failed=len(report.failed),
    )
    changed = report.added or report.invited or report.removed or report.failed
    stamp = f"{now:%Y%m%dT%H%M%S}"
    messages = admin_messages(
        session, channels, Kind.ACCESS_APPLY, [stamp], views.applied_text(report, actor)
    )
    return Applied(
        report, commit(session, [*(extra or []), *notices, *(messages if changed else [])], now=now)
    )


def _intend(session: Session, change: Change, *, now: dt.datetime, actor: str, digest: str) -> AccessChange:
    row = store.add_access_change(
        session,
        AccessChange(
            at=now,
            actor=actor[:100],
            team=change.team,
            login=change.login,
            github_id=change.github_id,
            person_id=change.person_id,
            change=change.op,
            reason=change.reason[:300],
            result=PENDING,
            plan=digest,
        ),
    )
    # Committed before GitHub is called: a run killed during the call still shows what it set out to do.
    session.commit()
    return row


def _settle(session: Session, row: AccessChange, result: str, *, error: str | None = None) -> None:
    row.result = result
    row.error = error[:500] if error else None
    session.add(row)
    session.commit()


@dataclass(frozen=True)
class Reconciled:
    """Writes an interrupted run left unsettled, as GitHub shows them now, and the admins' report's keys."""

    settled: list[Settled]
    keys: tuple[str, ...] = ()


def reconcile(
    session: Session, github: GitHubApi, *, now: dt.datetime, channels: Channels, actor: str
) -> Reconciled:
    """Settle the writes an interrupted run set out to make by what GitHub shows, and tell the admins."""
    rows = store.list_unsettled_changes(session, before=now - SETTLE_AFTER)
    if not rows:
        return Reconciled([])
    teams: dict[str, tuple[set[int | str], set[int | str]]] = {}
    settled: list[Settled] = []
    for row in rows:
        if row.team not in teams:
            org, _, slug = row.team.partition("/")
            try:
                members = github.team_members(org, slug)
                invited = github.team_invitations(org, slug)
            except GitHubNotFound:
                members, invited = [], []
            teams[row.team] = (
                {a.id for a in members} | {a.login.lower() for a in members},
                {a.id for a in invited} | {a.login.lower() for a in invited},
            )
        members_keys, invited_keys = teams[row.team]
        who = row.github_id if row.github_id is not None else row.login.lower()
        if row.change == AccessOp.ADD:
            outcome = "added" if who in members_keys else "invited" if who in invited_keys else "not made"
        else:
            outcome = "not made" if who in members_keys or who in invited_keys else "removed"
        row.result, row.reconciled_at = outcome, now
        session.add(row)
        settled.append(
            Settled(
                Change(
                    team=row.team,
                    login=row.login,
                    person_id=row.person_id,
                    reason=row.reason,
                    op=AccessOp(row.change),
                    github_id=row.github_id,
                ),
                outcome,
                row.at,
            )
        )
    audit(session, now, actor, "access.reconciled", "github", writes=len(settled))
    text = views.reconciled_text(settled)
    messages = admin_messages(session, channels, Kind.ACCESS_INTERRUPTED, [f"{now:%Y%m%dT%H%M%S}"], text)
    return Reconciled(settled, commit(session, messages, now=now))


@dataclass(frozen=True)
class Fresh:
    """A plan made now, after settling what an interrupted run left: the plan, the settled run's message keys,
    and the admins' messages about logins held by another account."""

    plan: AccessPlan
    settled: Reconciled
    identity: list[Outgoing | None]


def fresh_plan(
    session: Session,
    github: GitHubApi,
    config: AccessConfig,
    *,
    now: dt.datetime,
    notice_days: int,
    channels: Channels,
    actor: str,
) -> Fresh:
    """Reconcile an interrupted run's writes, then plan as of `now` (ids first seen kept in the session)."""
    settled = reconcile(session, github, now=now, channels=channels, actor=actor)
    identities = Identities(session, now)
    plan = plan_access(session, config, github, now=now, notice_days=notice_days, identities=identities)
    return Fresh(plan, settled, identities.messages(channels))
