"""The yearly cycle as values: one person's share of it in App Home, and the admins' and managers' overview."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.types.agreements import AgreementStatus
from bot.types.membership import InactivitySummary
from bot.types.quiet import QuietSummary
from bot.types.renewals import MemberCard, RoundProgress
from storage.models import Person


@dataclass
class YearlyHome:
    """One person's share of the yearly cycle in App Home; the admins' overview when they are admins."""

    agreements: list[AgreementStatus] = field(default_factory=list)
    admins: list[Person] = field(default_factory=list)
    quiet: QuietSummary | None = None
    to_answer: list[MemberCard] = field(default_factory=list)


@dataclass
class YearlyOverview:
    """The rounds in progress and the inactive committers, for admins (App Home) and managers (the digest)."""

    rounds: list[RoundProgress]
    inactivity: InactivitySummary
