"""The roster's feature types: a person's profile and agreements as shown to them, a change of standing to tell,
and what an import did."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from storage.models import AgreementKind, Organization, Person, Role

if TYPE_CHECKING:
    from bot.types.policy import PhasePolicy
    from bot.types.standing import Standing


@dataclass(frozen=True)
class AgreementLine:
    """An agreement as shown to its holder: whose it is, its dates and whether it is in force."""

    kind: AgreementKind
    holder: str
    signed_on: dt.date | None
    expires_on: dt.date | None
    valid: bool


@dataclass
class Profile:
    """Everything `/cc` and App Home show a person about themselves."""

    person: Person
    roles: list[Role]
    organization: Organization | None
    repos: list[str]
    branches: list[str]
    champions: list[Person]
    committers: list[Person]
    manager: Person | None
    agreements: list[AgreementLine]
    standing: Standing
    policy: PhasePolicy


@dataclass
class ImportReport:
    """What an import added, changed and removed (or would have, in a dry run)."""

    source: str
    format: str
    dry_run: bool
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0
    not_imported: list[str] = field(default_factory=list)
    ending: list[str] = field(default_factory=list)
    needs_confirmation: bool = False
    resolving: int = 0  # people whose Slack id or time zone the background resolution will look for

    @property
    def summary(self) -> str:
        """One line: how much changed."""
        verb = "would add" if self.dry_run else "added"
        return (
            f"{self.source} ({self.format}): {verb} {len(self.added)}, changed {len(self.changed)}, "
            f"removed {len(self.removed)}; {self.skipped} record(s) skipped, {len(self.warnings)} warning(s)"
        )
