"""Repository functions for the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from storage.models import AuditEntry


def add_audit_entry(
    session: Session, *, at: dt.datetime, actor: str, action: str, subject: str, details: dict[str, Any]
) -> AuditEntry:
    """Append one entry to the audit log."""
    entry = AuditEntry(at=at, actor=actor, action=action, subject=subject, details=details)
    session.add(entry)
    session.flush()
    return entry


def add_audit_entries(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    """Append entries (each `at`, `actor`, `action`, `subject`, `details`) to the audit log, in order, together."""
    if entries:
        session.flush()
        session.execute(insert(AuditEntry.__table__), list(entries))  # type: ignore[attr-defined]


def list_audit_entries(session: Session, *, action: str | None = None, limit: int = 100) -> list[AuditEntry]:
    """Return the newest audit entries first, optionally for one action."""
    statement = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    if action is not None:
        statement = statement.where(AuditEntry.action == action)
    return list(session.exec(statement).all())
