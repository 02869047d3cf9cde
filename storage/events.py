"""Repository functions for Slack event deliveries already handled."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import SlackEvent


def claim_event(session: Session, event_id: str, *, now: dt.datetime) -> bool:
    """Record `event_id` as handled; return False when it was already recorded (a retry)."""
    try:
        with session.begin_nested():
            session.add(SlackEvent(event_id=event_id, received_at=now))
    except IntegrityError:
        return False
    return True
