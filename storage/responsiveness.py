"""Repository functions for champions' responsiveness: turns, the questions measured, nudge DMs and ratings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.models import (
    NudgeRating,
    NudgeRecipient,
    Person,
    Question,
    QuestionNudge,
    QuestionResponder,
    QuestionState,
    QuestionTurn,
    RepoArea,
    Turn,
)
from storage.roster import list_people_by_ids

# Questions are read in chunks of ids, inside every database's limit on bound parameters.
CHUNK = 500


@dataclass(frozen=True)
class MeasuredRow:
    """A question as responsiveness measures it: when it was asked and first answered, by whom, in which area."""

    id: int
    asked_at: dt.datetime
    first_response_at: dt.datetime | None
    first_responder_id: int | None
    first_responder_timezone: str | None
    claimed_by_id: int | None
    answered_at: dt.datetime | None
    state: QuestionState
    turn: Turn
    area: str | None


def open_turn(session: Session, question_id: int) -> QuestionTurn | None:
    """Return a question's turn still running, or None (a question asked before turns were kept)."""
    statement = (
        select(QuestionTurn)
        .where(QuestionTurn.question_id == question_id, col(QuestionTurn.ended_at).is_(None))
        .order_by(col(QuestionTurn.started_at).desc(), col(QuestionTurn.id).desc())
    )
    return session.exec(statement).first()


def add_turn(session: Session, turn: QuestionTurn) -> QuestionTurn:
    """Insert a turn and return it with its id."""
    session.add(turn)
    session.flush()
    return turn


def list_turns(session: Session, question_ids: Iterable[int]) -> dict[int, list[QuestionTurn]]:
    """Return the turns of these questions, each question's in order."""
    turns: dict[int, list[QuestionTurn]] = defaultdict(list)
    ids = sorted(set(question_ids))
    for start in range(0, len(ids), CHUNK):
        statement = (
            select(QuestionTurn)
            .where(col(QuestionTurn.question_id).in_(ids[start : start + CHUNK]))
            .order_by(col(QuestionTurn.question_id), col(QuestionTurn.started_at), col(QuestionTurn.id))
        )
        for turn in session.exec(statement).all():
            turns[turn.question_id].append(turn)
    return dict(turns)


def list_measured(
    session: Session, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[MeasuredRow]:
    """Return the questions asked in [start, end) (every question without bounds), oldest first."""
    responder = aliased(Person)
    statement = (
        sa_select(
            col(Question.id),
            col(Question.asked_at),
            col(Question.first_response_at),
            col(Question.first_responder_id),
            col(responder.timezone),
            col(Question.claimed_by_id),
            col(Question.answered_at),
            col(Question.state),
            col(Question.turn),
            col(RepoArea.name),
        )
        .join(responder, col(responder.id) == col(Question.first_responder_id), isouter=True)
        .join(RepoArea, col(RepoArea.id) == col(Question.area_id), isouter=True)
        .order_by(col(Question.asked_at), col(Question.id))
    )
    if start is not None:
        statement = statement.where(col(Question.asked_at) >= start)
    if end is not None:
        statement = statement.where(col(Question.asked_at) < end)
    return [MeasuredRow(*row) for row in session.execute(statement).all()]


def list_responders_of(session: Session, question_ids: Iterable[int]) -> dict[int, list[Person]]:
    """Return the people each of these questions was routed to, in order (each person read once)."""
    routed: dict[int, list[int]] = defaultdict(list)
    ids = sorted(set(question_ids))
    for start in range(0, len(ids), CHUNK):
        statement = (
            select(QuestionResponder.question_id, QuestionResponder.person_id)
            .where(col(QuestionResponder.question_id).in_(ids[start : start + CHUNK]))
            .order_by(col(QuestionResponder.question_id), col(QuestionResponder.position))
        )
        for question_id, person_id in session.exec(statement).all():
            routed[question_id].append(person_id)
    people = list_people_by_ids(session, {p for persons in routed.values() for p in persons})
    return {qid: [people[p] for p in persons if p in people] for qid, persons in routed.items()}


def list_nudge_times(session: Session, question_ids: Iterable[int]) -> dict[int, list[dt.datetime]]:
    """Return when each SLA step of these questions was taken, each question's in order."""
    taken: dict[int, list[dt.datetime]] = defaultdict(list)
    ids = sorted(set(question_ids))
    for start in range(0, len(ids), CHUNK):
        statement = (
            select(QuestionNudge.question_id, QuestionNudge.taken_at)
            .where(col(QuestionNudge.question_id).in_(ids[start : start + CHUNK]))
            .order_by(col(QuestionNudge.question_id), col(QuestionNudge.taken_at))
        )
        for question_id, at in session.exec(statement).all():
            taken[question_id].append(at)
    return dict(taken)


def add_recipient(session: Session, recipient: NudgeRecipient) -> bool:
    """Record a nudge DM (or its skipping); False when this step already recorded this person."""
    try:
        with session.begin_nested():
            session.add(recipient)
    except IntegrityError:
        return False
    return True


def count_sent(session: Session, person_id: int, *, start: dt.datetime, end: dt.datetime) -> int:
    """Return how many nudge DMs were sent to a person in [start, end) (those skipped over the cap not counted)."""
    statement = select(func.count()).where(
        NudgeRecipient.person_id == person_id,
        col(NudgeRecipient.sent_at) >= start,
        col(NudgeRecipient.sent_at) < end,
        col(NudgeRecipient.skipped).is_(False),
    )
    return int(session.exec(statement).one())


def get_recipient(session: Session, question_id: int, step: int, person_id: int) -> NudgeRecipient | None:
    """Return one person's record of one SLA step of a question."""
    return session.get(NudgeRecipient, (question_id, step, person_id))


def nudge_counts(session: Session, *, start: dt.datetime, end: dt.datetime) -> tuple[int, int, int, int]:
    """Return (sent, skipped over the cap, rated, rated helpful) of the nudge DMs of [start, end)."""
    statement = select(NudgeRecipient.skipped, NudgeRecipient.rating, func.count()).where(
        col(NudgeRecipient.sent_at) >= start, col(NudgeRecipient.sent_at) < end
    )
    sent = skipped = rated = helpful = 0
    for was_skipped, rating, count in session.exec(
        statement.group_by(col(NudgeRecipient.skipped), col(NudgeRecipient.rating))
    ).all():
        if was_skipped:
            skipped += count
            continue
        sent += count
        if rating is not None:
            rated += count
            helpful += count if rating == NudgeRating.HELPFUL else 0
    return sent, skipped, rated, helpful


def list_answered_times(session: Session, *, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Return when each question answered in [start, end) was answered."""
    statement = select(Question.answered_at).where(
        col(Question.answered_at) >= start, col(Question.answered_at) < end
    )
    return [at for at in session.exec(statement).all() if at is not None]
