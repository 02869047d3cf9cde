"""Every slash command, callback_id, block_id and action_id, shared by views and handlers."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    """Slash commands (names fixed by the product contract)."""

    CC = "/cc"


COMMAND_HELP: dict[Command, tuple[str, str]] = {
    Command.CC: (
        "[help]",
        "your status: role, champions, repos, agreements with dates; `help` lists commands",
    ),
}


class Event(StrEnum):
    """Events API event types the bot subscribes to."""

    APP_HOME_OPENED = "app_home_opened"
