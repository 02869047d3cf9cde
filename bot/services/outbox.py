"""The outbox: messages are written to the database when decided and delivered after, each exactly once."""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel import Session

from storage import outbox as store
from storage.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

# A claim older than this is taken to belong to a worker that died before recording the send.
CLAIM_LEASE = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
# Jobs deliver with this many threads, so one recipient's Retry-After does not hold up the rest.
DELIVERY_WORKERS = 8


class DeliveryFailed(Exception):
    """Slack refused a message; `permanent` when retrying cannot help (no such user, not in channel)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Messenger(Protocol):
    """Posts one message (or uploads one file) and returns its id; raises DeliveryFailed when Slack refuses."""

    def post(
        self, *, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str | None, key: str
    ) -> str: ...

    def find_sent(
        self, *, channel: str, key: str, thread_ts: str | None, since: dt.datetime
    ) -> str | None: ...

    def upload(self, *, channel: str, file_name: str, content: str, comment: str) -> str: ...


@dataclass(frozen=True)
class Outgoing:
    """A message to send: `key` makes it unique (kind, subject, recipient, period)."""

    key: str
    kind: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    file_name: str | None = None


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    retrying: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.sent} message(s) sent, {self.retrying} to retry, {len(self.failed)} failed"


def enqueue(session: Session, messages: list[Outgoing], *, now: dt.datetime) -> int:
    """Write messages to the outbox (without committing); return how many were new."""
    added = 0
    for message in messages:
        row = OutboxMessage(
            key=message.key[:255],
            kind=message.kind,
            channel=message.channel,
            thread_ts=message.thread_ts,
            text=message.text,
            blocks=message.blocks,
            file_name=message.file_name,
            created_at=now,
        )
        added += store.add_message(session, row)
    return added


def deliver_pending(
    session: Session,
    messenger: Messenger,
    *,
    now: dt.datetime,
    limit: int = 1000,
    keys: list[str] | None = None,
    workers: int = 1,
) -> DeliveryReport:
    """Send pending messages, each claimed in its own transaction so two workers never send one twice.

    With `workers` > 1 the messages go out in parallel threads (each with its own session), so one
    recipient's Retry-After does not hold up the others.
    """
    report = DeliveryReport()
    stale_before = now - CLAIM_LEASE
    ids = store.list_deliverable_ids(session, stale_before=stale_before, limit=limit, keys=keys)
    session.commit()
    if workers <= 1 or len(ids) <= 1:
        for message_id in ids:
            _deliver_one(session, message_id, messenger, now=now, stale_before=stale_before, report=report)
        return report
    bind = session.get_bind()
    lock = threading.Lock()

    def work(message_id: int) -> None:
        local = DeliveryReport()
        with Session(bind, expire_on_commit=False) as own:
            _deliver_one(own, message_id, messenger, now=now, stale_before=stale_before, report=local)
        with lock:
            report.sent += local.sent
            report.retrying += local.retrying
            report.failed.extend(local.failed)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="outbox") as pool:
        # Each task runs in a copy of this thread's context, so its log lines keep the request or job run id.
        for future in [pool.submit(contextvars.copy_context().run, work, i) for i in ids]:
            future.result()
    return report


def _deliver_one(
    session: Session,
    message_id: int,
    messenger: Messenger,
    *,
    now: dt.datetime,
    stale_before: dt.datetime,
    report: DeliveryReport,
) -> None:
    claimed = store.claim_message(session, message_id, now=now, stale_before=stale_before)
    session.commit()
    if claimed is None:
        return
    message, abandoned = claimed
    try:
        # A worker died between claiming and recording: Slack may have the message already. Look before re-sending.
        found = (
            messenger.find_sent(
                channel=message.channel,
                key=message.key,
                thread_ts=message.thread_ts,
                since=message.created_at,
            )
            if abandoned and not message.file_name
            else None
        )
        if found:
            ts = found
        elif message.file_name:
            ts = messenger.upload(
                channel=message.channel, file_name=message.file_name, content=message.text, comment=""
            )
        else:
            ts = messenger.post(
                channel=message.channel,
                text=message.text,
                blocks=message.blocks,
                thread_ts=message.thread_ts,
                key=message.key,
            )
    except DeliveryFailed as exc:
        _record_failure(message, exc, report)
    else:
        message.status, message.sent_at, message.ts, message.error = OutboxStatus.SENT.value, now, ts, None
        report.sent += 1
    session.add(message)
    session.commit()


def _record_failure(message: OutboxMessage, exc: DeliveryFailed, report: DeliveryReport) -> None:
    message.error = exc.reason[:500]
    if exc.permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED.value
        report.failed.append((message.key, exc.reason))
        logger.warning("outbox %s failed for good: %s", message.key, exc.reason)
    else:
        message.status = OutboxStatus.PENDING.value
        report.retrying += 1
        logger.info("outbox %s will be retried: %s", message.key, exc.reason)


def outbox_counts(session: Session) -> dict[str, int]:
    """Return how many outbox messages are pending, sending, sent and failed."""
    counts = store.count_by_status(session)
    return {status.value: counts.get(status.value, 0) for status in OutboxStatus}


def sent_message(session: Session, key: str) -> tuple[str, str] | None:
    """Return (channel, ts) of the message sent under `key`, or None when it is not sent (yet)."""
    message = store.get_message_by_key(session, key)
    if message is None or message.status != OutboxStatus.SENT.value or not message.ts:
        return None
    return message.channel, message.ts


def notice_thread(session: Session, notice_id: int) -> tuple[str, str] | None:
    """Return where the champions' thread of a production notice is."""
    return sent_message(session, f"deploy-thread:{notice_id}")
