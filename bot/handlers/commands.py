"""Slash commands: `/cc` (status and help)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from sqlmodel import Session

from bot.ids import Command
from bot.services.roster import get_profile, list_admins
from bot.settings import Settings
from bot.views.status import admin_refs, blocks_to_text, help_blocks, not_on_roster_blocks, status_blocks
from storage.models import Person

STATUS_WORDS = {"", "status", "me"}


def answer_cc_command(
    ack: Callable[..., None],
    command: dict[str, Any],
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Answer `/cc` with the caller's status, `/cc help` with the command list, anything else with help."""
    text = (command.get("text") or "").strip()
    word = text.split()[0].lower() if text else ""
    if word == "help":
        blocks = help_blocks()
    elif word not in STATUS_WORDS:
        blocks = help_blocks(unknown=text)
    elif person is None or person.id is None:
        blocks = not_on_roster_blocks(admin_refs(list_admins(session), settings.admins))
    else:
        blocks = status_blocks(get_profile(session, person.id, today=now.date()), today=now.date())
    ack(text=blocks_to_text(blocks), blocks=blocks)


def register(app: App) -> None:
    """Register the slash commands."""
    app.command(Command.CC.value)(answer_cc_command)
