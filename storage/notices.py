"""Repository functions for deployment events and the notices they carry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import DeploymentEvent, DeploymentEventKind, DeploymentNotice, HookDelivery


def claim_deliveries(session: Session, keys: Sequence[str], *, hook: str, now: dt.datetime) -> bool:
    """Record a webhook delivery's keys in the open transaction; False (and rolled back) when one is already known.

    Call it before any other write of the transaction: on a conflict the transaction is rolled back. (A SAVEPOINT
    is avoided on purpose: with SQLite's driver a savepoint opened first commits on its own when released.)
    """
    if not keys:
        return True
    known = session.exec(select(HookDelivery.key).where(col(HookDelivery.key).in_(list(keys)))).first()
    if known is not None:
        return False
    session.add_all(HookDelivery(key=key, hook=hook, received_at=now) for key in keys)
    try:
        session.flush()
    except IntegrityError:  # the same delivery, recorded by a concurrent request that committed first
        session.rollback()
        return False
    return True


def existing_notice_keys(session: Session, keys: list[str]) -> set[str]:
    """Return which of these notice keys are already recorded."""
    if not keys:
        return set()
    return set(session.exec(select(DeploymentNotice.key).where(col(DeploymentNotice.key).in_(keys))).all())


def add_event(session: Session, event: DeploymentEvent) -> DeploymentEvent:
    """Insert a deployment event and return it with its id."""
    session.add(event)
    session.flush()
    return event


def add_notice(session: Session, notice: DeploymentNotice) -> DeploymentNotice:
    """Insert a notice and return it with its id."""
    session.add(notice)
    session.flush()
    return notice


def get_notice(session: Session, notice_id: int) -> DeploymentNotice | None:
    """Return the notice with this id."""
    return session.get(DeploymentNotice, notice_id)


def get_event(session: Session, event_id: int) -> DeploymentEvent | None:
    """Return the deployment event with this id."""
    return session.get(DeploymentEvent, event_id)


def list_open_notices_for_pr(
    session: Session, repo_id: int, pr_number: int, events: list[DeploymentEventKind]
) -> list[DeploymentNotice]:
    """Return notices of these events about one PR that are not reverted yet."""
    statement = select(DeploymentNotice).where(
        DeploymentNotice.repo_id == repo_id,
        DeploymentNotice.pr_number == pr_number,
        col(DeploymentNotice.event).in_(events),
        col(DeploymentNotice.reverted_at).is_(None),
    )
    return list(session.exec(statement).all())


def list_recent_notices_of(
    session: Session, person_id: int, *, since: dt.datetime, limit: int = 10
) -> list[DeploymentNotice]:
    """Return a committer's notices since an instant, newest first."""
    statement = (
        select(DeploymentNotice)
        .where(DeploymentNotice.person_id == person_id, col(DeploymentNotice.received_at) >= since)
        .order_by(col(DeploymentNotice.received_at).desc())
        .limit(limit)
    )
    return list(session.exec(statement).all())
