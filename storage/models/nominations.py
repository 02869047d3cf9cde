"""Nominations for commit rights and their votes."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Column, ForeignKey, Integer, Text
from sqlmodel import Field, SQLModel

from storage.models.columns import enum_column, person_fk, utc_column


class NominationState(enum.StrEnum):
    """Where a nomination stands."""

    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"


class Nomination(SQLModel, table=True):
    """A proposal to give someone core committer rights on repositories, voted on for a comment period."""

    id: int | None = Field(default=None, primary_key=True)
    nominee_github: str = Field(max_length=100)
    nominee_name: str = Field(default="", max_length=200)
    nominee_slack_id: str | None = Field(default=None, max_length=32)
    nominee_organization: str | None = Field(default=None, max_length=200)
    repos: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    nominated_by_id: int | None = Field(default=None, sa_column=person_fk())
    opened_at: dt.datetime = Field(sa_column=utc_column())
    closes_at: dt.datetime = Field(sa_column=utc_column(index=True))
    state: NominationState = Field(default=NominationState.OPEN, sa_column=enum_column(NominationState))
    closed_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    expands_person_id: int | None = Field(
        default=None,
        sa_column=person_fk(),
        description="set: a rights expansion for this existing committer, not a new nominee",
    )


class NominationVote(SQLModel, table=True):
    """One voter's current vote on a nomination (changeable until it closes)."""

    __tablename__ = "nomination_vote"

    nomination_id: int = Field(
        sa_column=Column(Integer, ForeignKey("nomination.id", ondelete="CASCADE"), primary_key=True)
    )
    voter_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    yes: bool
    at: dt.datetime = Field(sa_column=utc_column())
