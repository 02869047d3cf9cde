"""Aggregate queries behind the weekly digest: counts, percentiles and loads computed in SQL."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.db import seconds_between
from storage.models import (
    DeploymentNotice,
    Escalation,
    EscalationState,
    EscalationStep,
    Person,
    PersonRole,
    Question,
    QuestionResponder,
    QuestionState,
    Retro,
    RetroParticipant,
    RetroResponse,
)

OVERDUE_STEP = 50

# Unanswered states, listed so the state index serves the query.
OPEN_STATES = (QuestionState.OPEN.value, QuestionState.CLAIMED.value)


def count_questions(session: Session, *, start: dt.datetime, end: dt.datetime) -> tuple[int, int, int]:
    """Return (asked in the window, answered in the window, open now)."""
    asked = session.exec(
        select(func.count())
        .select_from(Question)
        .where(col(Question.asked_at) >= start, col(Question.asked_at) < end)
    ).one()
    answered = session.exec(
        select(func.count())
        .select_from(Question)
        .where(col(Question.answered_at) >= start, col(Question.answered_at) < end)
    ).one()
    still_open = session.exec(
        select(func.count()).select_from(Question).where(col(Question.state).in_(OPEN_STATES))
    ).one()
    return int(asked), int(answered), int(still_open)


def first_response_percentiles(
    session: Session, *, start: dt.datetime, end: dt.datetime, percentiles: tuple[float, ...]
) -> list[float | None]:
    """Return nearest-rank percentiles of seconds to first response, for questions asked in the window."""
    seconds = seconds_between(col(Question.asked_at), col(Question.first_response_at))
    window = (
        col(Question.asked_at) >= start,
        col(Question.asked_at) < end,
        col(Question.first_response_at).is_not(None),
    )
    total = int(session.exec(select(func.count()).select_from(Question).where(*window)).one())
    values: list[float | None] = []
    for p in percentiles:
        if total == 0:
            values.append(None)
            continue
        offset = max(0, math.ceil(p * total) - 1)
        value = session.exec(select(seconds).where(*window).order_by(seconds).limit(1).offset(offset)).one()
        values.append(float(value))
    return values


def champion_loads(session: Session, *, start: dt.datetime, end: dt.datetime) -> list[tuple[int, int, int]]:
    """Return (person id, open questions routed to or claimed by them, answered by them in the window)."""
    open_routed = session.exec(
        select(QuestionResponder.person_id, func.count())
        .join(Question, col(Question.id) == col(QuestionResponder.question_id))
        .where(col(Question.state).in_(OPEN_STATES))
        .group_by(col(QuestionResponder.person_id))
    ).all()
    answered = session.exec(
        select(Question.answered_by_id, func.count())
        .where(
            col(Question.answered_at) >= start,
            col(Question.answered_at) < end,
            col(Question.answered_by_id).is_not(None),
        )
        .group_by(col(Question.answered_by_id))
    ).all()
    loads: dict[int, list[int]] = {}
    for person_id, count in open_routed:
        loads.setdefault(person_id, [0, 0])[0] = int(count)
    for answerer_id, count in answered:
        if answerer_id is not None:
            loads.setdefault(answerer_id, [0, 0])[1] = int(count)
    return sorted(((pid, o, a) for pid, (o, a) in loads.items()), key=lambda row: (-row[1], -row[2], row[0]))


def count_escalations(session: Session, *, start: dt.datetime, end: dt.datetime) -> tuple[int, int, int, int]:
    """Return escalations (opened, acknowledged, resolved) in the window, and those overdue now."""

    def in_window(column: dt.datetime | None) -> int:
        statement = (
            select(func.count()).select_from(Escalation).where(col(column) >= start, col(column) < end)
        )
        return int(session.exec(statement).one())

    overdue = session.exec(
        select(func.count())
        .select_from(Escalation)
        .join(EscalationStep, col(EscalationStep.escalation_id) == col(Escalation.id))
        .where(col(Escalation.state) == EscalationState.OPEN.value, EscalationStep.step == OVERDUE_STEP)
    ).one()
    return (
        in_window(Escalation.opened_at),
        in_window(Escalation.acknowledged_at),
        in_window(Escalation.resolved_at),
        int(overdue),
    )


def list_committers_with_status(session: Session, status: str) -> list[Person]:
    """Return current committers with a given stored status."""
    statement = (
        select(Person)
        .join(PersonRole, col(PersonRole.person_id) == col(Person.id))
        .where(PersonRole.role == "committer", Person.status == status, col(Person.removed_on).is_(None))
        .order_by(col(Person.github_key))
    )
    return list(session.exec(statement).all())


def latest_retro_rate(session: Session) -> tuple[Retro, int, int] | None:
    """Return the newest retro with its number of responses and of participants."""
    retro = session.exec(select(Retro).order_by(col(Retro.opened_at).desc())).first()
    if retro is None:
        return None
    responses = session.exec(
        select(func.count()).select_from(RetroResponse).where(RetroResponse.retro_id == retro.id)
    ).one()
    participants = session.exec(
        select(func.count()).select_from(RetroParticipant).where(RetroParticipant.retro_id == retro.id)
    ).one()
    return retro, int(responses), int(participants)


def notice_stats(
    session: Session, *, start: dt.datetime, end: dt.datetime, events: list[str]
) -> tuple[int, int, float | None]:
    """Return production notices sent to committers in the window, how many were reverted, and the median time to revert."""
    window = (
        col(DeploymentNotice.received_at) >= start,
        col(DeploymentNotice.received_at) < end,
        col(DeploymentNotice.event).in_(events),
        col(DeploymentNotice.person_id).is_not(None),
    )
    total = int(session.exec(select(func.count()).select_from(DeploymentNotice).where(*window)).one())
    reverted_window = (*window, col(DeploymentNotice.reverted_at).is_not(None))
    reverted = int(
        session.exec(select(func.count()).select_from(DeploymentNotice).where(*reverted_window)).one()
    )
    if reverted == 0:
        return total, 0, None
    seconds = seconds_between(col(DeploymentNotice.received_at), col(DeploymentNotice.reverted_at))
    offset = max(0, math.ceil(0.5 * reverted) - 1)
    median = session.exec(
        select(seconds).where(*reverted_window).order_by(seconds).limit(1).offset(offset)
    ).one()
    return total, reverted, float(median)


def first_response_medians(session: Session, *, start: dt.datetime, end: dt.datetime) -> dict[int, float]:
    """Return each first responder's median seconds to first response, for questions asked in the window."""
    seconds = seconds_between(col(Question.asked_at), col(Question.first_response_at)).label("seconds")
    ranked = (
        select(
            col(Question.first_responder_id).label("person_id"),
            seconds,
            func.row_number()
            .over(partition_by=col(Question.first_responder_id), order_by=seconds)
            .label("rank"),
            func.count().over(partition_by=col(Question.first_responder_id)).label("total"),
        )
        .where(
            col(Question.asked_at) >= start,
            col(Question.asked_at) < end,
            col(Question.first_response_at).is_not(None),
            col(Question.first_responder_id).is_not(None),
        )
        .subquery()
    )
    # Nearest-rank median: the row whose rank is ceil(total / 2).
    statement = select(ranked.c.person_id, ranked.c.seconds).where(ranked.c.rank == (ranked.c.total + 1) // 2)
    return {int(person_id): float(value) for person_id, value in session.exec(statement).all()}
