"""Repository owners as values: an owner, the answer to a lookup, a sync's report, and the card an intro shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.types.keys import Subject
from storage.models import OwnerIntro, Person


@dataclass
class Owner:
    """One owner as written in the metadata, with the roster people it stands for."""

    kind: str  # user | group | team | email
    name: str
    people: list[Person] = field(default_factory=list)


@dataclass
class OwnersAnswer:
    """The owners of a repository and, when a path was asked, of that path."""

    repo: str
    path: str
    catalog_owner: Owner | None
    path_owners: list[Owner]
    rule: str | None
    rule_line: int | None
    lifecycle: str | None
    synced_at: dt.datetime
    coverage: str = "owned"  # owned | ownerless (a rule with no owners) | uncovered | no_codeowners

    @property
    def people(self) -> list[Person]:
        """Return every roster person among the owners, path owners first, without repeats."""
        seen: dict[int | None, Person] = {}
        for owner in [*self.path_owners, *([self.catalog_owner] if self.catalog_owner else [])]:
            for person in owner.people:
                seen.setdefault(person.id, person)
        return list(seen.values())

    @property
    def labels(self) -> list[str]:
        """Return every owner as written (`user:x`, `@org/team`), path owners first."""
        owners = [*self.path_owners, *([self.catalog_owner] if self.catalog_owner else [])]
        return list(dict.fromkeys(f"{o.kind}:{o.name}" for o in owners))


@dataclass
class SyncReport:
    """What `ccbot owners sync` found."""

    repos: list[str] = field(default_factory=list)
    groups: int = 0
    problems: list[str] = field(default_factory=list)
    skipped: str | None = None

    def __str__(self) -> str:
        if self.skipped:
            return f"skipped: {self.skipped}"
        return (
            f"synced owners of {len(self.repos)} repositories and {self.groups} groups "
            f"({len(self.problems)} problems)"
        )


@dataclass
class IntroCard:
    """An intro request with the people it brings together."""

    intro: OwnerIntro
    committer: Person
    repo: str
    owners: OwnersAnswer
    champions: list[Person]
    repeated: bool = False

    @property
    def subject(self) -> str:
        """The intro's post in the coordination channel, as the outbox and the postings name it."""
        assert self.intro.id is not None
        return Subject.intro(self.intro.id)
