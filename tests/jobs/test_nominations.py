"""The nomination closing job: each due nomination closes in one transaction with its result, redraw and
checklists, so a crash at any point loses none of them and sends none twice."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from bot.assembly import Bot
from bot.services.admin import set_phase
from bot.services.nominations import cast_vote, close_due_nominations, open_nomination
from bot.slack_standin import SlackStandIn
from bot.types.keys import Kind
from bot.types.nominations import NominationCard
from bot.types.policy import Channels, NominationRules
from storage.db import make_session_factory
from storage.models import Nomination, OutboxMessage, OutboxStatus, Phase
from storage.roster import get_person_by_github
from tests.conftest import NOW, load_pilot, run_at
from tests.flows import person

COORDINATION = "C0COORD01"
ADMINS = ("U0ADMIN01", "U0ADMIN99")  # on the roster; CCBOT_ADMINS
VOTERS = ("bradenmacdonald", "symbolist", "pomegranited", "felipemontoya")
RULES = NominationRules()
CLOSES = NOW + dt.timedelta(days=RULES.days, minutes=1)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        load_pilot(session, now=NOW)
        set_phase(
            session,
            person(session, "cc-coordinator"),
            phase=Phase.ESTABLISH,
            nda_required=True,
            milestones="",
            now=NOW,
            channels=Channels(),
        )
        yield session


def _nominate(db: Session, bot: Bot) -> NominationCard:
    """Open a nomination as ziafazal (their yes counts), deliver its post, and add four more yes votes."""
    decided = open_nomination(
        db,
        person(db, "ziafazal"),
        github="newbie",
        name="New Bie",
        slack_user_id="U0NEWBIE1",
        organization="Newbie Inc",
        repos=["openedx/edx-platform"],
        reason="Forty merged PRs",
        now=NOW,
        rules=RULES,
        channels=bot.runtime.channels,
    )
    bot.runtime.deliver(db, decided.keys, now=NOW)
    for voter in VOTERS:
        voted = cast_vote(db, decided.card.id, person(db, voter), yes=True, now=NOW, rules=RULES)
    bot.runtime.deliver(db, voted.keys, now=NOW)
    assert voted.card.posting is not None
    return voted.card


def _closing_messages(db: Session) -> list[OutboxMessage]:
    kinds = {Kind.NOMINATION_RESULT.value, Kind.NOMINATION_CHECKLIST.value, Kind.REDRAW.value}
    return [m for m in db.exec(select(OutboxMessage)).all() if m.kind in kinds]


def test_a_crash_at_the_close_leaves_it_open_and_nothing_queued(db: Session, job_bot: Bot) -> None:
    _nominate(db, job_bot)
    sent_redraws = {m.key: m.version for m in _closing_messages(db)}

    def die(_: Session) -> None:
        raise RuntimeError("the process died while committing")

    event.listen(db, "before_commit", die)
    with pytest.raises(RuntimeError):
        close_due_nominations(db, now=CLOSES, rules=RULES, channels=job_bot.runtime.channels)
    event.remove(db, "before_commit", die)
    db.rollback()
    assert db.exec(select(Nomination.state)).one() == "open"
    assert get_person_by_github(db, "newbie") is None
    assert {m.key: m.version for m in _closing_messages(db)} == sent_redraws, "nothing new was queued"


def test_the_close_and_its_messages_commit_together_and_go_out_once(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    card = _nominate(db, job_bot)
    assert card.posting is not None
    closed = close_due_nominations(db, now=CLOSES, rules=RULES, channels=job_bot.runtime.channels)
    # Committed: the process "dies" here, before delivering.
    assert [c.card.nomination.state for c in closed] == ["approved"]
    db.expire_all()
    assert db.exec(select(Nomination.state)).one() == "approved"
    pending = {m.key: m for m in _closing_messages(db) if m.status == OutboxStatus.PENDING.value}
    assert set(pending) == set(closed[0].keys)
    assert sorted(m.kind for m in pending.values()) == sorted(
        [Kind.NOMINATION_RESULT.value, Kind.REDRAW.value] + [Kind.NOMINATION_CHECKLIST.value] * len(ADMINS)
    )

    # A fresh process: the nomination job finds nothing more to close, and the outbox delivers everything once.
    run_at(job_bot, "nomination_results", CLOSES + dt.timedelta(hours=1))
    run_at(job_bot, "outbox_delivery", CLOSES + dt.timedelta(hours=1, minutes=1))
    db.expire_all()
    assert {m.status for m in _closing_messages(db)} == {OutboxStatus.SENT.value}
    posted = Counter(
        (call.args.get("metadata") or {}).get("event_payload", {}).get("key")
        for call in slack.calls("chat.postMessage")
    )
    assert all(posted[key] == 1 for key, m in pending.items() if m.op == "post"), posted
    thread = [m for m in slack.messages(COORDINATION) if m.get("thread_ts") == card.posting.ts]
    assert len(thread) == 1
    assert thread[0]["text"].startswith(":tada: Approved with 5 yes and no `no`")
    for admin in ADMINS:
        assert len([m for m in slack.messages(admin) if "Onboarding checklist" in m["text"]]) == 1, admin
    root = next(m for m in slack.messages(COORDINATION) if m["ts"] == card.posting.ts)
    assert "Approved" in json.dumps(root["blocks"]), "the post is redrawn with the result"
