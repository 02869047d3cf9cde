"""Repository functions for the outbox and the postings: messages decided, claimed, sent or failed; where each lives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, exists, func, literal, update
from sqlmodel import Session, col, select

from storage.db import insert_many_once, insert_once
from storage.models import OutboxLane, OutboxMessage, OutboxOp, OutboxStatus, SlackBudget, SlackPosting


def add_message(session: Session, message: OutboxMessage) -> bool:
    """Insert a message unless one with the same key exists; return whether it was inserted."""
    return insert_once(session, message)


def add_messages(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert messages (as column values), each unless one with its key exists; return how many were inserted."""
    return insert_many_once(session, OutboxMessage, rows)


def replace_message(session: Session, message: OutboxMessage) -> bool:
    """Insert a message, or give the one with its key new content to deliver (a redraw); return True."""
    if add_message(session, message):
        return True
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.key) == message.key)
        .values(
            text=message.text,
            blocks=message.blocks,
            version=col(OutboxMessage.version) + 1,
            attempts=0,
            error=None,
            next_attempt_at=None,
            # A redraw being sent keeps its claim; finishing it sees the new version and sends again.
            status=case(
                (col(OutboxMessage.status) == OutboxStatus.SENDING, OutboxStatus.SENDING),
                else_=OutboxStatus.PENDING,
            ),
        )
    )
    return True


def get_message_by_key(session: Session, key: str) -> OutboxMessage | None:
    """Return the outbox message with this key."""
    return session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first()


def _deliverable(stale_before: dt.datetime, now: dt.datetime) -> object:
    pending = (col(OutboxMessage.status) == OutboxStatus.PENDING) & (
        col(OutboxMessage.next_attempt_at).is_(None) | (col(OutboxMessage.next_attempt_at) <= now)
    )
    abandoned = (col(OutboxMessage.status) == OutboxStatus.SENDING) & (
        col(OutboxMessage.claimed_at) < stale_before
    )
    return pending | abandoned


def list_deliverable_ids(
    session: Session,
    *,
    stale_before: dt.datetime,
    now: dt.datetime,
    limit: int,
    keys: list[str] | None = None,
    lane: OutboxLane | None = None,
) -> list[int]:
    """Return ids of pending messages due now, and of claims abandoned before `stale_before`: interactive
    ones first, then bulk (or only those of `lane`), oldest first.

    With `keys`, those messages and any other waiting for a posting one of them makes (a repeat's DM that links
    a thread root still on its way, decided by another request).
    """
    statement = (
        select(OutboxMessage.id)
        .where(_deliverable(stale_before, now))  # type: ignore[arg-type]
        .order_by(
            case((col(OutboxMessage.lane) == OutboxLane.BULK, 1), else_=0),
            col(OutboxMessage.created_at),
            col(OutboxMessage.id),
        )
        .limit(limit)
    )
    if lane is not None:
        statement = statement.where(col(OutboxMessage.lane) == lane)
    if keys is not None:
        posts = select(OutboxMessage.subject).where(
            col(OutboxMessage.key).in_(keys),
            col(OutboxMessage.subject).is_not(None),
            OutboxMessage.op == OutboxOp.POST,
        )
        statement = statement.where(col(OutboxMessage.key).in_(keys) | col(OutboxMessage.after).in_(posts))
    return [message_id for message_id in session.exec(statement).all() if message_id is not None]


def has_deliverable(
    session: Session, lane: OutboxLane, *, stale_before: dt.datetime, now: dt.datetime
) -> bool:
    """Return whether a message of `lane` is waiting to be delivered now."""
    statement = select(OutboxMessage.id).where(
        col(OutboxMessage.lane) == lane,
        _deliverable(stale_before, now),  # type: ignore[arg-type]
    )
    return session.exec(statement.limit(1)).first() is not None


def claim_message(
    session: Session, message_id: int, *, now: dt.datetime, stale_before: dt.datetime
) -> tuple[OutboxMessage, bool] | None:
    """Claim a message for this worker: return it and whether an earlier claim was abandoned mid-send, or None."""
    prior = session.exec(select(OutboxMessage.status).where(OutboxMessage.id == message_id)).first()
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, _deliverable(stale_before, now))  # type: ignore[arg-type]
        .values(
            status=OutboxStatus.SENDING,
            claimed_at=now,
            attempts=col(OutboxMessage.attempts) + 1,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    return message, prior == OutboxStatus.SENDING


def finish_message(
    session: Session, message_id: int, *, version: int, sent_at: dt.datetime, ts: str | None
) -> bool:
    """Mark a claimed message sent; a redraw replaced meanwhile goes back to pending. Return whether it is done."""
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(
            status=case(
                (col(OutboxMessage.version) == version, OutboxStatus.SENT),
                else_=OutboxStatus.PENDING,
            ),
            sent_at=sent_at,
            ts=ts,
            error=None,
            next_attempt_at=None,
        )
    )
    status = session.exec(select(OutboxMessage.status).where(OutboxMessage.id == message_id)).first()
    return status == OutboxStatus.SENT


def release_message(
    session: Session, message_id: int, *, retry_at: dt.datetime | None, error: str | None
) -> None:
    """Put a claimed message back to pending (without spending an attempt when nothing was tried)."""
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(
            status=OutboxStatus.PENDING,
            next_attempt_at=retry_at,
            error=error,
        )
    )


def fail_message(session: Session, message_id: int, *, error: str) -> None:
    """Mark a message failed for good."""
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(status=OutboxStatus.FAILED, error=error[:500], next_attempt_at=None)
    )


def refund_attempt(session: Session, message_id: int) -> None:
    """Give back the attempt a claim spent when the message could not be tried yet."""
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.attempts) > 0)
        .values(attempts=col(OutboxMessage.attempts) - 1)
    )


def subject_failed(session: Session, subject: str) -> str | None:
    """Return why the post that was to create `subject` failed for good, or None when it has not."""
    statement = select(OutboxMessage).where(
        OutboxMessage.subject == subject,
        OutboxMessage.op == "post",
        OutboxMessage.status == OutboxStatus.FAILED,
    )
    message = session.exec(statement).first()
    return (message.error or "failed") if message is not None else None


def count_by_status(session: Session) -> dict[str, int]:
    """Return how many outbox messages are in each status."""
    statement = select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
    return {status: count for status, count in session.exec(statement).all()}


# -- the sending budget ------------------------------------------------------------------------------


def take_budget(
    session: Session, draws: Sequence[tuple[str, str, float, float]], *, now: float, count: int = 1
) -> float:
    """Take `count` calls from each budget (method, scope, interval, tolerance) at once, or from none; commit.

    Return 0 when taken, else the Slack seconds until the budget that refused would allow it. A budget allows a
    call when its `next_at` minus the tolerance is not after `now`; taking one moves `next_at` an interval on.
    The conditional UPDATE makes it atomic between instances, on SQLite and PostgreSQL alike.
    """
    for method, scope, interval, tolerance in sorted(draws):
        while True:
            result = session.execute(
                update(SlackBudget)
                .where(
                    col(SlackBudget.method) == method,
                    col(SlackBudget.scope) == scope,
                    col(SlackBudget.next_at) - tolerance <= now,
                )
                .values(
                    next_at=case((col(SlackBudget.next_at) > now, col(SlackBudget.next_at)), else_=now)
                    + interval * count
                )
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                break
            next_at = session.exec(
                select(SlackBudget.next_at).where(SlackBudget.method == method, SlackBudget.scope == scope)
            ).first()
            if next_at is not None:
                # Nothing was written; end the transaction without a rollback, which would expire every object
                # of the caller's session (a handler delivering its own messages reads them afterwards).
                session.commit()
                return max(next_at - tolerance - now, 1e-6)
            if insert_once(session, SlackBudget(method=method, scope=scope, next_at=now + interval * count)):
                break
    session.commit()
    return 0.0


def hold_budget(session: Session, holds: Sequence[tuple[str, str, float]]) -> None:
    """Keep every call of these budgets (method, scope, next_at) waiting until `next_at` at least (a Retry-After
    Slack answered); commit."""
    for method, scope, next_at in sorted(holds):
        if insert_once(session, SlackBudget(method=method, scope=scope, next_at=next_at)):
            continue
        session.execute(
            update(SlackBudget)
            .where(
                col(SlackBudget.method) == method,
                col(SlackBudget.scope) == scope,
                col(SlackBudget.next_at) < next_at,
            )
            .values(next_at=next_at)
        )
    session.commit()


# -- postings ----------------------------------------------------------------------------------------


def is_posted(prefix: str, id_column: Any) -> ColumnElement[bool]:
    """Return a filter: the row whose id is in `id_column` has a posting under subject `prefix:<id>`."""
    subject = literal(f"{prefix}:").concat(cast(id_column, String))
    return exists().where(col(SlackPosting.subject) == subject)


def get_posting(session: Session, subject: str) -> SlackPosting | None:
    """Return where `subject` was posted, or None when it is not (yet) posted."""
    return session.get(SlackPosting, subject)


def get_posting_by_message(session: Session, channel: str, ts: str) -> SlackPosting | None:
    """Return the posting that is the message `ts` in `channel`."""
    statement = select(SlackPosting).where(SlackPosting.channel == channel, SlackPosting.ts == ts)
    return session.exec(statement).first()


def list_postings(session: Session, subjects: Iterable[str]) -> dict[str, SlackPosting]:
    """Return the postings of these subjects, by subject (subjects not posted are absent)."""
    wanted = sorted(set(subjects))
    if not wanted:
        return {}
    statement = select(SlackPosting).where(col(SlackPosting.subject).in_(wanted))
    return {posting.subject: posting for posting in session.exec(statement).all()}


def add_posting(session: Session, posting: SlackPosting) -> bool:
    """Record where a subject was posted unless it already is; return whether it was recorded."""
    return insert_once(session, posting)
