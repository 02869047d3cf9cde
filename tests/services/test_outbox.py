"""The outbox: each message delivered once, across retries, failures, crashes and concurrent workers."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.services.outbox import (
    CLAIM_LEASE,
    RETRY_WINDOW,
    DeliveryFailed,
    Outgoing,
    Posted,
    commit,
    deliver_pending,
    dm,
    enqueue,
    outbox_counts,
    post,
    redraw,
    reply,
)
from bot.types.keys import Kind, message_key
from bot.types.outbox import REASON
from bot.views.text import link_to_posting
from storage.db import make_session_factory
from storage.models import OutboxMessage
from tests.conftest import NOW
from tests.flows import FakeMessenger


class RecordingMessenger(FakeMessenger):
    """The fake messenger, read as the texts it posted."""

    @property
    def texts_posted(self) -> list[str]:
        """The texts of everything posted, in order."""
        return [m["text"] for m in self.posted]


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
    assert sorted(messenger.texts_posted) == sorted(f"hello {i}" for i in range(5))
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
    assert deliver_pending(session, healthy, now=NOW + dt.timedelta(seconds=30)).sent == 0, "it backs off"
    assert deliver_pending(session, healthy, now=NOW + dt.timedelta(minutes=15)).sent == 1
    assert healthy.texts_posted == ["hello 0"]


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
    assert sorted(messenger.texts_posted) == sorted(f"hello {i}" for i in range(60))


def test_transient_failures_back_off_and_fail_only_after_the_retry_window(session: Session) -> None:
    enqueue(session, _messages(1), now=NOW)
    session.commit()
    down = RecordingMessenger({"U0USER0000": DeliveryFailed("http_503", permanent=False)})
    at = NOW
    for _ in range(12):  # a 25-minute outage and more: never given up inside the window
        report = deliver_pending(session, down, now=at)
        assert report.failed == []
        at += dt.timedelta(minutes=31)
    assert outbox_counts(session)["pending"] == 1
    assert deliver_pending(session, down, now=NOW + RETRY_WINDOW).failed == [("test:0", "http_503")]


def test_a_post_that_timed_out_is_looked_up_before_it_is_posted_again(session: Session) -> None:
    enqueue(session, _messages(1), now=NOW)
    session.commit()

    class SlowSlack(RecordingMessenger):
        """Takes the message, then the answer times out."""

        def post(self, **kwargs: Any) -> Posted:
            super().post(**kwargs)
            raise DeliveryFailed("connection: ReadTimeout", permanent=False, uncertain=True)

    slow = SlowSlack()
    assert deliver_pending(session, slow, now=NOW).retrying == 1
    healthy = RecordingMessenger()
    healthy.posted = slow.posted  # the same Slack: the message is there
    assert deliver_pending(session, healthy, now=NOW + dt.timedelta(minutes=5)).sent == 1
    assert len(healthy.posted) == 1, "found by its key, not posted twice"


def test_a_reply_and_a_link_wait_for_their_posting_and_a_redraw_replaces_an_unsent_one(
    session: Session,
) -> None:
    root = post(Kind.QUESTION_ROOT, [1], "C0COORD01", "root v1", subject="question:1")
    note = reply(Kind.QUESTION_NUDGE, [1, 1], "question:1", "a note in the thread")
    confirm = dm(
        Kind.QUESTION_CONFIRM,
        [1],
        "U0ASKER01",
        f"It is {link_to_posting('in the channel')}.",
        after="question:1",
    )
    commit(session, [note, confirm], now=NOW)
    slack = RecordingMessenger()
    report = deliver_pending(session, slack, now=NOW)
    assert (report.sent, report.waiting) == (0, 2), "nothing goes before its posting exists"
    commit(session, [root, redraw("question:1", "root v2", []), redraw("question:1", "root v3", [])], now=NOW)
    assert deliver_pending(session, slack, now=NOW).sent == 4
    root_ts = slack.posted[0]["ts"]
    by_text = {m["text"]: m for m in slack.posted}
    assert by_text["a note in the thread"]["thread_ts"] == root_ts
    assert by_text[f"It is <{slack.permalink(channel='C0COORD01', ts=root_ts)}|in the channel>."]
    assert [u["text"] for u in slack.updated] == ["root v3"], "only the latest redraw is sent"


def test_a_root_that_fails_for_good_sends_its_fallback_and_drops_what_waited_for_it(session: Session) -> None:
    told = dm(Kind.QUESTION_DELAYED, [2], "U0ASKER01", f"Not posted: {REASON}")
    root = post(Kind.QUESTION_ROOT, [2], "C0GONE001", "root", subject="question:2", fallback=told)
    confirm = dm(Kind.QUESTION_CONFIRM, [2], "U0ASKER01", "posted!", after="question:2")
    commit(session, [root, confirm], now=NOW)
    slack = RecordingMessenger({"C0GONE001": DeliveryFailed("not_in_channel", permanent=True)})
    deliver_pending(session, slack, now=NOW)
    deliver_pending(session, slack, now=NOW + dt.timedelta(minutes=1))
    assert slack.texts_posted == ["Not posted: not_in_channel"]
    assert outbox_counts(session)["failed"] == 2


def test_a_long_key_keeps_what_makes_it_unique() -> None:
    long_a = message_key(Kind.DIGEST, "x" * 300, "a")
    long_b = message_key(Kind.DIGEST, "x" * 300, "b")
    assert len(long_a) <= 255
    assert long_a != long_b
