"""Membership as values: an inactive committer, a line of an inactivity list, a backfill's result, the inactivity summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.models import InactivityProposal, Person


@dataclass(frozen=True)
class Inactive:
    """A current committer with no sign of activity for longer than the program allows."""

    person: Person
    last_active_at: dt.datetime | None
    counted_from: dt.datetime
    days: int


@dataclass(frozen=True)
class ProposalRow:
    """One line of an inactivity list: the proposal and its committer."""

    proposal: InactivityProposal
    person: Person


@dataclass(frozen=True)
class Backfill:
    """What the backfill from GitHub's API did: whom it read, how many signs it recorded, or why it stopped."""

    read: int = 0
    recorded: int = 0
    failed: str = ""


@dataclass(frozen=True)
class InactivitySummary:
    """What the admins' App Home and the digest show: who is inactive now, and the open proposals."""

    inactive: list[Inactive]
    undecided: int
    days: int
