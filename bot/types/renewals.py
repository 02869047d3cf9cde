"""The yearly recommitment as values: a member's card, what opening did, one pass of the job, a round's progress."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.models import Organization, Person, Renewal, RenewalMember


@dataclass(frozen=True)
class MemberCard:
    """A member of a round with the people and organisation around it."""

    member: RenewalMember
    renewal: Renewal
    person: Person | None
    organization: Organization | None
    contact: Person | None

    @property
    def id(self) -> int:
        """The member's id."""
        assert self.member.id is not None
        return self.member.id

    @property
    def is_organization(self) -> bool:
        """Whether the round asks an organisation (through its contact)."""
        return self.organization is not None


@dataclass
class Opened:
    """What opening did: the rounds opened (with how many were asked), notes for the admin, the keys to deliver."""

    rounds: list[tuple[Renewal, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class RenewalRun:
    """What one pass of the renewal job did."""

    opened: int
    reminded: int
    settled: int

    def __str__(self) -> str:
        return f"{self.opened} round(s) opened, {self.reminded} reminder(s) queued, {self.settled} member(s) settled"


@dataclass
class RoundProgress:
    """Who answered what in one round, for the admins' App Home, the digest and `ccbot renewal status`."""

    renewal: Renewal
    recommitted: list[MemberCard] = field(default_factory=list)
    stepped_down: list[MemberCard] = field(default_factory=list)
    waiting: list[MemberCard] = field(default_factory=list)
    listed: list[MemberCard] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many the round asked."""
        return len(self.recommitted) + len(self.stepped_down) + len(self.waiting) + len(self.listed)
