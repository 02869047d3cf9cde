"""Champions' responsiveness as values: whose turn a question is on and a week's measured numbers.

`services/responsiveness.py` computes them (business time, in the responder's hours); the digest,
App Home, `/metrics`, the weekly chart and the program's public page render them.

Percentiles are nearest-rank: of n values in ascending order, the p-th percentile is the value at rank
ceil(p * n) (the smallest value at least p of all values are at or below); no interpolation, so every
percentile shown is a time some question actually took.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from storage.models import Person, Turn

__all__ = [
    "AreaWeek",
    "ChampionWeek",
    "NudgeReport",
    "Percentiles",
    "ResponsivenessSeries",
    "Turn",
    "WeekResponsiveness",
]


@dataclass(frozen=True)
class Percentiles:
    """The 50th, 75th and 90th percentiles of a duration in business time (None where nothing was measured)."""

    p50: dt.timedelta | None = None
    p75: dt.timedelta | None = None
    p90: dt.timedelta | None = None
    count: int = 0

    def meets(self, target: dt.timedelta) -> bool | None:
        """Whether the 75th percentile is within `target` (None when nothing was measured)."""
        return None if self.p75 is None else self.p75 <= target


@dataclass(frozen=True)
class ChampionWeek:
    """One champion's numbers over the questions routed to or claimed by them, in their own business hours."""

    person: Person
    first_response: Percentiles = field(default_factory=Percentiles)
    waiting_on_champions: Percentiles = field(default_factory=Percentiles)


@dataclass(frozen=True)
class AreaWeek:
    """One repository area's numbers (`area` is its name; "" for questions routed to no area)."""

    area: str
    first_response: Percentiles = field(default_factory=Percentiles)
    waiting_on_champions: Percentiles = field(default_factory=Percentiles)


@dataclass(frozen=True)
class NudgeReport:
    """Whether nudges earn their keep: DMs sent, skipped over the daily cap, rated, rated helpful, and the time
    to a first response after the last nudge against the time to first response of questions never nudged."""

    sent: int = 0
    skipped: int = 0
    rated: int = 0
    helpful: int = 0
    after_nudge: Percentiles = field(default_factory=Percentiles)
    without_nudge: Percentiles = field(default_factory=Percentiles)

    @property
    def helpful_share(self) -> float | None:
        """The share of rated nudges rated helpful (None when none was rated)."""
        return self.helpful / self.rated if self.rated else None


@dataclass(frozen=True)
class WeekResponsiveness:
    """One ISO week's numbers: questions asked and answered, first response and time waiting on champions.

    `first_response` is over the questions asked in the week that have had a response; `waiting_on_champions`
    over every question asked in the week, a turn still open counted up to the moment of measuring.
    """

    start: dt.date
    asked: int
    answered: int
    first_response: Percentiles = field(default_factory=Percentiles)
    waiting_on_champions: Percentiles = field(default_factory=Percentiles)
    by_champion: list[ChampionWeek] = field(default_factory=list)
    by_area: list[AreaWeek] = field(default_factory=list)

    @property
    def week(self) -> str:
        """The ISO week as a key (`2026-W50`)."""
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class ResponsivenessSeries:
    """The last weeks in order, oldest first, with the target for the 75th percentile of first response."""

    weeks: list[WeekResponsiveness]
    target: dt.timedelta
