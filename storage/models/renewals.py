"""Yearly recommitment rounds and their members."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.columns import enum_column, person_fk, utc_column


class RenewalAudience(enum.StrEnum):
    """Who a yearly recommitment round asks: committers themselves, or the organisations' contacts."""

    INDIVIDUALS = "individuals"
    ORGANIZATIONS = "organizations"


class RenewalAnswer(enum.StrEnum):
    """What a committer (or an organisation) answered in a recommitment round."""

    PENDING = "pending"
    RECOMMITTED = "recommitted"
    STEPPED_DOWN = "stepped_down"


class RenewalOutcome(enum.StrEnum):
    """What came of a member of a round once its deadline passed (or an admin acted)."""

    RECOMMITTED = "recommitted"
    ALUMNI = "alumni"
    AGREEMENT_ENDED = "agreement_ended"
    LISTED = "listed"
    EXTENDED = "extended"


class Renewal(SQLModel, table=True):
    """A yearly recommitment round (OEP-54: organisations in December, individuals in January)."""

    __table_args__ = (UniqueConstraint("year", "audience", name="uq_renewal_year_audience"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    audience: RenewalAudience = Field(sa_column=enum_column(RenewalAudience))
    opened_at: dt.datetime = Field(sa_column=utc_column())
    closes_at: dt.datetime = Field(sa_column=utc_column(index=True))
    opened_by: str = Field(default="", max_length=100)
    closed_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class RenewalMember(SQLModel, table=True):
    """One committer (or organisation) asked in a round, its answer, and what came of it after its deadline."""

    __tablename__ = "renewal_member"
    __table_args__ = (
        UniqueConstraint("renewal_id", "person_id", name="uq_renewal_member_person"),
        UniqueConstraint("renewal_id", "organization_id", name="uq_renewal_member_organization"),
        CheckConstraint("(person_id IS NULL) <> (organization_id IS NULL)", name="renewal_member_has_one"),
        Index("ix_renewal_member_due", "settled_at", "deadline"),
    )

    id: int | None = Field(default=None, primary_key=True)
    renewal_id: int = Field(
        sa_column=Column(Integer, ForeignKey("renewal.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    person_id: int | None = Field(default=None, sa_column=person_fk(ondelete="CASCADE"))
    organization_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("organization.id", ondelete="CASCADE"))
    )
    contact_id: int | None = Field(default=None, sa_column=person_fk(), description="who is asked")
    invited_at: dt.datetime = Field(sa_column=utc_column())
    deadline: dt.datetime = Field(sa_column=utc_column())
    answer: RenewalAnswer = Field(default=RenewalAnswer.PENDING, sa_column=enum_column(RenewalAnswer))
    answered_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    answered_by_id: int | None = Field(default=None, sa_column=person_fk())
    settled_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    outcome: RenewalOutcome | None = Field(default=None, sa_column=enum_column(RenewalOutcome, nullable=True))
    extensions: int = Field(default=0)
    followup_on: dt.date | None = Field(
        default=None, description="the deadline it was listed for the admins at"
    )
