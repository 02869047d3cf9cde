"""Each person's activity in the program: one table of signs of activity that every feature writes to.

`record_activity` is how a feature (and the GitHub integration: merges, reviews) notes that someone did
something: asked a question, voted, answered a retro, recommitted. The latest sign is what the weekly
inactivity review reads (`bot.services.membership`).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlmodel import Session

from bot.services.errors import UserError
from bot.services.logins import LoginError, check_login
from storage import lifecycle as store
from storage import roster as roster_store
from storage.models import Activity, Person


class ActivityKind(enum.StrEnum):
    """The signs of activity the bot records itself (the GitHub integration adds `merge` and `review`)."""

    QUESTION = "question"
    VOTE = "vote"
    RETRO = "retro"
    RECOMMITTED = "recommitted"
    REINSTATED = "reinstated"
    MERGE = "merge"
    REVIEW = "review"


def record_activity(session: Session, person_id: int, kind: str, at: dt.datetime, ref: str) -> bool:
    """Record one sign of a person's activity in the caller's transaction, once per (person, kind, ref).

    `kind` is what they did (an ActivityKind value, or another short word), `ref` what it was about
    (`question:12`, a pull request URL, a review id). Returns whether it was new.
    """
    return store.add_activity(
        session, Activity(person_id=person_id, kind=str(kind)[:32], at=at, ref=str(ref)[:255])
    )


def last_activity(session: Session, person_id: int) -> dt.datetime | None:
    """Return a person's latest recorded activity, or None when none is recorded."""
    return store.last_activity_by_person(session, [person_id]).get(person_id)


def recent_activity(session: Session, handle: str, *, limit: int = 20) -> tuple[Person, list[Activity]]:
    """Return a person (by GitHub handle) and their latest signs of activity, newest first."""
    try:
        login = check_login(handle)
    except LoginError as exc:
        raise UserError(f"{handle[:100]!r}: {exc}") from None
    person = roster_store.get_person_by_github(session, login)
    if person is None:
        raise UserError(f"{login} is not on the roster (give a GitHub handle)")
    return person, store.list_recent_activity(session, person.id or 0, limit=limit)
