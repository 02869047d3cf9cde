"""The Slack directory: each background resolution of roster people's Slack ids and time zones, with its progress."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from storage.models.columns import enum_column, utc_column


class ResolutionState(enum.StrEnum):
    """Where a resolution is: asked for, being worked through (by whoever holds its lease), or done."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"


class ResolutionMode(enum.StrEnum):
    """How a resolution asks Slack: one walk of users.list, or one look-up per person (for a handful)."""

    WALK = "walk"
    LOOKUP = "lookup"


class SlackResolution(SQLModel, table=True):
    """One request to fill in missing Slack ids (by e-mail) and time zones (by Slack id) in the background.

    Its progress (the users.list cursor, or the last person looked up) is committed with each page's matches, so a
    process that dies mid-walk is continued, not restarted; the lease keeps two processes from walking at once.
    """

    __tablename__ = "slack_resolution"

    id: int | None = Field(default=None, primary_key=True)
    requested_at: dt.datetime = Field(sa_column=utc_column())
    requested_by: str = Field(max_length=100)
    state: ResolutionState = Field(
        default=ResolutionState.PENDING, sa_column=enum_column(ResolutionState, index=True)
    )
    mode: ResolutionMode | None = Field(default=None, sa_column=enum_column(ResolutionMode, nullable=True))
    cursor: str = Field(
        default="", max_length=500, description="users.list's next cursor, or the last person id"
    )
    calls: int = Field(default=0, description="Slack calls made so far")
    members: int = Field(
        default=0, description="Slack members seen so far (a walk's size, for the next choice)"
    )
    ids_found: int = Field(default=0)
    timezones_found: int = Field(default=0)
    not_found: list[Any] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="[handle, reason] of each person Slack could not resolve",
    )
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    started_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    finished_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
