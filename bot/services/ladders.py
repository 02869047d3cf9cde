"""What the SLA ladder and the escalation ladder share: the next due rung, and taking a rung exactly once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlmodel import Session

from bot.services.audit import audit
from bot.services.outbox import Outgoing, enqueue

Target = TypeVar("Target")


def next_due_rung(
    rungs: Iterable[tuple[int, dt.datetime, Target]], taken: set[int], *, now: dt.datetime
) -> tuple[int, dt.datetime, Target] | None:
    """Return the first rung not yet taken when it is due; one rung per run, even when the next is overdue too."""
    for step, due_at, target in rungs:
        if step in taken:
            continue
        return (step, due_at, target) if due_at <= now else None
    return None


def take_rung(
    session: Session,
    *,
    recorded: bool,
    messages: list[Outgoing | None],
    now: dt.datetime,
    action: str,
    subject: str,
    details: dict[str, Any],
) -> bool:
    """Queue a recorded rung's messages and audit it in the same transaction; False when another run took it."""
    if not recorded:
        session.rollback()
        return False
    enqueue(session, messages, now=now)
    audit(session, now, "ccbot", action, subject, **details)
    session.commit()
    return True
