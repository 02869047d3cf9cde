"""The identity of a modal submission, so a question or escalation submitted twice is one.

Two submissions are the same when they come from the same Slack view (Slack's retry of a view_submission
whose ack came late, or the same modal submitted again), or when the same person submits the same content
within `REPEAT_WINDOW` (a second `/cc-ask` after the first seemed to fail).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from sqlmodel import Session

from storage import submissions as store
from storage.submissions import Keys

REPEAT_WINDOW = dt.timedelta(minutes=10)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:48]


def normalized(text: str) -> str:
    """Return text as compared for repeats: case and runs of whitespace do not make a new submission."""
    return " ".join(text.split()).casefold()


def submission_keys(
    kind: str, user_id: str, content: Sequence[str], *, view_id: str | None, now: dt.datetime
) -> dict[str, dt.datetime | None]:
    """Return a submission's identity keys, each with the start of its window (None: the view's, for ever)."""
    keys: dict[str, dt.datetime | None] = {
        f"{kind}:{_digest(user_id, *map(normalized, content))}": now - REPEAT_WINDOW
    }
    if view_id:
        keys[f"view:{_digest(user_id, view_id)}"] = None
    return keys


def earlier_subject(session: Session, keys: Keys) -> str | None:
    """Return the subject an earlier submission with one of these keys created (one read), or None."""
    found = store.find_submission(session, keys)
    return found.subject if found else None


def claim(session: Session, keys: Keys, *, now: dt.datetime) -> str | None:
    """Take these keys for a new submission (in the caller's transaction); return the earlier one's subject instead.

    On a non-None answer the transaction is rolled back, so nothing of this submission is kept.
    """
    held = store.claim_submission(session, keys, now=now)
    if held is None:
        return None
    subject = held.subject
    session.rollback()
    return subject


def record(session: Session, keys: Keys, subject: str) -> None:
    """Record the subject a claimed submission created (in the transaction that claimed its keys)."""
    store.name_submission(session, keys, subject)
