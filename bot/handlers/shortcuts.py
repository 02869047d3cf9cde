"""Shortcuts: the global `ask_champions` (as `/cc-ask`) and the message shortcut `escalate_message`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.ids import Shortcut
from bot.services.errors import UserError
from bot.services.escalations import escalation_form
from bot.services.questions import ask_refusal
from bot.settings import Settings
from bot.views.escalations import escalate_modal
from bot.views.questions import NO_CHANNEL, ask_modal, notice_modal, refusal_text
from storage.models import Person


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


def open_escalate_modal_from_message(
    ack: Callable[..., None],
    shortcut: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
) -> None:
    """Open the escalate modal pre-filled with the message's text and link."""
    ack()
    try:
        form = escalation_form(session, person)
    except UserError as exc:
        client.views_open(trigger_id=shortcut["trigger_id"], view=notice_modal("Cannot escalate", str(exc)))
        return
    message = shortcut.get("message") or {}
    channel = (shortcut.get("channel") or {}).get("id") or ""
    permalink = client.chat_getPermalink(channel=channel, message_ts=message.get("ts") or "").get("permalink")
    prefill = {"impact": str(message.get("text") or ""), "source": str(permalink or "")}
    client.views_open(trigger_id=shortcut["trigger_id"], view=escalate_modal(form, prefill))


def register(app: App) -> None:
    """Register the shortcuts."""
    app.shortcut(Shortcut.ASK_CHAMPIONS.value)(open_ask_modal_from_shortcut)
    app.shortcut(Shortcut.ESCALATE_MESSAGE.value)(open_escalate_modal_from_message)
