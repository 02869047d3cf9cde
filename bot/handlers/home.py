"""The App Home tab: a dashboard by role for whoever opens it, paginated within Slack's 100 blocks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.ids import Action, Event
from bot.services.home import build_home
from bot.services.roster import list_admins
from bot.settings import Settings
from bot.views.home import home_blocks, paged_home
from bot.views.status import admin_refs, not_on_roster_blocks
from storage.models import Person


def _publish(
    client: WebClient,
    user_id: str,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
    page: int,
) -> None:
    if person is None or person.id is None:
        blocks = not_on_roster_blocks(admin_refs(list_admins(session), settings.admins))
    else:
        blocks = home_blocks(build_home(session, person.id, now=now), now=now)
    client.views_publish(user_id=user_id, view=paged_home(blocks, page))


def publish_home(
    event: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Publish the first page of the Home tab for whoever opened it."""
    if event.get("tab", "home") != "home":
        return
    _publish(client, event["user"], session, person, now, settings, page=1)


def handle_home_page_action(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Show another page of the Home tab."""
    ack()
    value = str(action.get("value") or "1")
    _publish(
        client, body["user"]["id"], session, person, now, settings, page=int(value) if value.isdigit() else 1
    )


def register(app: App) -> None:
    """Register the App Home listeners."""
    app.event(Event.APP_HOME_OPENED.value)(publish_home)
    app.action(re.compile(f"^{Action.HOME_PAGE.value}:"))(handle_home_page_action)
