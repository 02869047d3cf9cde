"""Champions' responsiveness as values: whose turn a question is on and a week's measured numbers.

`services/responsiveness.py` computes them (business time, in the responder's hours); the digest,
App Home, `/metrics`, the weekly chart and the program's public page render them.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field


class Turn(enum.StrEnum):
    """Whose move a question waits on: the champions' (an answer is owed) or the committer's."""

    CHAMPIONS = "champions"
    COMMITTER = "committer"


@dataclass(frozen=True)
class Percentiles:
    """The 50th, 75th and 90th percentiles of a duration in business time (None where nothing was measured)."""

    p50: dt.timedelta | None = None
    p75: dt.timedelta | None = None
    p90: dt.timedelta | None = None
    count: int = 0


@dataclass(frozen=True)
class WeekResponsiveness:
    """One ISO week's numbers: questions asked and answered, first response and time waiting on champions."""

    start: dt.date
    asked: int
    answered: int
    first_response: Percentiles = field(default_factory=Percentiles)
    waiting_on_champions: Percentiles = field(default_factory=Percentiles)

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
