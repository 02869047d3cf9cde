"""Deliveries already handled (Slack events, signed webhooks), so a retry or replay has no second effect."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from storage.models.columns import utc_column


class SlackEvent(SQLModel, table=True):
    """An Events API delivery already handled, so Slack's retries have no second effect."""

    __tablename__ = "slack_event"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: dt.datetime = Field(sa_column=utc_column())


class HookDelivery(SQLModel, table=True):
    """A signed webhook delivery already handled (its delivery id, signed body or signature), so a replay is a no-op."""

    __tablename__ = "hook_delivery"

    key: str = Field(primary_key=True, max_length=100)
    hook: str = Field(max_length=32)
    received_at: dt.datetime = Field(sa_column=utc_column(index=True))
