"""Nominations as values: the votes and what they mean under the rules, and the card a nomination's post shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.types.keys import Subject
from bot.types.policy import NominationRules
from storage.models import Nomination, Person, SlackPosting


@dataclass(frozen=True)
class Tally:
    """The votes on a nomination and what they mean under the rules."""

    yes: int
    no: int
    outside_yes: int
    rules: NominationRules

    @property
    def approved(self) -> bool:
        """Whether the nomination passes: enough yes, no `no`, and a yes from outside the nominee's organisation."""
        return self.no == 0 and self.yes >= self.rules.min_yes and self.outside_yes >= self.rules.outside_yes

    def missing(self) -> list[str]:
        """Say what keeps the nomination from passing."""
        reasons = []
        if self.no:
            reasons.append(f"{self.no} no vote{'s' if self.no != 1 else ''}")
        if self.yes < self.rules.min_yes:
            reasons.append(f"{self.yes} of {self.rules.min_yes} yes votes")
        if self.outside_yes < self.rules.outside_yes:
            reasons.append("no yes vote from outside the nominee's organisation")
        return reasons


@dataclass
class NominationCard:
    """A nomination with its nominator and tally."""

    nomination: Nomination
    nominated_by: Person | None
    tally: Tally
    created: Person | None = None
    champions: list[Person] = field(default_factory=list)
    posting: SlackPosting | None = None
    expands: Person | None = None
    granted: list[str] = field(default_factory=list)

    @property
    def is_expansion(self) -> bool:
        """Whether this proposes more repositories for an existing committer rather than a new one."""
        return self.nomination.expands_person_id is not None

    @property
    def id(self) -> int:
        """The nomination's id."""
        assert self.nomination.id is not None
        return self.nomination.id

    @property
    def subject(self) -> str:
        """The nomination's post with its vote buttons, as the outbox and the postings name it."""
        return Subject.nomination(self.id)

    @property
    def permalink(self) -> str | None:
        """The link to the nomination's post, once it is posted."""
        return self.posting.permalink if self.posting else None
