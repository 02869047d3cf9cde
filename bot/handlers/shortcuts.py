"""Shortcuts: the global `ask_champions` opens the same modal as `/cc-ask`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.ids import Shortcut
from bot.services.questions import ask_refusal
from bot.settings import Settings
from bot.views.questions import ask_modal, notice_modal, refusal_text
from storage.models import Person

NO_CHANNEL = "The program has no coordination channel configured yet. Ask a program admin to set CCBOT_COORDINATION_CHANNEL."


def open_ask_modal_from_shortcut(
    ack: Callable[..., None],
    shortcut: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Open the question modal, or a modal saying why asking is closed to this person."""
    ack()
    refusal = ask_refusal(session, person, today=now.date())
    if refusal is not None:
        view = notice_modal("Cannot ask yet", refusal_text(refusal))
    elif not settings.coordination_channel:
        view = notice_modal("Cannot ask yet", NO_CHANNEL)
    else:
        view = ask_modal()
    client.views_open(trigger_id=shortcut["trigger_id"], view=view)


def register(app: App) -> None:
    """Register the shortcuts."""
    app.shortcut(Shortcut.ASK_CHAMPIONS.value)(open_ask_modal_from_shortcut)
