"""Events API: replies in question threads are recorded and move the question's state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.ids import Event
from bot.publish import refresh_question
from bot.services.questions import record_reply

# Edits, deletions and joins carry a subtype; only plain messages (and file shares) are replies.
REPLY_SUBTYPES = {None, "file_share", "thread_broadcast"}


def record_thread_reply(event: dict[str, Any], client: WebClient, session: Session, now: dt.datetime) -> None:
    """Record a reply in a question's thread and redraw the root when the question's state changed."""
    thread_ts, ts, user = event.get("thread_ts"), event.get("ts"), event.get("user")
    if event.get("subtype") not in REPLY_SUBTYPES or event.get("bot_id") or not user:
        return
    if not thread_ts or not ts or thread_ts == ts:
        return
    outcome = record_reply(
        session,
        channel=str(event.get("channel") or ""),
        thread_ts=str(thread_ts),
        ts=str(ts),
        slack_user_id=str(user),
        now=now,
    )
    if outcome is not None and outcome.changed:
        refresh_question(client, outcome.card)


def register(app: App) -> None:
    """Register the event listeners."""
    app.event(Event.MESSAGE.value)(record_thread_reply)
