"""Status and home: `/cc` (your status, or help) and the App Home dashboard with its pages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.handlers.answer import Deliver, answer_command
from bot.ids import Action, Command, Event
from bot.services import home as home_service
from bot.services.home import build_home, get_open_items
from bot.services.roster import get_profile, list_admins
from bot.types.policy import Channels, Policy
from bot.views.home import (
    admin_refs,
    help_blocks,
    home_blocks,
    not_on_roster_blocks,
    paged_home,
    status_blocks,
)
from bot.views.text import blocks_to_text
from storage.models import Person

STATUS_WORDS = {"", "status", "me"}


def answer_cc_command(
    ack: Callable[..., None],
    command: dict[str, Any],
    session: Session,
    person: Person | None,
    now: dt.datetime,
    channels: Channels,
    policy: Policy,
) -> None:
    """Answer `/cc` with the caller's status, `/cc help` with the command list, anything else with help."""
    text = (command.get("text") or "").strip()
    word = text.split()[0].lower() if text else ""
    if word == "help":
        blocks = help_blocks()
    elif word not in STATUS_WORDS:
        blocks = help_blocks(unknown=text)
    elif person is None or person.id is None:
        blocks = not_on_roster_blocks(admin_refs(list_admins(session), channels.admins))
    else:
        profile = get_profile(session, person.id, today=now.date())
        activity = get_open_items(
            session, person.id, now=now, web_url=policy.github.web_url, hours=policy.hours
        )
        blocks = status_blocks(profile, today=now.date(), activity=activity)
    answer_command(ack, blocks_to_text(blocks), blocks)


def _publish(
    client: WebClient,
    user_id: str,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    channels: Channels,
    page: int,
    policy: Policy,
) -> None:
    if person is None or person.id is None:
        blocks = not_on_roster_blocks(admin_refs(list_admins(session), channels.admins))
    else:
        blocks = home_blocks(build_home(session, person.id, now=now, policy=policy), now=now)
    client.views_publish(user_id=user_id, view=paged_home(blocks, page))


def publish_home(
    event: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    channels: Channels,
    policy: Policy,
) -> None:
    """Publish the first page of the Home tab for whoever opened it."""
    if event.get("tab", "home") != "home":
        return
    _publish(client, event["user"], session, person, now, channels, page=1, policy=policy)


def handle_home_page_action(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    channels: Channels,
    policy: Policy,
) -> None:
    """Show another page of the Home tab."""
    ack()
    value = str(action.get("value") or "1")
    # A forged page number is page 1, never a huge offset.
    page = int(value) if value.isascii() and value.isdigit() and len(value) <= 6 else 1
    _publish(client, body["user"]["id"], session, person, now, channels, page=page, policy=policy)


def is_direct_message(event: dict[str, Any]) -> bool:
    """Whether an event is a person's new message in their DM with the bot (not an edit, not the bot's own)."""
    return (
        event.get("channel_type") == "im"
        and event.get("subtype") is None
        and not event.get("bot_id")
        and not event.get("thread_ts")
        and bool(event.get("user"))
    )


def answer_direct_message(
    event: dict[str, Any], session: Session, now: dt.datetime, deliver: Deliver
) -> None:
    """Answer a message sent to the bot with the list of commands (the messages tab is open to people)."""
    deliver(
        home_service.answer_direct_message(
            session, channel=str(event["channel"]), ts=str(event["ts"]), now=now
        )
    )


def republish_home(
    client: WebClient,
    body: dict[str, Any],
    session: Session,
    person: Person,
    now: dt.datetime,
    policy: Policy,
) -> None:
    """Redraw the App Home of the person who clicked in it, so the tab shows what the click changed."""
    user_id = (body.get("user") or {}).get("id")
    if user_id and person.id is not None:
        home = build_home(session, person.id, now=now, policy=policy)
        client.views_publish(user_id=user_id, view=paged_home(home_blocks(home, now=now), 1))


def register(app: App) -> None:
    """Register everything of the status feature."""
    app.command(Command.CC.value)(answer_cc_command)
    # Before the questions feature's thread replies: a DM to the bot is answered here.
    app.event(Event.MESSAGE.value, matchers=[is_direct_message])(answer_direct_message)
    app.event(Event.APP_HOME_OPENED.value)(publish_home)
    app.action(re.compile(f"^{Action.HOME_PAGE.value}:"))(handle_home_page_action)
