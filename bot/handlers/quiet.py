"""Quiet in Slack: Snooze on a reminder, and the reminder preferences (pause, working hours) from App Home."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.views import View
from sqlmodel import Session

from bot.handlers.answer import Deliver, answer, decides, opens
from bot.handlers.home import republish_home
from bot.handlers.state import selected_date, text_value
from bot.ids import Action, Input, ViewId
from bot.services.errors import NotOnRoster, UserError
from bot.services.quiet import parse_hours, quiet_summary, set_preferences, snooze
from bot.types.policy import Policy
from bot.types.quiet import SnoozeChoice, Snoozed
from bot.views.blocks import notice_modal
from bot.views.quiet import quiet_settings_modal
from storage.models import Person


def handle_snooze_action(
    action: dict[str, Any], session: Session, person: Person | None, now: dt.datetime, policy: Policy
) -> Snoozed:
    """Snooze the reminder the button sits on: it comes back once, a day or three later or on Monday."""
    try:
        choice = SnoozeChoice(str(action.get("action_id", "")).split(":", 1)[1])
    except (IndexError, ValueError):
        raise UserError("This Snooze button is out of date; use the one on the latest reminder.") from None
    key = str(action.get("value") or "")
    return snooze(session, person, key=key, choice=choice, now=now, hours=policy.hours)


def open_quiet_settings(session: Session, person: Person | None, now: dt.datetime, policy: Policy) -> View:
    """Open the modal with the person's reminder pause and working hours."""
    if person is None or person.id is None:
        raise NotOnRoster("Only people on the Core Committer roster have reminders to set.")
    return quiet_settings_modal(quiet_summary(session, person, now=now, hours=policy.hours))


def handle_quiet_settings_submission(
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    policy: Policy,
    deliver: Deliver,
) -> None:
    """Save the pause and working hours (field errors in the ack), move held reminders, refresh App Home."""
    saved = answer(
        ack,
        deliver,
        body,
        lambda: set_preferences(
            session,
            person,
            paused_until=selected_date(view, Input.PAUSE_UNTIL),
            own_hours=parse_hours(text_value(view, Input.OWN_HOURS)),
            now=now,
            hours=policy.hours,
        ),
        update=lambda saved: notice_modal("Done", saved.text),
    )
    if saved is not None and person is not None:
        republish_home(client, body, session, person, now, policy)


def register(app: App) -> None:
    """Register the Snooze buttons and the reminder preferences."""
    app.action(re.compile(f"^{Action.SNOOZE.value}:"))(
        decides(handle_snooze_action, confirm=lambda s: s.text)
    )
    app.action(Action.QUIET_SETTINGS.value)(opens(open_quiet_settings))
    app.view(ViewId.QUIET_SETTINGS.value)(handle_quiet_settings_submission)
