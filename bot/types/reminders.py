"""Reminders as values: an agreement close to its end with whom it affects, a change of standing, an onboarding's gaps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from bot.types.standing import Gap
from storage.models import Agreement, AgreementKind, Organization, Person, Status


@dataclass(frozen=True)
class ExpiryNotice:
    """A required agreement close to its end, the threshold it crossed, and who is affected."""

    agreement: Agreement
    kind: AgreementKind
    expires_on: dt.date
    days_left: int
    threshold: int
    committers: Collection[Person]
    organization: Organization | None
    champions: Mapping[int, list[Person]]
    org_contact: Person | None


@dataclass(frozen=True)
class StatusChange:
    """A committer whose standing changed in this run, with the people to tell."""

    person: Person
    old: Status
    new: Status
    gaps: list[Gap]
    managers: list[Person]


@dataclass(frozen=True)
class OnboardingGaps:
    """A committer still onboarding and exactly what they lack."""

    person: Person
    gaps: list[Gap]
