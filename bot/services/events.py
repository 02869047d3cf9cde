"""Slack event deliveries: each event id has an effect at most once, whatever Slack retries."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from storage.events import claim_event


def first_delivery(session: Session, event_id: str, *, now: dt.datetime) -> bool:
    """Record an event id; return False when it was seen before (a retry), committing either way."""
    fresh = claim_event(session, event_id, now=now)
    session.commit()
    return fresh
