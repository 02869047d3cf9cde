"""The audit trail every decision leaves: who did what to which subject, and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session

from storage.audit import add_audit_entries, add_audit_entry
from storage.models import Person


def audit(
    session: Session, now: dt.datetime, actor: Person | str, action: str, subject: str, **details: object
) -> None:
    """Append an entry to the audit log in the current transaction (`actor` a person or a name like `ccbot`)."""
    name = actor if isinstance(actor, str) else actor.github
    add_audit_entry(
        session,
        at=now,
        actor=name,
        action=action,
        subject=subject,
        details={key: _detail(value) for key, value in details.items()},
    )


def audit_each(
    session: Session,
    now: dt.datetime,
    actor: Person | str,
    action: str,
    subjects: Sequence[tuple[str, dict[str, object]]],
) -> None:
    """Append one entry per (subject, details), as `audit` would one by one, in a single statement."""
    name = actor if isinstance(actor, str) else actor.github
    add_audit_entries(
        session,
        [
            {
                "at": now,
                "actor": name,
                "action": action,
                "subject": subject,
                "details": {key: _detail(value) for key, value in details.items()},
            }
            for subject, details in subjects
        ],
    )


def _detail(value: object) -> object:
    """Numbers and flags stay as they are, a list keeps its items as text, anything else is text."""
    if isinstance(value, int | bool):
        return value
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return str(value)
