"""Repository functions for what an operator watches: job runs, and the raw numbers behind the product metrics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.db import insert_once, seconds_between
from storage.models import Escalation, JobRun, OutboxMessage, OutboxStatus, Person, Question
from storage.questions import OPEN_STATES


def record_job_run(session: Session, name: str, *, started_at: dt.datetime, ok: bool, seconds: float) -> None:
    """Count one run of a job (several processes may record at once: the counts are added in SQL)."""
    insert_once(session, JobRun(name=name))
    outcome = (
        {"successes": JobRun.successes + 1, "last_success_at": started_at}
        if ok
        else {"failures": JobRun.failures + 1, "last_failure_at": started_at}
    )
    session.exec(
        update(JobRun)
        .where(col(JobRun.name) == name)
        .values(last_started_at=started_at, last_seconds=seconds, **outcome)
    )


def list_job_runs(session: Session) -> list[JobRun]:
    """Return every job's record, by name."""
    return list(session.exec(select(JobRun).order_by(col(JobRun.name))).all())


def list_first_responses(session: Session) -> list[tuple[dt.datetime, dt.datetime, str | None]]:
    """Return (asked, first response, the responder's time zone) of every question that has had a response."""
    rows = session.exec(
        select(Question.asked_at, Question.first_response_at, Person.timezone)
        .join(Person, col(Person.id) == col(Question.first_responder_id), isouter=True)
        .where(col(Question.first_response_at).is_not(None))
    ).all()
    return [(asked, answered, zone) for asked, answered, zone in rows if answered is not None]


def bucket_counts(
    session: Session, table: type, start: Any, end: Any, bounds: Sequence[float], *where: ColumnElement[bool]
) -> tuple[list[int], int, float]:
    """Return the cumulative count of rows whose seconds from `start` to `end` are at most each bound, with the
    total count and the sum of seconds (a Prometheus histogram's parts), counted in the database."""
    seconds = seconds_between(start, end)
    columns = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in bounds]
    query = sa_select(*columns, func.count(), func.coalesce(func.sum(seconds), 0.0)).select_from(table)
    row = session.exec(query.where(*where)).one()  # type: ignore[call-overload]
    *cumulative, count, total = row
    return [int(c or 0) for c in cumulative], int(count or 0), float(total or 0.0)


def escalation_ack_buckets(session: Session, bounds: Sequence[float]) -> tuple[list[int], int, float]:
    """Seconds from opening to acknowledgement of every acknowledged escalation, as histogram parts."""
    return bucket_counts(
        session,
        Escalation,
        col(Escalation.opened_at),
        col(Escalation.acknowledged_at),
        bounds,
        col(Escalation.acknowledged_at).is_not(None),
    )


def outbox_delay_buckets(session: Session, bounds: Sequence[float]) -> tuple[list[int], int, float]:
    """Seconds from falling due to being sent of every sent message, as histogram parts."""
    return bucket_counts(
        session,
        OutboxMessage,
        col(OutboxMessage.created_at),
        col(OutboxMessage.sent_at),
        bounds,
        col(OutboxMessage.status) == OutboxStatus.SENT.value,
        col(OutboxMessage.sent_at).is_not(None),
    )


def oldest_due_message(session: Session, *, now: dt.datetime) -> dt.datetime | None:
    """Return when the oldest message that is due and not yet sent fell due (None when there is none)."""
    due = (col(OutboxMessage.next_attempt_at).is_(None)) | (col(OutboxMessage.next_attempt_at) <= now)
    return session.exec(
        select(func.min(OutboxMessage.created_at)).where(
            col(OutboxMessage.status).in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]),
            col(OutboxMessage.created_at) <= now,
            due,
        )
    ).one()


def open_question_times(session: Session) -> list[dt.datetime]:
    """Return when each question still waiting for its first response was asked."""
    return list(
        session.exec(
            select(Question.asked_at).where(
                col(Question.state).in_(OPEN_STATES), col(Question.first_response_at).is_(None)
            )
        ).all()
    )
