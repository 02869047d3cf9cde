"""What a roster file states, whatever its format: organisations, people and their agreements, and the
problems that refuse it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from storage.models import AgreementKind, Phase, Role


class RosterError(Exception):
    """A roster file cannot be imported; `problems` name the file, the line and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class FieldProblem(ValueError):
    """A bad value, with the line it is on when the file says."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class AgreementSpec:
    """An agreement as a roster file states it."""

    kind: AgreementKind
    signed: dt.date | None = None
    expires: dt.date | None = None


@dataclass
class OrgSpec:
    """An organisation as a roster file states it; None means the file says nothing about that field.

    `only_if_referenced` organisations (orgs.yaml, the CSV's accounts) are created only when a
    person who is imported belongs to them; existing ones are updated all the same.
    """

    name: str
    where: str
    alias: str | None = None
    is_provider: bool | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact2_name: str | None = None
    contact2_email: str | None = None
    agreements: list[AgreementSpec] | None = None
    ensure_entity: bool | None = None
    only_if_referenced: bool = False


@dataclass
class PersonSpec:
    """A person as a roster file states it; None means the file says nothing about that field.

    `roles` replaces the person's roles within `role_scope`; `agreements` replaces their
    agreements of the kinds in `agreement_scope`; `ensure_individual` (CSV) only asks that a
    valid individual agreement exists (True) or that none does (False). `problems` are faults
    that refuse the file only when the person is imported (upstream skips such records); `notes`
    are warnings, summarised with the others when the person is not imported.
    """

    github: str
    where: str
    name: str | None = None
    email: str | None = None
    slack: str | None = None
    timezone: str | None = None
    title: str | None = None
    organization: str | None = None
    clear_organization: bool = False
    roles: set[Role] = field(default_factory=set)
    role_scope: frozenset[Role] = frozenset()
    repos: list[str] | None = None
    branches: list[str] | None = None
    granted_on: dt.date | None = None
    grant_dates: dict[str, dt.date] = field(default_factory=dict)
    champions: list[str] | None = None
    manager: str | None = None
    clear_manager: bool = False
    agreements: list[AgreementSpec] | None = None
    agreement_scope: frozenset[AgreementKind] = frozenset()
    ensure_individual: bool | None = None
    alumni: bool | None = None
    removed_on: dt.date | None = None
    only_if_known: bool = False
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def grant_date(self, key: str) -> dt.date | None:
        """Return when the grant `key` (a repo's lower-cased name, or `branch NAME`) began, if known."""
        return self.grant_dates.get(key, self.granted_on)


@dataclass
class RosterDocument:
    """Everything one import brings: the program phase, organisations and people."""

    source: str
    format: str
    phase: Phase | None = None
    organizations: list[OrgSpec] = field(default_factory=list)
    people: list[PersonSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_imported: list[str] = field(default_factory=list)
    as_of: dt.date | None = None
