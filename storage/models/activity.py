"""The one record of a person's activity, and its kinds."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.columns import enum_column, person_fk, utc_column


class ActivityKind(enum.StrEnum):
    """A sign of a person's activity: what they did with the bot, or on GitHub (the last three)."""

    QUESTION = "question"
    VOTE = "vote"
    RETRO = "retro"
    RECOMMITTED = "recommitted"
    REINSTATED = "reinstated"
    MERGED = "merged"
    AUTHORED = "authored"
    REVIEWED = "reviewed"


GITHUB_KINDS = (ActivityKind.MERGED, ActivityKind.AUTHORED, ActivityKind.REVIEWED)


class Activity(SQLModel, table=True):
    """One sign of a person's activity (a question, a vote, a retro answer, a merge or a review), recorded once.

    The one record of activity: the inactivity review, `/cc` and App Home all read the latest row.
    """

    __table_args__ = (
        UniqueConstraint("person_id", "kind", "ref", name="uq_activity_person_kind_ref"),
        Index("ix_activity_person_at", "person_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=person_fk(nullable=False, ondelete="CASCADE"))
    kind: ActivityKind = Field(sa_column=enum_column(ActivityKind, length=32))
    at: dt.datetime = Field(sa_column=utc_column())
    ref: str = Field(
        max_length=255, description="what it was about, e.g. question:12 or openedx/edx-platform#12"
    )
