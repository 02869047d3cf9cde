"""Repository functions for the Slack directory: the resolution requests, their leases and progress, and the roster
people whose Slack id or time zone is missing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.models import Person, ResolutionMode, ResolutionState, SlackResolution


def add_resolution(session: Session, *, now: dt.datetime, actor: str) -> SlackResolution:
    """Ask for a resolution (not committed): a request not yet started already covers everyone, so it is reused."""
    waiting = session.exec(
        select(SlackResolution)
        .where(SlackResolution.state == ResolutionState.PENDING)
        .order_by(col(SlackResolution.id))
    ).first()
    if waiting is not None:
        return waiting
    request = SlackResolution(requested_at=now, requested_by=actor[:100])
    session.add(request)
    session.flush()
    return request


def next_resolution(session: Session) -> SlackResolution | None:
    """Return the oldest request not done yet, or None."""
    return session.exec(
        select(SlackResolution)
        .where(SlackResolution.state != ResolutionState.DONE)
        .order_by(col(SlackResolution.id))
    ).first()


def latest_resolution(session: Session) -> SlackResolution | None:
    """Return the newest request, whatever its state."""
    return session.exec(select(SlackResolution).order_by(col(SlackResolution.id).desc())).first()


def has_pending_after(session: Session, request_id: int) -> bool:
    """Whether a request newer than this one waits (it will look at everyone again)."""
    newer = session.exec(
        select(SlackResolution.id).where(
            col(SlackResolution.id) > request_id, SlackResolution.state != ResolutionState.DONE
        )
    ).first()
    return newer is not None


def claim_resolution(
    session: Session, request_id: int, *, owner: str, now: dt.datetime, until: dt.datetime
) -> bool:
    """Take the request's lease unless another process holds an unexpired one; return whether taken (flushed)."""
    result = session.execute(
        update(SlackResolution)
        .where(
            col(SlackResolution.id) == request_id,
            col(SlackResolution.state) != ResolutionState.DONE,
            or_(
                col(SlackResolution.lease_until).is_(None),
                col(SlackResolution.lease_until) < now,
                col(SlackResolution.claimed_by) == owner,
            ),
        )
        .values(claimed_by=owner, lease_until=until, state=ResolutionState.RUNNING)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def save_progress(session: Session, request_id: int, *, owner: str, **values: Any) -> bool:
    """Write the request's progress (and lease) if this process still holds it; return whether it does."""
    result = session.execute(
        update(SlackResolution)
        .where(col(SlackResolution.id) == request_id, col(SlackResolution.claimed_by) == owner)
        .values(**values)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def release_resolution(session: Session, request_id: int, *, owner: str) -> None:
    """Give the lease back (the request stays where it is, for the next run to continue)."""
    session.execute(
        update(SlackResolution)
        .where(col(SlackResolution.id) == request_id, col(SlackResolution.claimed_by) == owner)
        .values(claimed_by=None, lease_until=None)
    )


def close_older_pending(session: Session, request_id: int, *, now: dt.datetime) -> None:
    """Mark the other requests waiting, asked by `now` (when this one started), done: it covers them."""
    session.execute(
        update(SlackResolution)
        .where(
            col(SlackResolution.id) != request_id,
            col(SlackResolution.state) == ResolutionState.PENDING,
            col(SlackResolution.requested_at) <= now,
        )
        .values(state=ResolutionState.DONE, finished_at=now)
    )


def last_walk_size(session: Session) -> int:
    """Return how many Slack members the latest finished walk of users.list saw (0 before any)."""
    size = session.exec(
        select(SlackResolution.members)
        .where(SlackResolution.state == ResolutionState.DONE, SlackResolution.mode == ResolutionMode.WALK)
        .order_by(col(SlackResolution.id).desc())
    ).first()
    return size or 0


def unresolved_people(session: Session) -> list[tuple[int, str, str | None, str | None, bool]]:
    """Return (id, handle, e-mail, Slack id, has a time zone) of every current person missing a Slack id or a
    time zone, by id."""
    rows = session.execute(
        sa_select(
            col(Person.id),
            col(Person.github),
            col(Person.email),
            col(Person.slack_user_id),
            col(Person.timezone),
        )
        .where(
            col(Person.removed_on).is_(None),
            or_(col(Person.slack_user_id).is_(None), col(Person.timezone).is_(None)),
        )
        .order_by(col(Person.id))
    ).all()
    return [(int(pid or 0), github, email, slack, bool(zone)) for pid, github, email, slack, zone in rows]


def count_linked(session: Session) -> int:
    """Return how many people (alumni too) have a Slack id: the workspace has at least that many members."""
    return int(
        session.exec(
            select(func.count()).select_from(Person).where(col(Person.slack_user_id).is_not(None))
        ).one()
    )


def slack_holders(session: Session, user_ids: list[str]) -> dict[str, tuple[int, str]]:
    """Return {Slack id: (person id, handle)} of the people holding these Slack ids."""
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(user_ids), 500):
        rows = session.exec(
            select(Person.slack_user_id, Person.id, Person.github).where(
                col(Person.slack_user_id).in_(user_ids[start : start + 500])
            )
        ).all()
        found.update({slack: (int(pid or 0), github) for slack, pid, github in rows if slack})
    return found
