"""Agreements as values: how one stands for its holder, and a person's agreement history."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from storage.models import AgreementEvent, AgreementKind, Organization, Person


class AgreementState(enum.StrEnum):
    """How an agreement stands for its holder."""

    VALID = "valid"
    ATTENTION = "attention"
    ENDED = "ended"


@dataclass(frozen=True)
class AgreementStatus:
    """One kind of agreement as a committer sees it: its state, its dates, and its latest change."""

    kind: AgreementKind
    state: AgreementState
    required: bool
    organization: str | None = None
    signed_on: dt.date | None = None
    expires_on: dt.date | None = None
    last_change: AgreementEvent | None = None

    @property
    def missing(self) -> bool:
        """Whether a required agreement was never signed."""
        return self.signed_on is None and self.expires_on is None and self.state is AgreementState.ATTENTION


@dataclass(frozen=True)
class History:
    """A person's agreement history (their own and their organisation's), for the CLI."""

    person: Person
    organization: Organization | None
    events: list[AgreementEvent]
