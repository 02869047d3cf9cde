"""Repository functions for questions, their responders, thread replies and SLA nudges."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import (
    Person,
    Question,
    QuestionNudge,
    QuestionReply,
    QuestionResponder,
    QuestionState,
    Turn,
)
from storage.outbox import is_posted

# Unanswered states, listed so the state index serves the query.
OPEN_STATES = (QuestionState.OPEN, QuestionState.CLAIMED)


def add_question(session: Session, question: Question, responder_ids: list[int]) -> Question:
    """Insert a question with the people it is routed to, in order, and return it with its id."""
    session.add(question)
    session.flush()
    assert question.id is not None
    for position, person_id in enumerate(responder_ids, start=1):
        session.add(QuestionResponder(question_id=question.id, person_id=person_id, position=position))
    session.flush()
    return question


def get_question(session: Session, question_id: int) -> Question | None:
    """Return the question with this id."""
    return session.get(Question, question_id)


def get_question_for_update(session: Session, question_id: int) -> Question | None:
    """Return the question with this id, locked for the rest of the transaction where the database can."""
    statement = select(Question).where(Question.id == question_id).with_for_update()
    return session.exec(statement).first()


def list_responders(session: Session, question_id: int) -> list[Person]:
    """Return the people a question was routed to, in order."""
    statement = (
        select(Person)
        .join(QuestionResponder, col(QuestionResponder.person_id) == col(Person.id))
        .where(QuestionResponder.question_id == question_id)
        .order_by(col(QuestionResponder.position))
    )
    return list(session.exec(statement).all())


def list_waiting_questions(session: Session) -> list[Question]:
    """Return posted, unanswered questions on the champions' turn, oldest first."""
    statement = (
        select(Question)
        .where(
            col(Question.state).in_(OPEN_STATES),
            col(Question.turn) == Turn.CHAMPIONS,
            is_posted("question", Question.id),
        )
        .order_by(col(Question.asked_at))
    )
    return list(session.exec(statement).all())


def list_open_questions_of(session: Session, committer_id: int) -> list[Question]:
    """Return a committer's questions not yet answered, newest first."""
    statement = (
        select(Question)
        .where(Question.committer_id == committer_id, col(Question.state).in_(OPEN_STATES))
        .order_by(col(Question.asked_at).desc())
    )
    return list(session.exec(statement).all())


def list_open_questions_for_responder(session: Session, person_id: int) -> list[Question]:
    """Return the unanswered questions routed to or claimed by a person and on the champions' turn, oldest first."""
    routed = select(QuestionResponder.question_id).where(QuestionResponder.person_id == person_id)
    statement = (
        select(Question)
        .where(
            col(Question.state).in_(OPEN_STATES),
            col(Question.turn) == Turn.CHAMPIONS,
            (col(Question.id).in_(routed)) | (col(Question.claimed_by_id) == person_id),
        )
        .order_by(col(Question.asked_at))
    )
    return list(session.exec(statement).all())


def add_reply(session: Session, reply: QuestionReply) -> bool:
    """Record a thread reply; return False when this message was already recorded."""
    try:
        with session.begin_nested():
            session.add(reply)
    except IntegrityError:
        return False
    return True


def list_nudge_steps(session: Session, question_id: int) -> set[int]:
    """Return the SLA steps already taken for a question."""
    statement = select(QuestionNudge.step).where(QuestionNudge.question_id == question_id)
    return set(session.exec(statement).all())


def add_nudge(session: Session, nudge: QuestionNudge) -> bool:
    """Record an SLA step; return False when another run already took it."""
    try:
        with session.begin_nested():
            session.add(nudge)
    except IntegrityError:
        return False
    return True


def find_question_for_pr(session: Session, repo_id: int, pr_number: int) -> Question | None:
    """Return the newest question asked about a pull request."""
    statement = (
        select(Question)
        .where(Question.repo_id == repo_id, Question.pr_number == pr_number)
        .order_by(col(Question.asked_at).desc())
    )
    return session.exec(statement).first()
