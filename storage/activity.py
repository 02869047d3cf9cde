"""Repository functions for signs of activity: one row per (person, kind, ref)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.db import insert_once
from storage.models import (
    Activity,
    CommitGrant,
)


def add_activity(session: Session, activity: Activity) -> bool:
    """Record one sign of activity unless the same (person, kind, ref) is already recorded; return whether new."""
    return insert_once(session, activity)


def last_activity_by_person(session: Session, person_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """Return each person's latest recorded activity, by person id (people with none are absent)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    statement = (
        select(Activity.person_id, func.max(Activity.at))
        .where(col(Activity.person_id).in_(ids))
        .group_by(col(Activity.person_id))
    )
    found: dict[int, dt.datetime] = {}
    for person_id, at in session.exec(statement).all():
        if at is not None:
            # An aggregate bypasses the column type: SQLite hands back naive UTC (or text).
            value = dt.datetime.fromisoformat(at) if isinstance(at, str) else at
            found[person_id] = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return found


def list_recent_activity(session: Session, person_id: int, *, limit: int = 10) -> list[Activity]:
    """Return a person's latest signs of activity, newest first."""
    statement = (
        select(Activity)
        .where(Activity.person_id == person_id)
        .order_by(col(Activity.at).desc(), col(Activity.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement).all())


def latest_grant_dates(session: Session, person_ids: Iterable[int]) -> dict[int, dt.date]:
    """Return the date of each person's newest commit grant still in force, by person id."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    statement = (
        select(CommitGrant.person_id, func.max(CommitGrant.granted_on))
        .where(col(CommitGrant.person_id).in_(ids), col(CommitGrant.revoked_on).is_(None))
        .group_by(col(CommitGrant.person_id))
    )
    found: dict[int, dt.date] = {}
    for person_id, granted in session.exec(statement).all():
        if granted is not None:
            found[person_id] = dt.date.fromisoformat(granted) if isinstance(granted, str) else granted
    return found
