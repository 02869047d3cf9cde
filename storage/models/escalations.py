"""Escalations to management and the steps of their acknowledgement ladder."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Column, ForeignKey, Index, Integer, Text
from sqlmodel import Field, SQLModel

from storage.models.columns import enum_column, person_fk, utc_column
from storage.models.questions import Urgency


class EscalationState(enum.StrEnum):
    """Where an escalation to management stands."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Escalation(SQLModel, table=True):
    """An impediment raised to engineering management about one committer, owned by a manager until resolved."""

    __table_args__ = (Index("ix_escalation_state_opened", "state", "opened_at"),)

    id: int | None = Field(default=None, primary_key=True)
    committer_id: int = Field(sa_column=person_fk(nullable=False, index=True, ondelete="CASCADE"))
    raised_by_id: int | None = Field(default=None, sa_column=person_fk())
    question_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("question.id", ondelete="SET NULL"), index=True)
    )
    summary: str = Field(max_length=200)
    impact: str = Field(sa_column=Column(Text, nullable=False))
    repo_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("repo.id", ondelete="SET NULL"))
    )
    pr_url: str | None = Field(default=None, max_length=500)
    source_url: str | None = Field(default=None, max_length=500, description="the Slack message it came from")
    urgency: Urgency = Field(default=Urgency.NORMAL, sa_column=enum_column(Urgency))
    state: EscalationState = Field(default=EscalationState.OPEN, sa_column=enum_column(EscalationState))
    opened_at: dt.datetime = Field(sa_column=utc_column())
    owner_id: int | None = Field(default=None, sa_column=person_fk(), description="the manager who has it")
    acknowledged_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    acknowledged_by_id: int | None = Field(default=None, sa_column=person_fk())
    resolved_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    resolved_by_id: int | None = Field(default=None, sa_column=person_fk())
    resolution: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class EscalationStep(SQLModel, table=True):
    """One step of an escalation's acknowledgement ladder (or its resolve reminder), taken once."""

    __tablename__ = "escalation_step"

    escalation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("escalation.id", ondelete="CASCADE"), primary_key=True)
    )
    step: int = Field(primary_key=True)
    due_at: dt.datetime = Field(sa_column=utc_column())
    taken_at: dt.datetime = Field(sa_column=utc_column())
    target: str = Field(default="", max_length=200)
