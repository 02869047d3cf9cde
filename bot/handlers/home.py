"""The App Home tab: the caller's dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.ids import Event
from bot.services.activity import get_activity
from bot.services.roster import get_profile, list_admins
from bot.settings import Settings
from bot.views.status import admin_refs, home_view, not_on_roster_blocks, status_blocks
from storage.models import Person


def publish_home(
    event: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Publish the Home tab for whoever opened it."""
    if event.get("tab", "home") != "home":
        return
    if person is None or person.id is None:
        blocks = not_on_roster_blocks(admin_refs(list_admins(session), settings.admins))
    else:
        profile = get_profile(session, person.id, today=now.date())
        blocks = status_blocks(profile, today=now.date(), activity=get_activity(session, person.id, now=now))
    client.views_publish(user_id=event["user"], view=home_view(blocks))


def register(app: App) -> None:
    """Register the App Home listener."""
    app.event(Event.APP_HOME_OPENED.value)(publish_home)
