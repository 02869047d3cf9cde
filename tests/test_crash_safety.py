"""A process killed between a decision and its delivery loses nothing and sends nothing twice.

Each scenario makes one decision through its service, which commits the decision together with the
messages it implies, and then stops, as a process killed before delivering would. A fresh instance
of the bot (its `outbox_delivery` job) then delivers every message exactly once, and a second run
sends nothing more.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from sqlmodel import Session, select

from bot.assembly import Bot
from bot.services import escalations, questions, reminders, sla
from bot.services.digest import queue_weekly_digest
from bot.services.outbox import Messenger
from bot.services.policy import Policy
from bot.slack_standin import SlackStandIn
from storage.models import OutboxMessage, OutboxStatus
from tests.conftest import NOW, load_pilot, make_bot, run_at
from tests.flows import CHANNELS, ask, escalate, person

Decision = Callable[[Session, Messenger], object]
POLICY = Policy()


def _ask(session: Session, slack: Messenger) -> object:
    draft = questions.validate_question(
        pr_url="https://github.com/openedx/edx-platform/pull/5", text="Is it safe?", urgency="urgent"
    )
    return questions.ask_question(session, person(session, "ziafazal"), draft, now=NOW, channels=CHANNELS)


def _claim(session: Session, slack: Messenger) -> object:
    card = ask(session, "ziafazal", now=NOW, messenger=slack)
    return questions.claim_question(session, card.id, person(session, "jbowman"), now=NOW)


def _hand_off(session: Session, slack: Messenger) -> object:
    card = ask(session, "ziafazal", now=NOW, messenger=slack)
    target = person(session, "ormsbee")
    return questions.hand_off(session, card.id, person(session, "jbowman"), target.id or 0, now=NOW)


def _nudge(session: Session, slack: Messenger) -> object:
    ask(session, "ziafazal", now=NOW, messenger=slack)
    later = NOW + dt.timedelta(days=3)
    return sla.take_due_steps(session, now=later, policy=POLICY.sla, channels=CHANNELS)


def _escalate(session: Session, slack: Messenger) -> object:
    zia = person(session, "ziafazal")
    draft = escalations.validate_escalation(
        session, zia, committer_id=None, summary="Blocked", impact="No review", related="", urgency="urgent"
    )
    return escalations.open_escalation(session, zia, draft, now=NOW, channels=CHANNELS)


def _acknowledge(session: Session, slack: Messenger) -> object:
    card = escalate(session, "ziafazal", now=NOW, messenger=slack)
    return escalations.acknowledge_escalation(session, card.id, person(session, "nimisha"), now=NOW)


def _reassign(session: Session, slack: Messenger) -> object:
    card = escalate(session, "ziafazal", now=NOW, messenger=slack)
    target = next(m for m in card.managers if m.id != card.escalation.owner_id)
    return escalations.reassign_escalation(
        session, card.id, person(session, "nimisha"), target.id or 0, now=NOW
    )


def _expiry(session: Session, slack: Messenger) -> object:
    return reminders.queue_expiry_reminders(
        session, now=dt.datetime(2026, 12, 30, 20, 0, tzinfo=dt.UTC), policy=POLICY
    )


def _digest(session: Session, slack: Messenger) -> object:
    return queue_weekly_digest(session, now=dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC), channels=CHANNELS)


SCENARIOS: dict[str, Decision] = {
    "ask": _ask,
    "claim": _claim,
    "hand off": _hand_off,
    "SLA nudge": _nudge,
    "escalate": _escalate,
    "acknowledge": _acknowledge,
    "reassign": _reassign,
    "expiry reminders": _expiry,
    "weekly digest": _digest,
}


@pytest.fixture
def restarted(db_url: str, slack: SlackStandIn) -> Iterator[Bot]:
    built = make_bot(db_url, slack, CCBOT_DIGEST_CHANNEL="C0DIGEST1")
    yield built
    built.close()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_kill_between_a_decision_and_its_delivery_loses_and_repeats_nothing(
    name: str, restarted: Bot, slack: SlackStandIn
) -> None:
    with restarted.runtime.session_factory() as session:
        load_pilot(session, now=NOW)
        before = set(session.exec(select(OutboxMessage.key)).all())
        SCENARIOS[name](
            session, restarted.runtime.messenger
        )  # the decision commits; the process "dies" before delivering
        queued = {
            m.key: m
            for m in session.exec(select(OutboxMessage)).all()
            if m.key not in before and m.status == OutboxStatus.PENDING.value
        }
    assert queued, f"{name}: the decision queued nothing to deliver"
    later = NOW + dt.timedelta(days=40)
    run_at(restarted, "outbox_delivery", later)
    run_at(restarted, "outbox_delivery", later + dt.timedelta(minutes=1))
    with restarted.runtime.session_factory() as session:
        statuses = {m.key: m.status for m in session.exec(select(OutboxMessage)).all() if m.key in queued}
    assert statuses == dict.fromkeys(queued, OutboxStatus.SENT.value), f"{name}: every message delivered"
    posted = Counter(
        (call.args.get("metadata") or {}).get("event_payload", {}).get("key")
        for call in slack.calls("chat.postMessage")
    )
    sent_twice = {key: n for key, n in posted.items() if key in queued and n > 1}
    assert sent_twice == {}, f"{name}: nothing sent twice"
    posts = {k for k, m in queued.items() if m.op == "post" and not m.file_name}
    assert posts <= set(posted), f"{name}: every post reached Slack"
