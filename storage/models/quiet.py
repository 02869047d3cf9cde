"""Reminders' quiet: a person's own pause and working hours, and reminders held back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from storage.models.columns import person_fk, utc_column


class ReminderPreference(SQLModel, table=True):
    """A person's own quiet: reminders paused until a date, and working hours of their own for reminders."""

    __tablename__ = "reminder_preference"

    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    paused_until: dt.date | None = Field(default=None, description="reminders resume on this day")
    hours_start: dt.time | None = None
    hours_end: dt.time | None = None
    updated_at: dt.datetime = Field(sa_column=utc_column())


class ReminderHold(SQLModel, table=True):
    """A reminder DM held back in the outbox: snoozed by its recipient, or waiting for their quiet to end."""

    __tablename__ = "reminder_hold"

    key: str = Field(primary_key=True, max_length=255, description="the held outbox message's key")
    person_id: int = Field(sa_column=person_fk(nullable=False, index=True, ondelete="CASCADE"))
    due_at: dt.datetime = Field(sa_column=utc_column(), description="when it would go out without any quiet")
    snoozed_from: str | None = Field(
        default=None, max_length=255, description="the reminder this one repeats"
    )
    created_at: dt.datetime = Field(sa_column=utc_column())
