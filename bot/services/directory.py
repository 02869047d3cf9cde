"""The Slack directory as services see it: who a Slack user is, found by id or e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SlackProfile:
    """What Slack knows of a user that the roster cares about."""

    user_id: str
    email: str | None
    timezone: str | None
    real_name: str | None = None


class Directory(Protocol):
    """Looks people up in the Slack workspace; implemented over the Web API in bot.slack."""

    def lookup_by_email(self, email: str) -> SlackProfile | None:
        """Return the Slack user with this e-mail, or None when there is none."""
        ...

    def user_info(self, user_id: str) -> SlackProfile | None:
        """Return the Slack user with this id, or None when there is none."""
        ...
