"""Retros as values: one participant's 4Ls, a closed retro's report, a pass's progress, a reminder stage due."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.models import Person, Retro


@dataclass(frozen=True)
class Feedback:
    """One participant's 4Ls, as typed."""

    liked: str = ""
    lacked: str = ""
    learned: str = ""
    longed_for: str = ""
    anonymous: bool = False


@dataclass
class RetroReport:
    """A closed retro: entries grouped by the four Ls, with authors unless anonymous, and the response rate."""

    retro: Retro
    participants: int
    responses: int
    entries: dict[str, list[tuple[Person | None, str]]] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Share of participants who responded."""
        return self.responses / self.participants if self.participants else 0.0


@dataclass(frozen=True)
class RetroProgress:
    """What one pass over the open retros did: messages newly queued, retros closed."""

    queued: int
    closed: int


@dataclass(frozen=True)
class RetroStage:
    """A reminder stage due for a retro: who has not answered yet."""

    retro: Retro
    stage: str  # invite | midpoint | last_day
    people: list[Person]
