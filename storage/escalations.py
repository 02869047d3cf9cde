"""Repository functions for escalations and the steps of their acknowledgement ladder."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Escalation, EscalationState, EscalationStep
from storage.outbox import is_posted

OVERDUE_STEP = 50


def add_escalation(session: Session, escalation: Escalation) -> Escalation:
    """Insert an escalation and return it with its id."""
    session.add(escalation)
    session.flush()
    return escalation


def get_escalation(session: Session, escalation_id: int) -> Escalation | None:
    """Return the escalation with this id."""
    return session.get(Escalation, escalation_id)


def get_escalation_for_update(session: Session, escalation_id: int) -> Escalation | None:
    """Return the escalation, locked for the rest of the transaction where the database can."""
    return session.exec(select(Escalation).where(Escalation.id == escalation_id).with_for_update()).first()


def list_unresolved_escalations(session: Session) -> list[Escalation]:
    """Return escalations posted and not yet resolved, oldest first."""
    statement = (
        select(Escalation)
        .where(col(Escalation.state) != EscalationState.RESOLVED, is_posted("escalation", Escalation.id))
        .order_by(col(Escalation.opened_at))
    )
    return list(session.exec(statement).all())


def list_escalations_of(session: Session, committer_id: int, *, limit: int = 10) -> list[Escalation]:
    """Return the escalations about one committer, unresolved first, newest first."""
    statement = (
        select(Escalation)
        .where(Escalation.committer_id == committer_id)
        .order_by(col(Escalation.resolved_at).is_not(None), col(Escalation.opened_at).desc())
        .limit(limit)
    )
    return list(session.exec(statement).all())


def list_escalation_steps(session: Session, escalation_id: int) -> set[int]:
    """Return the ladder steps already taken for an escalation."""
    statement = select(EscalationStep.step).where(EscalationStep.escalation_id == escalation_id)
    return set(session.exec(statement).all())


def add_escalation_step(session: Session, step: EscalationStep) -> bool:
    """Record a ladder step; return False when another run already took it."""
    try:
        with session.begin_nested():
            session.add(step)
    except IntegrityError:
        return False
    return True


def list_overdue_escalations(session: Session) -> list[Escalation]:
    """Return open escalations that reached the end of their acknowledgement ladder, oldest first."""
    overdue = select(EscalationStep.escalation_id).where(EscalationStep.step == OVERDUE_STEP)
    statement = (
        select(Escalation)
        .where(col(Escalation.state) == EscalationState.OPEN, col(Escalation.id).in_(overdue))
        .order_by(col(Escalation.opened_at))
    )
    return list(session.exec(statement).all())
