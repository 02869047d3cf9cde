"""Rotations: who among several people is given the next item (a question to answer, a review to do)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from storage.models import Person

# Reads, for these person ids, how many open items each holds, and when each was last given one.
Loads = Callable[[list[int]], Mapping[int, int]]
LastGiven = Callable[[list[int]], Mapping[int, Any]]

_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def is_away(person: Person, today: dt.date) -> bool:
    """Whether the person is away today (rotations pass them over)."""
    return person.away_until is not None and person.away_until >= today


def least_loaded(
    candidates: Iterable[Person], *, today: dt.date, loads: Loads, last_given: LastGiven
) -> Person | None:
    """Return the candidate not away with the fewest open items, then the one given one longest ago, then by
    GitHub handle; None when nobody is left."""
    present = [p for p in candidates if not is_away(p, today)]
    if not present:
        return None
    ids = [p.id or 0 for p in present]
    load, last = loads(ids), last_given(ids)
    return min(present, key=lambda p: (load.get(p.id or 0, 0), last.get(p.id or 0) or _NEVER, p.github_key))
