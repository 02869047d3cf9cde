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
from bot.services import (
    admin,
    escalations,
    membership,
    nominations,
    notices,
    owners,
    questions,
    quiet,
    reminders,
    renewals,
    retros,
)
from bot.services.digest import queue_weekly_digest
from bot.services.github import webhooks, work
from bot.services.outbox import Messenger, deliver_pending
from bot.services.questions import nudges
from bot.slack_standin import SlackStandIn
from bot.types.decided import Decided
from bot.types.github import GitHubOutcome
from bot.types.notices import DeploymentOutcome
from bot.types.policy import Channels, Policy
from bot.types.quiet import SnoozeChoice
from bot.types.renewals import Opened
from storage.models import (
    InactivityDecision,
    InactivityProposal,
    NoticeState,
    OutboxMessage,
    OutboxStatus,
    Phase,
    RenewalAnswer,
    RenewalMember,
    RetroAudience,
)
from tests.conftest import NOW, ROOT, load_pilot, make_bot, run_at
from tests.flows import CHANNELS, ask, escalate, person
from tests.test_github_hook import pr_payload

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
    return nudges.take_due_steps(session, now=later, policy=POLICY.sla, channels=CHANNELS)


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
        session, card.id, person(session, "nimisha"), target.github, now=NOW
    )


def _expiry(session: Session, slack: Messenger) -> object:
    return reminders.queue_expiry_reminders(
        session, now=dt.datetime(2026, 12, 30, 20, 0, tzinfo=dt.UTC), policy=POLICY
    )


def _digest(session: Session, slack: Messenger) -> object:
    return queue_weekly_digest(session, now=dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC), channels=CHANNELS)


def _deployment(session: Session, slack: Messenger) -> object:
    payload = notices.parse_payload(
        {
            "event": "escaped_issue",
            "environment": "production",
            "repo": "openedx/edx-platform",
            "pull_requests": [{"number": 41, "author": "ziafazal"}, {"number": 42, "author": "nobody-here"}],
            "sha_range": "a1..b2",
            "incident_id": "INC-7",
        }
    )
    return notices.record_deployment(session, payload, now=NOW, channels=CHANNELS)


def _notice_answer(session: Session, slack: Messenger) -> object:
    outcome = _deployment(session, slack)
    assert isinstance(outcome, DeploymentOutcome)
    deliver_pending(session, slack, now=NOW, keys=outcome.keys)
    notice = outcome.to_notify[0]
    return notices.answer_notice(session, notice.id, person(session, "ziafazal"), NoticeState.HELP, now=NOW)


def _intro(session: Session, slack: Messenger) -> object:
    owners.sync_owners(session, ROOT / "examples" / "owners", now=NOW, actor="test")
    return owners.request_intro(
        session, person(session, "ziafazal"), "openedx/edx-platform", "", now=NOW, channels=CHANNELS
    )


def _establish(session: Session) -> None:
    admin.set_phase(
        session,
        person(session, "cc-coordinator"),
        phase=Phase.ESTABLISH,
        nda_required=True,
        milestones="",
        now=NOW,
        channels=Channels(),
    )


def _nominate(session: Session, slack: Messenger) -> object:
    _establish(session)
    return nominations.open_nomination(
        session,
        person(session, "ziafazal"),
        github="newcomer",
        name="New Comer",
        slack_user_id=None,
        organization=None,
        repos=["openedx/edx-platform"],
        reason="Many good reviews",
        now=NOW,
        rules=POLICY.nomination,
        channels=CHANNELS,
    )


def _close_nomination(session: Session, slack: Messenger) -> object:
    decided = _nominate(session, slack)
    assert isinstance(decided, Decided)
    deliver_pending(session, slack, now=NOW, keys=decided.keys)
    later = NOW + dt.timedelta(days=POLICY.nomination.days, minutes=1)
    return nominations.close_due_nominations(session, now=later, rules=POLICY.nomination, channels=CHANNELS)


def _phase(session: Session, slack: Messenger) -> object:
    return admin.set_phase(
        session,
        person(session, "cc-coordinator"),
        phase=Phase.ESTABLISH,
        nda_required=True,
        milestones="Retro in March",
        now=NOW,
        channels=CHANNELS,
    )


def _retro(session: Session, slack: Messenger) -> object:
    retros.open_retro(
        session,
        name="pilot-2026",
        closes_on=NOW.date() + dt.timedelta(days=7),
        audience=RetroAudience.ALL,
        now=NOW,
        actor="test",
    )
    return retros.advance_retros(session, now=NOW + dt.timedelta(days=9), hours=POLICY.hours)


def _delivery(session: Session, delivery_id: str, body: dict[str, object]) -> GitHubOutcome:
    payload = webhooks.parse_event("pull_request", body)
    return webhooks.act_on_delivery(
        session,
        payload,
        event="pull_request",
        delivery_id=delivery_id,
        now=NOW,
        policy=POLICY,
        channels=CHANNELS,
    )


def _merge_notice(session: Session, slack: Messenger) -> object:
    return _delivery(session, "merge-1", pr_payload("closed", merged_by="ziafazal"))


def _merge_in_thread(session: Session, slack: Messenger) -> object:
    card = ask(
        session, "ziafazal", now=NOW, messenger=slack, pr="https://github.com/openedx/edx-platform/pull/4242"
    )
    assert card.posting is not None
    return _delivery(session, "merge-2", pr_payload("closed", merged_by="some-maintainer"))


def _review_ask(session: Session, slack: Messenger) -> object:
    return _delivery(session, "label-1", pr_payload("labeled", label={"name": "cc-review-please"}))


def _review_passed(session: Session, slack: Messenger) -> object:
    asked = _review_ask(session, slack)
    assert isinstance(asked, GitHubOutcome)
    deliver_pending(session, slack, now=NOW, keys=asked.keys)
    [card] = asked.asks
    return work.pass_review(session, card.id, card.reviewer, now=NOW, channels=CHANNELS)


def _open_renewal(session: Session, slack: Messenger) -> object:
    return renewals.open_renewal(
        session,
        year=2027,
        who="individuals",
        closes_on=NOW.date() + dt.timedelta(days=20),
        now=NOW,
        actor="test",
        policy=POLICY,
    )


def _renewal_deadline(session: Session, slack: Messenger) -> object:
    opened = _open_renewal(session, slack)
    assert isinstance(opened, Opened)
    deliver_pending(session, slack, now=NOW, keys=opened.keys)
    braden = person(session, "bradenmacdonald")
    member = next(m for m in session.exec(select(RenewalMember)).all() if m.person_id == braden.id)
    renewals.answer_renewal(
        session, member.id or 0, braden, answer=RenewalAnswer.STEPPED_DOWN, now=NOW, channels=CHANNELS
    )
    return renewals.settle_due(session, now=NOW + dt.timedelta(days=21), channels=CHANNELS)


def _renewal_extended(session: Session, slack: Messenger) -> object:
    _renewal_deadline(session, slack)
    deliver_pending(session, slack, now=NOW + dt.timedelta(days=21))
    zia = person(session, "ziafazal")
    member = next(m for m in session.exec(select(RenewalMember)).all() if m.person_id == zia.id)
    return renewals.decide_listed(
        session,
        member.id or 0,
        person(session, "cc-coordinator"),
        extend=True,
        now=NOW + dt.timedelta(days=22),
        policy=POLICY,
    )


def _inactivity_review(session: Session, slack: Messenger) -> object:
    membership.review_inactive(session, now=NOW, policy=POLICY.lifecycle, channels=CHANNELS)
    return membership.review_inactive(
        session, now=NOW + dt.timedelta(days=200), policy=POLICY.lifecycle, channels=CHANNELS
    )


def _inactivity_decision(session: Session, slack: Messenger) -> object:
    _inactivity_review(session, slack)
    deliver_pending(session, slack, now=NOW + dt.timedelta(days=200))
    proposal = session.exec(select(InactivityProposal)).first()
    assert proposal is not None
    return membership.decide_inactive(
        session,
        proposal.id or 0,
        person(session, "cc-coordinator"),
        decision=InactivityDecision.MOVED,
        now=NOW + dt.timedelta(days=200),
        policy=POLICY.lifecycle,
        channels=CHANNELS,
    )


def _reinstate(session: Session, slack: Messenger) -> object:
    admin_person = person(session, "cc-coordinator")
    retired = membership.retire(
        session, admin_person, github="regisb", reason="left", now=NOW, channels=CHANNELS
    )
    deliver_pending(session, slack, now=NOW, keys=retired.keys)
    return membership.reinstate(session, admin_person, github="regisb", now=NOW, channels=CHANNELS)


def _snooze(session: Session, slack: Messenger) -> object:
    reminders.queue_onboarding_reminders(
        session, now=dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC), hours=POLICY.hours
    )
    deliver_pending(session, slack, now=NOW)
    reminder = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "onboarding")).one()
    return quiet.snooze(
        session, person(session, "idegtiarov"), key=reminder.key, choice=SnoozeChoice.MONDAY, now=NOW
    )


SCENARIOS: dict[str, Decision] = {
    "merge notice": _merge_notice,
    "merge notice in a question's thread": _merge_in_thread,
    "review ask": _review_ask,
    "review passed on": _review_passed,
    "production notice": _deployment,
    "notice answer": _notice_answer,
    "owner intro": _intro,
    "nomination": _nominate,
    "nomination closed": _close_nomination,
    "phase change": _phase,
    "retro closed": _retro,
    "ask": _ask,
    "claim": _claim,
    "hand off": _hand_off,
    "SLA nudge": _nudge,
    "escalate": _escalate,
    "acknowledge": _acknowledge,
    "reassign": _reassign,
    "expiry reminders": _expiry,
    "weekly digest": _digest,
    "renewal opened": _open_renewal,
    "renewal deadline": _renewal_deadline,
    "renewal extended": _renewal_extended,
    "inactivity review": _inactivity_review,
    "inactivity decision": _inactivity_decision,
    "reinstate": _reinstate,
    "snooze": _snooze,
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
