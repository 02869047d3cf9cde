"""Reminders' quiet as values: a snooze's choice and result, what App Home shows of a person's quiet, saved preferences."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from bot.types.mrkdwn import Mrkdwn


class SnoozeChoice(enum.StrEnum):
    """How long a reminder is snoozed."""

    DAY = "1d"
    THREE_DAYS = "3d"
    MONDAY = "monday"


@dataclass(frozen=True)
class Snoozed:
    """A snoozed reminder: when it comes back, and the key of the copy that will bring it."""

    release: dt.datetime
    key: str
    text: Mrkdwn


@dataclass(frozen=True)
class QuietSummary:
    """What App Home shows about a person's reminders: pause, hours, and what is held for them."""

    paused_until: dt.date | None
    own_hours: tuple[dt.time, dt.time] | None
    program_hours: tuple[dt.time, dt.time]
    timezone: str
    held: int
    next_release: dt.datetime | None


@dataclass(frozen=True)
class PreferencesSaved:
    """Preferences as saved, and the keys of held reminders now due (to deliver at once)."""

    summary: QuietSummary
    text: Mrkdwn
    keys: tuple[str, ...] = ()
