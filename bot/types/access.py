"""GitHub team access as values: a plan (the changes with their reasons and sources, team by team) and its
digest, the identity problems met on the way, what applying did, and one team as `/cc` shows a committer."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from storage.models import AccessCause, AccessOp, TeamAccessState

NOTICE_CAUSES = frozenset({AccessCause.LAPSED, AccessCause.INACTIVE})
PLAN_FORMAT = "ccbot-access-plan/1"


@dataclass(frozen=True)
class Change:
    """One membership to add or remove: who (login and account id), where, why, and the record behind it."""

    team: str
    login: str
    person_id: int | None
    reason: str
    invitation: bool = False
    op: AccessOp = AccessOp.ADD
    cause: AccessCause = AccessCause.GRANTED
    source: str = ""
    github_id: int | None = None

    def as_record(self) -> dict[str, Any]:
        """Return the change as the plan file writes it."""
        record = asdict(self)
        record["op"], record["cause"] = self.op.value, self.cause.value
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Change:
        """Read a change back from a plan file (KeyError/ValueError/TypeError when it is not one)."""
        return cls(
            team=str(record["team"]),
            login=str(record["login"]),
            person_id=None if record.get("person_id") is None else int(record["person_id"]),
            reason=str(record["reason"]),
            invitation=bool(record.get("invitation", False)),
            op=AccessOp(record["op"]),
            cause=AccessCause(record["cause"]),
            source=str(record.get("source", "")),
            github_id=None if record.get("github_id") is None else int(record["github_id"]),
        )

    @property
    def line(self) -> str:
        """One line: `+ login to team: reason (source)`."""
        sign, word = ("+", "to") if self.op is AccessOp.ADD else ("-", "from")
        extra = " (cancels the invitation)" if self.invitation else ""
        return f"{sign} {self.login} {word} {self.team}: {self.reason}{extra}"


@dataclass(frozen=True)
class Held:
    """A removal waiting out its notice: applied on or after `remove_after`."""

    change: Change
    remove_after: dt.datetime
    noticed_at: dt.datetime | None = None


@dataclass(frozen=True)
class IdentityIssue:
    """A login whose GitHub account is not the one on record: not that person; nothing granted or credited."""

    person_id: int
    login: str
    recorded_id: int | None
    seen_id: int
    where: str


@dataclass(frozen=True)
class Rename:
    """A person whose GitHub account (same id) now goes by another login."""

    person_id: int
    old: str
    new: str
    github_id: int


@dataclass
class TeamPlan:
    """One team: who is to be added and removed and why, who is invited, held or not known to the roster."""

    team: str
    add: list[Change] = field(default_factory=list)
    remove: list[Change] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    pending: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    not_committers: list[str] = field(default_factory=list)
    blocked: list[tuple[str, str]] = field(default_factory=list)
    in_place: int = 0
    missing: bool = False

    @property
    def drift(self) -> bool:
        """Whether GitHub differs from what the roster calls for (or holds people the roster does not know)."""
        return bool(self.add or self.remove or self.held or self.unknown or self.blocked or self.missing)


@dataclass(frozen=True)
class NoticeDue:
    """A removal to announce now: to whom, why, from which teams, and from when it is applied."""

    person_id: int
    login: str
    cause: AccessCause
    reason: str
    teams: tuple[str, ...]
    remove_after: dt.datetime


@dataclass
class AccessPlan:
    """What the roster calls for on GitHub, team by team, and the snapshot `/cc` shows each committer."""

    teams: list[TeamPlan]
    states: dict[tuple[int, str], TeamAccessState] = field(default_factory=dict)
    notices: list[NoticeDue] = field(default_factory=list)
    identity: list[IdentityIssue] = field(default_factory=list)
    renames: list[Rename] = field(default_factory=list)
    settled_notices: set[int] = field(default_factory=set)
    config: str = "access.yaml"
    created_at: dt.datetime | None = None

    @property
    def adds(self) -> list[Change]:
        """Every membership to add."""
        return [c for t in self.teams for c in t.add]

    @property
    def removals(self) -> list[Change]:
        """Every membership (or invitation) to remove now."""
        return [c for t in self.teams for c in t.remove]

    @property
    def held(self) -> list[Held]:
        """Every removal waiting out its notice."""
        return [h for t in self.teams for h in t.held]

    @property
    def changes(self) -> list[Change]:
        """Every write the plan calls for, additions first, in a stable order."""
        return sorted(self.adds, key=_order) + sorted(self.removals, key=_order)

    @property
    def digest(self) -> str:
        """The plan's fingerprint: sha256 over its writes, so a plan can only be applied as it was reviewed."""
        return changes_digest(self.changes)

    @property
    def drift(self) -> bool:
        """Whether any team differs from the roster."""
        return any(t.drift for t in self.teams)

    @property
    def summary(self) -> str:
        """One line: teams, additions, removals, held removals, invitations, unknown members."""
        unknown = sum(len(t.unknown) for t in self.teams)
        pending = sum(len(t.pending) for t in self.teams)
        missing = sum(1 for t in self.teams if t.missing)
        parts = [
            _count(len(self.teams), "team"),
            f"{len(self.adds)} to add",
            f"{len(self.removals)} to remove",
        ]
        if self.held:
            parts.append(f"{len(self.held)} held for notice")
        parts += [
            f"{_count(pending, 'invitation')} pending",
            f"{_count(unknown, 'member')} the roster does not know",
        ]
        if missing:
            parts.append(f"{_count(missing, 'team')} missing on GitHub")
        if self.identity:
            parts.append(f"{_count(len(self.identity), 'login')} held by another GitHub account")
        return ", ".join(parts)


def _order(change: Change) -> tuple[str, str]:
    return (change.team, change.login.lower())


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def changes_digest(changes: list[Change]) -> str:
    """Return sha256 over the canonical JSON of some changes."""
    canonical = json.dumps([c.as_record() for c in changes], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class ApplyReport:
    """What applying a plan did."""

    added: list[Change] = field(default_factory=list)
    invited: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    failed: list[tuple[Change, str]] = field(default_factory=list)
    noticed: list[NoticeDue] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One line of counts."""
        line = (
            f"{len(self.added)} added, {len(self.invited)} invited, {len(self.removed)} removed, "
            f"{len(self.failed)} failed"
        )
        return line + (f", {_count(len(self.noticed), 'removal notice')} sent" if self.noticed else "")


@dataclass(frozen=True)
class Settled:
    """A write an interrupted run set out to make, and what GitHub shows of it now."""

    change: Change
    outcome: str
    at: dt.datetime


@dataclass(frozen=True)
class AccessLine:
    """One team as `/cc` shows a committer: the team, their state in it, when it was checked."""

    team: str
    state: str
    checked_on: dt.date
