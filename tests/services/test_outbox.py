"""The outbox: each message delivered once, across retries, failures, crashes and concurrent workers."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.services.outbox import CLAIM_LEASE, DeliveryFailed, Outgoing, deliver_pending, enqueue, outbox_counts
from storage.db import make_session_factory
from storage.models import OutboxMessage
from tests.conftest import NOW


class RecordingMessenger:
    """Records what it posts; fails as told."""

    def __init__(self, failures: dict[str, DeliveryFailed] | None = None) -> None:
        self.posted: list[str] = []
        self.failures = failures or {}
        self.lock = threading.Lock()

    def find_sent(self, *, channel: str, key: str, thread_ts: str | None, since: dt.datetime) -> str | None:
        return None

    def post(
        self, *, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str | None, key: str = ""
    ) -> str:
        if channel in self.failures:
            raise self.failures[channel]
        with self.lock:
            self.posted.append(text)
            return f"{len(self.posted)}.000"

    def upload(self, *, channel: str, file_name: str, content: str, comment: str) -> str:
        return self.post(channel=channel, text=f"{file_name}: {content}", blocks=[], thread_ts=None)


def _messages(count: int) -> list[Outgoing]:
    return [
        Outgoing(key=f"test:{i}", kind="test", channel=f"U0USER{i:04d}", text=f"hello {i}")
        for i in range(count)
    ]


def test_the_same_key_is_queued_once(session: Session) -> None:
    assert enqueue(session, _messages(3), now=NOW) == 3
    assert enqueue(session, _messages(3), now=NOW) == 0
    session.commit()
    assert len(session.exec(select(OutboxMessage)).all()) == 3


def test_delivery_sends_each_message_once_and_records_its_ts(session: Session) -> None:
    enqueue(session, _messages(5), now=NOW)
    session.commit()
    messenger = RecordingMessenger()
    assert deliver_pending(session, messenger, now=NOW).sent == 5
    assert deliver_pending(session, messenger, now=NOW).sent == 0
    assert sorted(messenger.posted) == sorted(f"hello {i}" for i in range(5))
    assert all(m.ts for m in session.exec(select(OutboxMessage)).all())


def test_a_permanent_failure_is_recorded_with_its_reason_and_the_rest_go_on(session: Session) -> None:
    enqueue(session, _messages(3), now=NOW)
    session.commit()
    messenger = RecordingMessenger({"U0USER0001": DeliveryFailed("user_not_found", permanent=True)})
    report = deliver_pending(session, messenger, now=NOW)
    assert report.sent == 2
    assert report.failed == [("test:1", "user_not_found")]
    assert outbox_counts(session)["failed"] == 1


def test_a_transient_failure_is_retried_on_the_next_pass(session: Session) -> None:
    enqueue(session, _messages(1), now=NOW)
    session.commit()
    flaky = RecordingMessenger({"U0USER0000": DeliveryFailed("http_503", permanent=False)})
    assert deliver_pending(session, flaky, now=NOW).retrying == 1
    healthy = RecordingMessenger()
    assert deliver_pending(session, healthy, now=NOW + dt.timedelta(minutes=15)).sent == 1
    assert healthy.posted == ["hello 0"]


def test_a_claim_left_by_a_killed_worker_is_taken_over_after_the_lease(session: Session) -> None:
    enqueue(session, _messages(1), now=NOW)
    row = session.exec(select(OutboxMessage)).one()
    row.status, row.claimed_at = "sending", NOW  # the worker died between claiming and recording the send
    session.commit()
    messenger = RecordingMessenger()
    assert deliver_pending(session, messenger, now=NOW + dt.timedelta(minutes=1)).sent == 0
    assert deliver_pending(session, messenger, now=NOW + CLAIM_LEASE + dt.timedelta(seconds=1)).sent == 1


def test_concurrent_workers_never_send_a_message_twice(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as session:
        enqueue(session, _messages(60), now=NOW)
        session.commit()
    messenger = RecordingMessenger()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with factory() as session:
                deliver_pending(session, messenger, now=NOW)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(messenger.posted) == sorted(f"hello {i}" for i in range(60))
