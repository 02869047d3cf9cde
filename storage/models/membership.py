"""The inactivity review: committers proposed as inactive and the admins' decisions."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.columns import enum_column, person_fk, utc_column


class InactivityDecision(enum.StrEnum):
    """What an admin decided about a committer proposed as inactive."""

    KEPT = "kept"
    MOVED = "moved"


class InactivityProposal(SQLModel, table=True):
    """A committer proposed to the admins as inactive in one week's review, and the admins' decision."""

    __tablename__ = "inactivity_proposal"
    __table_args__ = (UniqueConstraint("person_id", "period", name="uq_inactivity_proposal_period"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=person_fk(nullable=False, index=True, ondelete="CASCADE"))
    period: str = Field(max_length=16, description="the ISO week of the review, e.g. 2026-W50")
    proposed_at: dt.datetime = Field(sa_column=utc_column())
    last_active_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    decision: InactivityDecision | None = Field(
        default=None, sa_column=enum_column(InactivityDecision, nullable=True)
    )
    decided_by: str | None = Field(default=None, max_length=100)
    decided_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    kept_until: dt.date | None = Field(default=None, description="not proposed again before this day")
