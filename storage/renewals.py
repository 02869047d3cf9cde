"""Repository functions for recommitment rounds and their members."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from storage.db import INSERT_BATCH, insert_once
from storage.models import (
    Renewal,
    RenewalAnswer,
    RenewalAudience,
    RenewalMember,
    RenewalOutcome,
    SlackPosting,
)


def add_renewal(session: Session, renewal: Renewal) -> bool:
    """Insert a round unless one exists for its year and audience; return whether it was inserted."""
    return insert_once(session, renewal)


def get_renewal(session: Session, renewal_id: int) -> Renewal | None:
    """Return the round with this id."""
    return session.get(Renewal, renewal_id)


def find_renewal(session: Session, year: int, audience: RenewalAudience) -> Renewal | None:
    """Return the round of this year and audience."""
    statement = select(Renewal).where(Renewal.year == year, Renewal.audience == audience)
    return session.exec(statement).first()


def list_renewals(session: Session, *, year: int | None = None) -> list[Renewal]:
    """Return rounds, newest first (of one year, when given)."""
    statement = select(Renewal).order_by(col(Renewal.opened_at).desc(), col(Renewal.id).desc())
    if year is not None:
        statement = statement.where(Renewal.year == year)
    return list(session.exec(statement).all())


def list_current_renewals(session: Session, *, since: dt.datetime) -> list[Renewal]:
    """Return the rounds still open, or closed after `since`, newest first."""
    statement = (
        select(Renewal)
        .where(col(Renewal.closed_at).is_(None) | (col(Renewal.closed_at) >= since))
        .order_by(col(Renewal.opened_at).desc(), col(Renewal.id).desc())
    )
    return list(session.exec(statement).all())


def add_members(session: Session, renewal_id: int, rows: list[dict[str, Any]]) -> list[RenewalMember]:
    """Insert the members of a round just opened (in its transaction, so none can be there already) in a few
    statements; return them, in the order of `rows` (each a member's column values, every row the same columns)."""
    table = RenewalMember.__table__  # type: ignore[attr-defined]
    session.flush()
    for start in range(0, len(rows), INSERT_BATCH):
        session.execute(insert(table), rows[start : start + INSERT_BATCH])
    found = {(m.person_id, m.organization_id): m for m in list_members(session, renewal_id)}
    return [found[(row["person_id"], row["organization_id"])] for row in rows]


def get_member_for_update(session: Session, member_id: int) -> RenewalMember | None:
    """Return a round member locked for the rest of the transaction where the database can."""
    statement = (
        select(RenewalMember)
        .where(RenewalMember.id == member_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(statement).first()


def list_members_by_ids(session: Session, member_ids: list[int]) -> list[RenewalMember]:
    """Return these round members as the database has them now, in id order."""
    found: list[RenewalMember] = []
    for start in range(0, len(member_ids), 500):
        statement = (
            select(RenewalMember)
            .where(col(RenewalMember.id).in_(member_ids[start : start + 500]))
            .order_by(col(RenewalMember.id))
            .execution_options(populate_existing=True)
        )
        found += session.exec(statement).all()
    return found


def list_members(session: Session, renewal_id: int) -> list[RenewalMember]:
    """Return every member of a round, in the order they were added."""
    statement = (
        select(RenewalMember).where(RenewalMember.renewal_id == renewal_id).order_by(col(RenewalMember.id))
    )
    return list(session.exec(statement).all())


def list_waiting_members(session: Session) -> list[RenewalMember]:
    """Return the members who have not answered and whose deadline has not been settled yet."""
    statement = (
        select(RenewalMember)
        .where(RenewalMember.answer == RenewalAnswer.PENDING, col(RenewalMember.settled_at).is_(None))
        .order_by(col(RenewalMember.deadline), col(RenewalMember.id))
    )
    return list(session.exec(statement).all())


def list_unsettled_organization_members(session: Session) -> list[RenewalMember]:
    """Return the organisations asked in a round whose deadline has not been settled yet, by id."""
    statement = (
        select(RenewalMember)
        .where(col(RenewalMember.organization_id).is_not(None), col(RenewalMember.settled_at).is_(None))
        .order_by(col(RenewalMember.id))
    )
    return list(session.exec(statement).all())


def list_due_renewal_ids(session: Session, *, now: dt.datetime) -> list[int]:
    """Return the rounds with members whose deadline has passed and was not settled yet, by id."""
    statement = (
        select(RenewalMember.renewal_id)
        .where(col(RenewalMember.settled_at).is_(None), col(RenewalMember.deadline) <= now)
        .distinct()
        .order_by(col(RenewalMember.renewal_id))
    )
    return list(session.exec(statement).all())


def claim_due_members(
    session: Session, renewal_id: int, *, now: dt.datetime
) -> list[tuple[int, RenewalAnswer, dt.datetime]]:
    """Mark settled every member of a round whose deadline passed and was not settled; return each one's id,
    answer and deadline, by id.

    One conditional update: a member another run settled first, or whose deadline an admin moved, is not taken.
    """
    table = RenewalMember.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(table.c.renewal_id == renewal_id, table.c.settled_at.is_(None), table.c.deadline <= now)
        .values(settled_at=now)
        .returning(table.c.id, table.c.answer, table.c.deadline)
    )
    rows = [(int(i), RenewalAnswer(a), d) for i, a, d in session.execute(statement).all()]
    # What the session holds of them is now out of date.
    claimed = {row[0] for row in rows}
    for held in list(session.identity_map.values()):
        if isinstance(held, RenewalMember) and held.id in claimed:
            set_committed_value(held, "settled_at", now)
    return sorted(rows)


def set_outcomes(
    session: Session, ids: list[int], outcome: RenewalOutcome, *, followup_on: dt.date | None = None
) -> None:
    """Give these members an outcome (and, when given, the deadline they are listed for), a few statements in
    all; those the session holds take the same values, as written."""
    table = RenewalMember.__table__  # type: ignore[attr-defined]
    values: dict[str, Any] = {"outcome": outcome}
    if followup_on is not None:
        values["followup_on"] = followup_on
    session.flush()
    for start in range(0, len(ids), INSERT_BATCH):
        chunk = ids[start : start + INSERT_BATCH]
        session.execute(update(table).where(table.c.id.in_(chunk)).values(**values))
    wanted = set(ids)
    for held in list(session.identity_map.values()):
        if isinstance(held, RenewalMember) and held.id in wanted:
            for name, value in values.items():
                set_committed_value(held, name, value)


def list_listed_members(session: Session, renewal_id: int, on: dt.date) -> list[RenewalMember]:
    """Return the members of a round listed for the admins at the deadline of `on`, in list order."""
    statement = (
        select(RenewalMember)
        .where(RenewalMember.renewal_id == renewal_id, RenewalMember.followup_on == on)
        .order_by(col(RenewalMember.id))
        .execution_options(populate_existing=True)
    )
    return list(session.exec(statement).all())


def list_memberships(session: Session, *, person_id: int) -> list[RenewalMember]:
    """Return the rounds' members asked through this person (as committer or as contact), newest first."""
    statement = (
        select(RenewalMember)
        .where((RenewalMember.person_id == person_id) | (RenewalMember.contact_id == person_id))
        .order_by(col(RenewalMember.id).desc())
    )
    return list(session.exec(statement).all())


def list_postings_with_prefix(session: Session, prefix: str) -> list[SlackPosting]:
    """Return the postings whose subject starts with `prefix`, by subject."""
    statement = (
        select(SlackPosting)
        .where(col(SlackPosting.subject).startswith(prefix, autoescape=True))
        .order_by(col(SlackPosting.subject))
    )
    return list(session.exec(statement).all())
