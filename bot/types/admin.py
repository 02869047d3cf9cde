"""Admin changes as values: a phase switch, for its announcement."""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import Person, Phase


@dataclass(frozen=True)
class PhaseChange:
    """A phase switch, for the announcement."""

    old: Phase
    new: Phase
    nda_required: bool
    milestones: str
    actor: Person
