"""Repository functions for nominations and their votes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from storage.models import Nomination, NominationState, NominationVote, Organization, Person


def add_nomination(session: Session, nomination: Nomination) -> Nomination:
    """Insert a nomination and return it with its id."""
    session.add(nomination)
    session.flush()
    return nomination


def get_nomination_for_update(session: Session, nomination_id: int) -> Nomination | None:
    """Return the nomination with this id, locked for the rest of the transaction where the database can."""
    # populate_existing: sessions keep objects across commits, and a locked read must see the latest state.
    statement = (
        select(Nomination)
        .where(Nomination.id == nomination_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(statement).first()


def find_open_nomination(session: Session, github: str) -> Nomination | None:
    """Return the open nomination of this GitHub handle, if any."""
    statement = select(Nomination).where(
        func.lower(Nomination.nominee_github) == github.lower(),
        Nomination.state == NominationState.OPEN,
    )
    return session.exec(statement).first()


def put_vote(session: Session, vote: NominationVote) -> None:
    """Insert or replace one voter's vote."""
    session.merge(vote)
    session.flush()


def tally(session: Session, nomination: Nomination) -> tuple[int, int, int]:
    """Return (yes, no, yes from voters outside the nominee's organisation)."""
    votes = select(NominationVote).where(NominationVote.nomination_id == nomination.id).subquery()
    yes = session.exec(select(func.count()).select_from(votes).where(votes.c.yes.is_(True))).one()
    no = session.exec(select(func.count()).select_from(votes).where(votes.c.yes.is_(False))).one()
    outside = session.exec(
        select(func.count())
        .select_from(votes)
        .join(Person, col(Person.id) == votes.c.voter_id)
        .outerjoin(Organization, col(Organization.id) == col(Person.organization_id))
        .where(
            votes.c.yes.is_(True),
            or_(
                col(Organization.name).is_(None),
                and_(
                    col(Organization.name).is_not(None),
                    func.lower(Organization.name) != func.lower(nomination.nominee_organization or ""),
                ),
            ),
        )
    ).one()
    return int(yes), int(no), int(outside)


def list_due_nominations(session: Session, *, now: dt.datetime) -> list[Nomination]:
    """Return open nominations whose comment period is over."""
    statement = select(Nomination).where(
        Nomination.state == NominationState.OPEN, col(Nomination.closes_at) <= now
    )
    return list(session.exec(statement).all())
