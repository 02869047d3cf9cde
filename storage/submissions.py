"""Repository functions for modal submissions by identity key: each key is taken once, within its window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Submission

# A key's window: the earliest instant a submission holding it still counts from (None: it counts for ever).
Keys = Mapping[str, dt.datetime | None]


def _counts(row: Submission, since: dt.datetime | None) -> bool:
    return bool(row.subject) and (since is None or row.submitted_at >= since)


def find_submission(session: Session, keys: Keys) -> Submission | None:
    """Return the earlier submission holding one of these keys within its window, or None (one read).

    It runs before a modal's ack, so it reads plain rows (SQLAlchemy Core), without building ORM objects.
    """
    if not keys:
        return None
    table = Submission.__table__  # type: ignore[attr-defined]
    statement = sa_select(table.c.key, table.c.subject, table.c.submitted_at).where(
        table.c.key.in_(list(keys))
    )
    rows = [Submission(key=k, subject=s, submitted_at=at) for k, s, at in session.execute(statement).all()]
    return next((row for row in rows if _counts(row, keys[row.key])), None)


def claim_submission(session: Session, keys: Keys, *, now: dt.datetime) -> Submission | None:
    """Take every key for a new submission in this transaction; return the earlier submission holding one instead.

    The claim is the transaction's first write. A key another transaction is inserting makes this one wait
    (PostgreSQL's unique index, SQLite's write lock) and then fail, so of two concurrent submissions only one
    takes it; the other rolls back and finds the first. A key held past its window is taken over. No savepoint:
    on SQLite a savepoint opened outside a transaction commits when released, which would publish the keys
    before the submission they stand for.
    """
    for _ in range(3):
        rows = session.exec(select(Submission).where(col(Submission.key).in_(list(keys)))).all()
        held = {row.key: row for row in rows}
        earlier = next((row for row in rows if _counts(row, keys[row.key])), None)
        if earlier is not None:
            return earlier
        try:
            for key in keys:
                if key in held:  # past its window: take it over, unless another claim did since it was read
                    taken = session.execute(
                        update(Submission)
                        .where(
                            col(Submission.key) == key,
                            col(Submission.submitted_at) == held[key].submitted_at,
                        )
                        .values(subject="", submitted_at=now)
                    )
                    if taken.rowcount != 1:  # type: ignore[attr-defined]
                        raise _Overtaken(key)
                else:
                    session.add(Submission(key=key, subject="", submitted_at=now))
            session.flush()
            return None
        except (IntegrityError, _Overtaken):
            session.rollback()
    raise _Overtaken("the submission's keys kept changing hands")


class _Overtaken(Exception):
    """Another claim took a key between reading it and taking it over."""


def name_submission(session: Session, keys: Keys, subject: str) -> None:
    """Record what the submission holding these keys created (in the transaction that claimed them)."""
    if keys:
        session.execute(update(Submission).where(col(Submission.key).in_(list(keys))).values(subject=subject))
