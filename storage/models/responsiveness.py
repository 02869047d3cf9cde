"""Champions' responsiveness: whose turn a question is on, each turn kept, and each nudge DM with its rating."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from storage.models.columns import enum_column, person_fk, utc_column


class Turn(enum.StrEnum):
    """Whose move a question waits on: the champions' (an answer is owed) or the committer's."""

    CHAMPIONS = "champions"
    COMMITTER = "committer"


class TurnCause(enum.StrEnum):
    """What started a turn."""

    ASKED = "asked"
    REPLY = "reply"
    BUTTON = "button"
    ANSWERED = "answered"


class NudgeRating(enum.StrEnum):
    """What a nudged person said of a nudge."""

    HELPFUL = "helpful"
    NOT_HELPFUL = "not_helpful"


class QuestionTurn(SQLModel, table=True):
    """One turn of a question: whose it was, from when until when (open while `ended_at` is None)."""

    __tablename__ = "question_turn"
    __table_args__ = (Index("ix_question_turn_question_started", "question_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(
        sa_column=Column(Integer, ForeignKey("question.id", ondelete="CASCADE"), nullable=False)
    )
    turn: Turn = Field(sa_column=enum_column(Turn))
    started_at: dt.datetime = Field(sa_column=utc_column())
    ended_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    cause: TurnCause = Field(default=TurnCause.REPLY, sa_column=enum_column(TurnCause))
    by_person_id: int | None = Field(default=None, sa_column=person_fk())


class NudgeRecipient(SQLModel, table=True):
    """A person one SLA step of a question was meant to DM: sent (and maybe rated), or skipped over the cap."""

    __tablename__ = "nudge_recipient"
    __table_args__ = (Index("ix_nudge_recipient_person_sent", "person_id", "sent_at"),)

    question_id: int = Field(
        sa_column=Column(Integer, ForeignKey("question.id", ondelete="CASCADE"), primary_key=True)
    )
    step: int = Field(primary_key=True)
    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    sent_at: dt.datetime = Field(sa_column=utc_column())
    skipped: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    rating: NudgeRating | None = Field(default=None, sa_column=enum_column(NudgeRating, nullable=True))
    rated_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
