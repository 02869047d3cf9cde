"""Repository functions for modal submissions by identity key: each key is taken once, within its window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Submission

# A key's window: the earliest instant a submission holding it still counts from (None: it counts for ever).
Keys = Mapping[str, dt.datetime | None]


def _counts(row: Submission, since: dt.datetime | None) -> bool:
    return bool(row.subject) and (since is None or row.submitted_at >= since)


def find_submission(session: Session, keys: Keys) -> Submission | None:
    """Return the earlier submission holding one of these keys within its window, or None (one read)."""
    if not keys:
        return None
    rows = session.exec(select(Submission).where(col(Submission.key).in_(list(keys)))).all()
    return next((row for row in rows if _counts(row, keys[row.key])), None)


def claim_submission(session: Session, keys: Keys, *, now: dt.datetime) -> Submission | None:
    """Take every key for a new submission in this transaction; return the earlier submission holding one instead.

    A key another transaction is inserting makes this one wait (PostgreSQL's unique index, SQLite's write lock)
    and then fail, so of two concurrent submissions only one takes it. A key held past its window is taken over.
    On a non-None answer the caller rolls back: the keys taken before the clash go with it.
    """
    for key, since in keys.items():
        try:
            with session.begin_nested():
                session.add(Submission(key=key, subject="", submitted_at=now))
            continue
        except IntegrityError:
            pass
        held = session.exec(select(Submission).where(Submission.key == key).with_for_update()).one()
        if _counts(held, since):
            return held
        held.subject, held.submitted_at = "", now
        session.add(held)
        session.flush()
    return None


def name_submission(session: Session, keys: Keys, subject: str) -> None:
    """Record what the submission holding these keys created (in the transaction that claimed them)."""
    if keys:
        session.execute(update(Submission).where(col(Submission.key).in_(list(keys))).values(subject=subject))
