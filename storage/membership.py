"""Repository functions for inactivity proposals and the admins' decisions on them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.db import insert_once
from storage.models import (
    InactivityDecision,
    InactivityProposal,
)


def add_proposals(session: Session, proposals: list[InactivityProposal]) -> int:
    """Insert the proposals of people not yet proposed in their period; return how many were inserted."""
    if not proposals:
        return 0
    periods = {p.period for p in proposals}
    statement = select(InactivityProposal.person_id, InactivityProposal.period).where(
        col(InactivityProposal.period).in_(periods)
    )
    taken = set(session.exec(statement).all())
    fresh = [p for p in proposals if (p.person_id, p.period) not in taken]
    try:
        # One savepoint for all: a savepoint each costs more than the insert itself.
        with session.begin_nested():
            session.add_all(fresh)
        return len(fresh)
    except IntegrityError:
        # Another instance proposed some of them meanwhile: insert the rest one by one.
        return sum(insert_once(session, p.model_copy()) for p in fresh)


def get_proposal(session: Session, proposal_id: int) -> InactivityProposal | None:
    """Return the inactivity proposal with this id."""
    return session.get(InactivityProposal, proposal_id)


def list_proposals(session: Session, period: str) -> list[InactivityProposal]:
    """Return one period's proposals, in the order they were made."""
    statement = (
        select(InactivityProposal)
        .where(InactivityProposal.period == period)
        .order_by(col(InactivityProposal.id))
    )
    return list(session.exec(statement).all())


def list_undecided_proposals(session: Session, *, since: dt.datetime) -> list[InactivityProposal]:
    """Return the proposals made since `since` that no admin has decided yet, oldest first."""
    statement = (
        select(InactivityProposal)
        .where(col(InactivityProposal.decision).is_(None), col(InactivityProposal.proposed_at) >= since)
        .order_by(col(InactivityProposal.proposed_at), col(InactivityProposal.id))
    )
    return list(session.exec(statement).all())


def kept_people(session: Session, *, today: dt.date) -> set[int]:
    """Return the people an admin chose to keep whose respite has not ended by `today`."""
    statement = select(InactivityProposal.person_id).where(col(InactivityProposal.kept_until) > today)
    return set(session.exec(statement).all())


def decide_proposal(
    session: Session,
    proposal_id: int,
    *,
    decision: InactivityDecision,
    by: str,
    at: dt.datetime,
    kept_until: dt.date | None,
) -> bool:
    """Record the first decision on a proposal; False when someone decided it first."""
    result = session.execute(
        update(InactivityProposal)
        .where(col(InactivityProposal.id) == proposal_id, col(InactivityProposal.decision).is_(None))
        .values(decision=decision, decided_by=by, decided_at=at, kept_until=kept_until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
