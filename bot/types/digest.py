"""The weekly digest as values: a champion's load, an agreement ending soon, and the week's report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.types.reminders import OnboardingGaps
from bot.types.responsiveness import NudgeReport, WeekResponsiveness
from bot.types.yearly import YearlyOverview
from storage.models import AgreementKind, Person, Retro


@dataclass(frozen=True)
class ChampionLoad:
    """One champion's (or responder's) open questions now and answers this week."""

    person: Person
    open: int
    answered: int
    median_first_response: dt.timedelta | None = None


@dataclass(frozen=True)
class Expiring:
    """A required agreement ending within the horizon: whose, which kind, when."""

    holder: str
    kind: AgreementKind
    expires_on: dt.date


@dataclass
class Digest:
    """What the weekly digest reports for the week ending at `end`."""

    start: dt.datetime
    end: dt.datetime
    asked: int
    answered: int
    still_open: int
    first_response_median: dt.timedelta | None
    first_response_p90: dt.timedelta | None
    loads: list[ChampionLoad]
    escalations_opened: int
    escalations_acknowledged: int
    escalations_resolved: int
    escalations_overdue: int
    expiring: list[Expiring] = field(default_factory=list)
    lapsed: list[Person] = field(default_factory=list)
    onboarding: list[OnboardingGaps] = field(default_factory=list)
    retro: tuple[Retro, int, int] | None = None
    notices: int = 0
    pending_nominations: int = 0
    reverted: int = 0
    time_to_revert: dt.timedelta | None = None
    github: dict[str, int] = field(default_factory=dict)
    yearly: YearlyOverview | None = None
    # Business-time percentiles of the questions asked in the window, against the target for the 75th.
    responsiveness: WeekResponsiveness | None = None
    nudges: NudgeReport | None = None
    response_target: dt.timedelta | None = None

    @property
    def period(self) -> str:
        """The ISO week the digest is for, as a key (`2026-W50`)."""
        year, week, _ = self.end.date().isocalendar()
        return f"{year}-W{week:02d}"
