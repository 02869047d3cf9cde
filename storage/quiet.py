"""Repository functions for reminder quiet: each person's preferences, and the reminders held for them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.db import insert_many_once, insert_once
from storage.models import (
    OutboxMessage,
    OutboxStatus,
    ReminderHold,
    ReminderPreference,
)


def get_preference(session: Session, person_id: int) -> ReminderPreference | None:
    """Return a person's reminder preferences, or None when they never set any."""
    return session.get(ReminderPreference, person_id)


def put_preference(session: Session, preference: ReminderPreference) -> ReminderPreference:
    """Insert or replace a person's reminder preferences."""
    merged = session.merge(preference)
    session.flush()
    return merged


def add_hold(session: Session, hold: ReminderHold) -> bool:
    """Record why a reminder is held unless it already is; return whether it was recorded."""
    return insert_once(session, hold)


def add_holds(session: Session, holds: Sequence[dict[str, Any]]) -> int:
    """Record holds (as column values), each unless its reminder is held already; return how many were recorded."""
    return insert_many_once(session, ReminderHold, holds)


def list_preferences(session: Session, person_ids: Iterable[int]) -> dict[int, ReminderPreference]:
    """Return the reminder preferences of these people (those who set any), by person id."""
    wanted = sorted(set(person_ids))
    found: dict[int, ReminderPreference] = {}
    for start in range(0, len(wanted), 500):
        statement = select(ReminderPreference).where(
            col(ReminderPreference.person_id).in_(wanted[start : start + 500])
        )
        found.update((p.person_id, p) for p in session.exec(statement).all())
    return found


def get_hold(session: Session, key: str) -> ReminderHold | None:
    """Return the hold of the reminder with this outbox key."""
    return session.get(ReminderHold, key)


def list_held_messages(session: Session, person_id: int) -> list[tuple[ReminderHold, OutboxMessage]]:
    """Return a person's held reminders still waiting in the outbox, with their messages, soonest first."""
    statement = (
        select(ReminderHold, OutboxMessage)
        .join(OutboxMessage, col(OutboxMessage.key) == col(ReminderHold.key))
        .where(ReminderHold.person_id == person_id, OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
    )
    return [(hold, message) for hold, message in session.exec(statement).all()]


def reschedule_message(session: Session, key: str, *, at: dt.datetime) -> bool:
    """Move a pending outbox message to `at` (its retry window starting then); False when it is no longer pending."""
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.key) == key, col(OutboxMessage.status) == OutboxStatus.PENDING)
        .values(next_attempt_at=at, created_at=at, attempts=0, error=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def existing_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Return which of these outbox keys are already in the outbox."""
    wanted = sorted(set(keys))
    found: set[str] = set()
    # In slices, so a round of thousands stays within the database's limit on bound parameters.
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found |= set(session.exec(select(OutboxMessage.key).where(col(OutboxMessage.key).in_(chunk))).all())
    return found
