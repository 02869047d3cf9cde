"""What every handler and job shares at run time: settings, the database, the clock, the directory."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.services.directory import Directory
from bot.settings import Settings

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """Return the current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass
class Runtime:
    """The long-lived objects of one bot process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock = utc_now
    directory: Directory | None = None
    unknown_users: TTLSet = field(default_factory=lambda: TTLSet(seconds=300))


class TTLSet:
    """Remembers keys for a while; used to avoid asking Slack about the same stranger on every request."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            until = self._until.get(str(key))
            if until is None or until < time.monotonic():
                self._until.pop(str(key), None)
                return False
            return True

    def add(self, key: str) -> None:
        """Remember `key` for the configured time."""
        with self._lock:
            if len(self._until) > 10_000:
                self._until.clear()
            self._until[key] = time.monotonic() + self.seconds
