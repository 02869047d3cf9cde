"""The outbox: messages the bot decided to send, and where its postings live in Slack."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.columns import enum_column, utc_column


class OutboxOp(enum.StrEnum):
    """What delivering an outbox message does in Slack."""

    POST = "post"
    UPDATE = "update"
    UPLOAD = "upload"


class OutboxLane(enum.StrEnum):
    """Which queue a message waits in: what a person is waiting for goes before bulk campaigns."""

    INTERACTIVE = "interactive"
    BULK = "bulk"


class OutboxStatus(enum.StrEnum):
    """Delivery state of a message the bot decided to send."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(SQLModel, table=True):
    """A message the bot decided to send: written with the decision, delivered after, never lost or sent twice.

    A `post` with a `subject` becomes that subject's posting (a question's thread root, say); an `update`
    redraws the posting of its `subject`; a message with `after` waits until that subject is posted, and
    goes into its thread when `in_thread` is set.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_created", "status", "created_at"),
        Index("ix_outbox_lane_status_created", "lane", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True, description="one message per key: kind, subject, recipient")
    kind: str = Field(max_length=32, index=True)
    op: OutboxOp = Field(default=OutboxOp.POST, sa_column=enum_column(OutboxOp))
    lane: OutboxLane = Field(default=OutboxLane.INTERACTIVE, sa_column=enum_column(OutboxLane))
    channel: str = Field(max_length=32, description="a channel id, or a user id for a DM ('' for an update)")
    thread_ts: str | None = Field(default=None, max_length=32)
    subject: str | None = Field(default=None, max_length=100, index=True)
    after: str | None = Field(default=None, max_length=100)
    in_thread: bool = Field(default=False)
    text: str = Field(sa_column=Column(Text, nullable=False))
    blocks: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    file_name: str | None = Field(
        default=None, max_length=200, description="set: `text` is uploaded as this file"
    )
    data: bytes | None = Field(
        default=None,
        sa_column=Column(LargeBinary, nullable=True),
        description="a binary file's bytes (a chart's PNG), uploaded instead of `text`, which is then its alt text",
    )
    fallback: dict[str, Any] | None = Field(
        default=None,
        sa_column=Column(JSON, nullable=True),
        description="sent instead when this fails for good",
    )
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_column=enum_column(OutboxStatus))
    version: int = Field(default=0, description="bumped when a redraw replaces the content before delivery")
    attempts: int = Field(default=0)
    created_at: dt.datetime = Field(sa_column=utc_column())
    claimed_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    next_attempt_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    sent_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, max_length=500)


class SlackPosting(SQLModel, table=True):
    """Where a thing the bot posted lives in Slack: a question's thread root, an escalation's post, ..."""

    __tablename__ = "slack_posting"
    __table_args__ = (UniqueConstraint("channel", "ts", name="uq_slack_posting_message"),)

    subject: str = Field(primary_key=True, max_length=100, description="what was posted, e.g. question:12")
    channel: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    permalink: str | None = Field(default=None, max_length=500)
    posted_at: dt.datetime = Field(sa_column=utc_column())


class SlackBudget(SQLModel, table=True):
    """The sending budget every instance shares for one Slack method, workspace-wide (`scope` '*') or in one
    channel: the earliest Slack second at which the next call conforms to the rate (a virtual schedule, GCRA).
    A call may go when `next_at` minus the tolerance its lane gets is not after now."""

    __tablename__ = "slack_budget"

    method: str = Field(primary_key=True, max_length=64)
    scope: str = Field(primary_key=True, max_length=64, description="a channel id, or '*' for the workspace")
    next_at: float = Field(default=0.0, description="Slack seconds since the epoch")
