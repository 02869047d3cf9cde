"""Outbox lanes and the shared Slack budget: what a person waits for goes first, and instances share Slack's limits."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.assembly import slack_client
from bot.services.outbox import Budget, Outgoing, deliver_pending, enqueue
from bot.settings import load_settings
from bot.slack import SlackMessenger
from bot.slack_standin import SlackStandIn
from bot.types.keys import Kind
from bot.types.mrkdwn import Mrkdwn
from bot.types.outbox import LANES, lane_of
from storage.db import make_engine, make_session_factory
from storage.models import OutboxLane, OutboxMessage, SlackBudget
from storage.outbox import take_budget
from tests.conftest import NOW
from tests.flows import FakeMessenger


def test_every_kind_has_a_lane() -> None:
    assert set(LANES) == set(Kind)
    assert lane_of(Kind.QUESTION_ROOT) is OutboxLane.INTERACTIVE
    assert lane_of(Kind.RENEWAL_INVITE) is OutboxLane.BULK
    assert lane_of("something-new") is OutboxLane.INTERACTIVE


def _bulk(count: int, prefix: str = "U0BULK") -> list[Outgoing]:
    return [
        Outgoing(
            key=f"renewal-invite:{i}",
            kind=str(Kind.RENEWAL_INVITE),
            channel=f"{prefix}{i:05d}",
            text=Mrkdwn(f"bulk {i}"),
        )
        for i in range(count)
    ]


def _asked(n: int = 1) -> Outgoing:
    return Outgoing(
        key=f"question-root:{n}",
        kind=str(Kind.QUESTION_ROOT),
        channel="C0COORD01",
        text=Mrkdwn(f"question {n}"),
    )


def test_the_lane_is_stored_from_the_kind(session: Session) -> None:
    enqueue(session, [*_bulk(1), _asked()], now=NOW)
    session.commit()
    lanes = dict(session.exec(select(OutboxMessage.kind, OutboxMessage.lane)).all())
    assert lanes == {"renewal-invite": OutboxLane.BULK, "question-root": OutboxLane.INTERACTIVE}


def test_an_interactive_message_queued_behind_1000_bulk_dms_goes_out_first(session: Session) -> None:
    enqueue(session, _bulk(1000), now=NOW)
    session.commit()
    enqueue(session, [_asked()], now=NOW + dt.timedelta(seconds=1))
    session.commit()
    slack = FakeMessenger()
    assert deliver_pending(session, slack, now=NOW + dt.timedelta(seconds=2), limit=2000).sent == 1001
    assert slack.posted[0]["text"] == "question 1"


def test_a_bulk_pass_gives_way_to_interactive_work_that_arrives_meanwhile(engine: Engine) -> None:
    factory = make_session_factory(engine)

    class Asking(FakeMessenger):
        """A person asks a question while the campaign's tenth DM is being sent."""

        def post(self, **kwargs: Any) -> Any:
            posted = super().post(**kwargs)
            if len(self.posted) == 10:
                with factory() as other:
                    enqueue(other, [_asked()], now=NOW)
                    other.commit()
            return posted

    with factory() as session:
        enqueue(session, _bulk(50), now=NOW)
        session.commit()
        slack = Asking()
        deliver_pending(session, slack, now=NOW, limit=100)
    texts = [m["text"] for m in slack.posted]
    assert texts.index("question 1") == 10, "the next send after it arrived"
    assert len(texts) == 51


def test_a_retry_after_is_kept_in_the_shared_budget(engine: Engine, slack: SlackStandIn) -> None:
    settings = load_settings(SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.url)
    messenger = SlackMessenger(slack_client(settings, rate_limits=False))
    clock = [1_000_000.0]
    budget = Budget(clock=lambda: clock[0], max_wait=0)
    slack.fail("chat.postMessage", status=429, retry_after=30)
    with make_session_factory(engine)() as session:
        enqueue(session, [_asked()], now=NOW)
        session.commit()
        report = deliver_pending(session, messenger, now=NOW, budget=budget)
        assert (report.sent, report.retrying) == (0, 1), "gave the message back rather than wait 30 s"
        rows = {(b.method, b.scope): b.next_at for b in session.exec(select(SlackBudget)).all()}
        message = session.exec(select(OutboxMessage)).one()
    # Nobody may post before Slack's 30 s are over; the message waits that long without spending its attempt.
    tolerance = budget.draws([("chat.postMessage", "*")], OutboxLane.INTERACTIVE)[0][3]
    assert rows[("chat.postMessage", "*")] - tolerance >= clock[0] + 30
    assert rows[("chat.postMessage", "C0COORD01")] >= clock[0] + 30
    assert message.attempts == 0
    assert message.next_attempt_at is not None
    assert message.next_attempt_at >= NOW + dt.timedelta(seconds=29)
    assert len(slack.calls("chat.postMessage")) == 1


def test_two_instances_share_the_budget_and_meet_no_429(db_url: str) -> None:
    # A Slack minute every ten real seconds: the workspace allows 300 posts a minute, a channel 60.
    scale = 6.0
    stand_in = SlackStandIn(rate_limits=True, time_scale=scale).start()
    stand_in.add_channel("C0BUSY001", "busy")
    dms, channel_posts = 100, 12
    engines = [make_engine(db_url), make_engine(db_url)]
    try:
        settings = load_settings(SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=stand_in.url)
        with make_session_factory(engines[0])() as session:
            busy = [
                Outgoing(
                    key=f"digest:{i}", kind=str(Kind.DIGEST), channel="C0BUSY001", text=Mrkdwn(f"busy {i}")
                )
                for i in range(channel_posts)
            ]
            enqueue(session, [*_bulk(dms), *busy], now=NOW)
            session.commit()
        budget = Budget(time_scale=scale)
        reports: list[Any] = []

        def instance(engine: Engine) -> None:
            messenger = SlackMessenger(slack_client(settings, rate_limits=False))
            with make_session_factory(engine)() as own:
                reports.append(deliver_pending(own, messenger, now=NOW, limit=500, workers=4, budget=budget))

        threads = [threading.Thread(target=instance, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        stand_in.stop()
        for engine in engines:
            engine.dispose()
    assert sum(r.sent for r in reports) == dms + channel_posts
    assert all(r.sent > 0 for r in reports), "both instances delivered"
    texts = [m["text"] for m in stand_in.messages()]
    assert len(texts) == len(set(texts)) == dms + channel_posts, "each message once"
    assert stand_in.rate_limited() == 0


def test_a_budget_that_says_wait_leaves_the_callers_objects_readable(engine: Engine) -> None:
    # A handler delivers its own messages on its own session and reads what it decided afterwards: a budget
    # that is spent must not roll that session back (which expires every object it holds).
    with make_session_factory(engine)() as session:
        enqueue(session, [_asked()], now=NOW)
        session.commit()
        decided = session.exec(select(OutboxMessage)).one()
        assert take_budget(session, [("chat.postMessage", "*", 60.0, 0.0)], now=1_000.0) == 0.0
        wait = take_budget(session, [("chat.postMessage", "*", 60.0, 0.0)], now=1_001.0)
        assert wait > 0, "the budget is spent for the next minute"
        session.expunge(decided)
        assert decided.key == "question-root:1", "still loaded, not expired by a rollback"
