"""Questions: a committer's question, its responders, thread replies and SLA steps."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.columns import enum_column, person_fk, utc_column
from storage.models.responsiveness import Turn


class Urgency(enum.StrEnum):
    """How soon a question needs an answer; it sets the SLA."""

    NORMAL = "normal"
    URGENT = "urgent"


class QuestionState(enum.StrEnum):
    """Where a question stands in its thread."""

    OPEN = "open"
    CLAIMED = "claimed"
    ANSWERED = "answered"


class Question(SQLModel, table=True):
    """A committer's question about a pull request, answered in a thread of the coordination channel."""

    __table_args__ = (
        Index("ix_question_state_asked", "state", "asked_at"),
        # Covering: the weekly digest reads response times and answerers from the index alone.
        Index("ix_question_asked_response", "asked_at", "first_response_at", "first_responder_id"),
        Index("ix_question_answered_by", "answered_at", "answered_by_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    committer_id: int = Field(sa_column=person_fk(nullable=False, index=True, ondelete="CASCADE"))
    repo_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("repo.id", ondelete="SET NULL"), index=True)
    )
    pr_url: str = Field(max_length=500)
    pr_number: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    urgency: Urgency = Field(default=Urgency.NORMAL, sa_column=enum_column(Urgency))
    has_grant: bool = Field(default=True, description="whether the asker has commit rights on the repo")
    state: QuestionState = Field(default=QuestionState.OPEN, sa_column=enum_column(QuestionState))
    # Whose move it is; `question_turn` keeps every turn, so time per turn is measurable.
    turn: Turn = Field(default=Turn.CHAMPIONS, sa_column=enum_column(Turn))
    asked_at: dt.datetime = Field(sa_column=utc_column())
    claimed_by_id: int | None = Field(default=None, sa_column=person_fk())
    claimed_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    first_response_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    first_responder_id: int | None = Field(default=None, sa_column=person_fk())
    answered_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    answered_by_id: int | None = Field(default=None, sa_column=person_fk())
    reopened_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    area_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("repo_area.id", ondelete="SET NULL"), nullable=True),
    )


class QuestionResponder(SQLModel, table=True):
    """Someone a question was routed to (the committer's champions in phases 1-2), in order."""

    __tablename__ = "question_responder"

    question_id: int = Field(
        sa_column=Column(Integer, ForeignKey("question.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    position: int = Field(default=1)


class QuestionReply(SQLModel, table=True):
    """A message posted in a question's thread, as Slack reported it."""

    __tablename__ = "question_reply"
    __table_args__ = (UniqueConstraint("question_id", "ts", name="uq_question_reply_ts"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(
        sa_column=Column(Integer, ForeignKey("question.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    ts: str = Field(max_length=32)
    slack_user_id: str = Field(max_length=32)
    person_id: int | None = Field(default=None, sa_column=person_fk())
    at: dt.datetime = Field(sa_column=utc_column())


class QuestionNudge(SQLModel, table=True):
    """One step of a question's SLA ladder, taken once."""

    __tablename__ = "question_nudge"

    question_id: int = Field(
        sa_column=Column(Integer, ForeignKey("question.id", ondelete="CASCADE"), primary_key=True)
    )
    step: int = Field(primary_key=True)
    due_at: dt.datetime = Field(sa_column=utc_column())
    taken_at: dt.datetime = Field(sa_column=utc_column())
    target: str = Field(default="", max_length=200)
