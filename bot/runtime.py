"""What every handler and job shares at run time: settings, the database, the clock, the policy, delivery."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.services.directory import Directory
from bot.services.github.api import GitHubConnect
from bot.services.outbox import DELIVERY_WORKERS, Budget, DeliveryReport, Messenger, deliver_pending
from bot.settings import Settings
from bot.types.policy import Channels, Policy

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """Return the current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass
class Runtime:
    """The long-lived objects of one bot process, built once by `bot.assembly.build_bot`."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    policy: Policy
    channels: Channels
    messenger: Messenger
    clock: Clock = utc_now
    directory: Directory | None = None
    github: GitHubConnect | None = None
    unknown_users: TTLSet = field(default_factory=lambda: TTLSet(seconds=300))
    budget: Budget | None = None

    def deliver(
        self, session: Session, keys: Sequence[str], *, now: dt.datetime | None = None
    ) -> DeliveryReport:
        """Deliver these outbox messages now, in order (what a failure leaves is retried by the jobs)."""
        return deliver_pending(
            session, self.messenger, now=now or self.clock(), keys=keys, budget=self.budget
        )

    def job_context(self, session: Session, *, now: dt.datetime | None = None) -> JobContext:
        """Return what a job run gets: the clock's instant, a session, the policy, the channels, delivery."""
        return JobContext(
            now=now or self.clock(),
            session=session,
            policy=self.policy,
            channels=self.channels,
            messenger=self.messenger,
            github=self.github,
            directory=self.directory,
            budget=self.budget,
        )


@dataclass
class JobSummary:
    """What one job run says it did, for its one log line: the summary, and whether it did any work."""

    text: str | None = None
    worked: bool = True


@dataclass(frozen=True)
class JobContext:
    """Everything a job needs, so no job reads settings, the environment or the clock itself."""

    now: dt.datetime
    session: Session
    policy: Policy
    channels: Channels
    messenger: Messenger
    github: GitHubConnect | None = None
    directory: Directory | None = None
    budget: Budget | None = None
    summary: JobSummary = field(default_factory=JobSummary, compare=False)

    def summarise(self, text: str, *, worked: bool) -> None:
        """Say what this run did, for the run's one log line (INFO when it worked, DEBUG when it was idle)."""
        self.summary.text = text
        self.summary.worked = worked

    def deliver(self, keys: Sequence[str] | None = None) -> DeliveryReport:
        """Deliver what is queued (or just `keys`), in parallel, as of this run's instant."""
        return deliver_pending(
            self.session,
            self.messenger,
            now=self.now,
            keys=keys,
            workers=DELIVERY_WORKERS,
            budget=self.budget,
        )


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
