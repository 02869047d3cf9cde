"""Repository functions for the outbox: messages decided, claimed for delivery, sent or failed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import OutboxMessage, OutboxStatus


def add_message(session: Session, message: OutboxMessage) -> bool:
    """Insert a message unless one with the same key exists; return whether it was inserted."""
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return False
    return True


def get_message_by_key(session: Session, key: str) -> OutboxMessage | None:
    """Return the outbox message with this key."""
    return session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first()


def list_deliverable_ids(
    session: Session, *, stale_before: dt.datetime, limit: int, keys: list[str] | None = None
) -> list[int]:
    """Return ids of pending messages, and of claims abandoned before `stale_before`, oldest first."""
    statement = (
        select(OutboxMessage.id)
        .where(
            (col(OutboxMessage.status) == OutboxStatus.PENDING.value)
            | (
                (col(OutboxMessage.status) == OutboxStatus.SENDING.value)
                & (col(OutboxMessage.claimed_at) < stale_before)
            )
        )
        .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
        .limit(limit)
    )
    if keys is not None:
        statement = statement.where(col(OutboxMessage.key).in_(keys))
    return [message_id for message_id in session.exec(statement).all() if message_id is not None]


def claim_message(
    session: Session, message_id: int, *, now: dt.datetime, stale_before: dt.datetime
) -> tuple[OutboxMessage, bool] | None:
    """Claim a message for this worker: return it and whether an earlier claim was abandoned mid-send, or None."""
    prior = session.exec(select(OutboxMessage.status).where(OutboxMessage.id == message_id)).first()
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message_id,
            (col(OutboxMessage.status) == OutboxStatus.PENDING.value)
            | (
                (col(OutboxMessage.status) == OutboxStatus.SENDING.value)
                & (col(OutboxMessage.claimed_at) < stale_before)
            ),
        )
        .values(
            status=OutboxStatus.SENDING.value,
            claimed_at=now,
            attempts=col(OutboxMessage.attempts) + 1,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    return message, prior == OutboxStatus.SENDING.value


def count_by_status(session: Session) -> dict[str, int]:
    """Return how many outbox messages are in each status."""
    statement = select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
    return {status: count for status, count in session.exec(statement).all()}
