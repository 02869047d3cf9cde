"""The Slack directory's events: `user_change` and `team_join` keep roster people's Slack ids and time zones current."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from slack_bolt import App
from sqlmodel import Session

from bot.ids import Event
from bot.middleware import identifies_later
from bot.services.directory import apply_slack_user
from bot.slack import profile_of

logger = logging.getLogger(__name__)


@identifies_later
def update_from_slack(event: dict[str, Any], session: Session, now: dt.datetime) -> None:
    """A member changed their profile or joined: keep their time zone, or link them by e-mail (no Slack call)."""
    user = event.get("user")
    profile = profile_of(user) if isinstance(user, dict) else None
    if profile is None:
        return
    changed = apply_slack_user(session, profile, now=now)
    if changed:
        logger.info("%s: %s %s", event.get("type"), profile.user_id, changed)


def register(app: App) -> None:
    """Register everything of the directory feature."""
    app.event(Event.USER_CHANGE.value)(update_from_slack)
    app.event(Event.TEAM_JOIN.value)(update_from_slack)
