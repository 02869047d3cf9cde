"""Each person's activity in the program: one table of signs of activity that every feature writes to.

`record_activity` is how a feature notes that someone did something: asked a question, voted, answered a
retro, recommitted, and on GitHub merged or reviewed a pull request (webhooks, and once a backfill from
GitHub's API). The latest sign is the one notion of a person's activity: the weekly inactivity review
(`bot.services.membership`), `/cc` and App Home all read it.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.services.errors import UserError
from bot.services.logins import LoginError, check_login
from storage import activity as store
from storage import roster as roster_store
from storage.models import Activity, ActivityKind, Person


def record_activity(session: Session, person_id: int, kind: ActivityKind, at: dt.datetime, ref: str) -> bool:
    """Record one sign of a person's activity in the caller's transaction, once per (person, kind, ref).

    `ref` is what it was about (`question:12`, `openedx/edx-platform#12`). Returns whether it was new.
    """
    return store.add_activity(session, Activity(person_id=person_id, kind=kind, at=at, ref=str(ref)[:255]))


def pull_request_ref(repo: str, number: int) -> str:
    """Return how a pull request is named in the activity record: `org/repo#N`."""
    return f"{repo}#{number}"


def last_activity(session: Session, person_id: int) -> dt.datetime | None:
    """Return a person's latest recorded activity, or None when none is recorded."""
    return store.last_activity_by_person(session, [person_id]).get(person_id)


def latest_activity(session: Session, person_id: int) -> Activity | None:
    """Return a person's latest sign of activity (what it was and when), or None."""
    return next(iter(store.list_recent_activity(session, person_id, limit=1)), None)


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
