"""What /cc and App Home show as values: a person's open items, the roster's health, and one person's App Home."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.types.access import AccessLine
from bot.types.digest import Digest, Expiring
from bot.types.github import GitHubWork
from bot.types.reminders import OnboardingGaps
from bot.types.responsiveness import ResponsivenessSeries
from bot.types.roster import Profile
from bot.types.yearly import YearlyHome
from storage.models import Activity, DeploymentNotice, Escalation, Person, Question


@dataclass
class OpenItems:
    """A person's open items; a committer sees only their own escalations."""

    asked: list[tuple[Question, str]] = field(default_factory=list)
    waiting_on_me: list[tuple[Question, str]] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    deployments: list[tuple[DeploymentNotice, str]] = field(default_factory=list)
    github: GitHubWork | None = None
    access: list[AccessLine] = field(default_factory=list)
    # The latest sign of activity, with the bot or on GitHub: what the inactivity review counts from.
    last_active: Activity | None = None
    links: dict[str, str] = field(default_factory=dict)
    # Business time each question waiting on this person has spent on the champions' turn, by question id.
    waited: dict[int, dt.timedelta] = field(default_factory=dict)

    def link(self, subject: str) -> str | None:
        """Return the permalink of a posted question or escalation (by subject), or None."""
        return self.links.get(subject)


@dataclass
class RosterHealth:
    """What an admin must fix: onboarding blockers, agreements ending soon, committers short of champions."""

    onboarding: list[OnboardingGaps]
    expiring: list[Expiring]
    short_of_champions: list[tuple[Person, int]]
    champions_required: int


@dataclass
class HomeData:
    """Everything one person's App Home shows."""

    profile: Profile
    activity: OpenItems
    digest: Digest | None = None
    overdue: list[Escalation] = field(default_factory=list)
    health: RosterHealth | None = None
    yearly: YearlyHome | None = None
    # Managers and admins: the last weeks of the champions' responsiveness against the target.
    responsiveness: ResponsivenessSeries | None = None

    @property
    def roles(self) -> set[str]:
        """The person's roles."""
        return set(self.profile.roles)
