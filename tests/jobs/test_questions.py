"""The SLA ladder job: business hours in the champions' time zone, across a weekend and a DST change, once each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.assembly import Bot
from bot.services.questions import ask_question, get_card, record_reply, validate_question
from bot.slack_standin import SlackStandIn
from bot.types.questions import QuestionCard
from storage.db import make_session_factory
from storage.models import OutboxMessage, QuestionNudge, SlackPosting
from storage.roster import get_person_by_github
from tests.conftest import load_pilot, run_at

COORDINATION, MANAGEMENT = "C0COORD01", "C0MGMT001"
JBOWMAN, FEANIL, NIMISHA = "U0CHAMP01", "U0CHAMP02", "U0MGR0001"
# Friday 15:00 in New York (EDT), two days before US daylight saving time ends (Sunday 1 November 2026).
ASKED = dt.datetime(2026, 10, 30, 19, 0, tzinfo=dt.UTC)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        load_pilot(session, now=ASKED)
        yield session


def _ask(
    db: Session, bot: Bot, *, at: dt.datetime, urgency: str = "normal", who: str = "ziafazal"
) -> QuestionCard:
    person = get_person_by_github(db, who)
    assert person is not None
    draft = validate_question(
        pr_url="https://github.com/openedx/edx-platform/pull/7", text="Is this safe?", urgency=urgency
    )
    decided = ask_question(db, person, draft, now=at, channels=bot.runtime.channels)
    bot.runtime.deliver(db, decided.keys, now=at)
    return get_card(db, decided.card.id)


def _run(bot: Bot, at: dt.datetime, job: str = "question_nudges") -> None:
    run_at(bot, job, at)


def _thread(slack: SlackStandIn, card: QuestionCard) -> list[str]:
    assert card.posting is not None
    return [m["text"] for m in slack.messages(COORDINATION) if m.get("thread_ts") == card.posting.ts]


def test_the_ladder_counts_champions_business_hours_across_a_weekend_and_dst(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    card = _ask(db, job_bot, at=ASKED)
    # Fri 15:00-17:00 EDT is 2 h; Monday 09:00-11:00 EST the other 2 h: due Mon 2 Nov 16:00 UTC.
    _run(job_bot, utc("2026-10-31T12:00"))
    _run(job_bot, utc("2026-11-02T15:59"))
    assert _thread(slack, card) == []

    _run(job_bot, utc("2026-11-02T16:00"))
    _run(job_bot, utc("2026-11-02T16:00"))
    _run(job_bot, utc("2026-11-02T16:15"))
    thread = _thread(slack, card)
    assert len(thread) == 1
    assert f"<@{JBOWMAN}>" in thread[0]
    assert f"<@{FEANIL}>" in thread[0]

    # The second champion's own 4 working hours: Monday 11:00-15:00 EST, due 20:00 UTC.
    _run(job_bot, utc("2026-11-02T19:59"))
    assert not slack.messages(FEANIL)
    _run(job_bot, utc("2026-11-02T20:00"))
    _run(job_bot, utc("2026-11-02T20:00"))
    assert len(slack.messages(FEANIL)) == 1
    assert len(_thread(slack, card)) == 2

    # Then the committer's manager: Monday 15:00-17:00 and Tuesday 09:00-11:00 EST, due Tue 16:00 UTC.
    _run(job_bot, utc("2026-11-03T15:59"))
    assert not slack.messages(NIMISHA)
    _run(job_bot, utc("2026-11-03T16:00"))
    _run(job_bot, utc("2026-11-04T16:00"))
    assert len(slack.messages(NIMISHA)) == 1
    assert len(_thread(slack, card)) == 3
    steps = db.exec(select(QuestionNudge.step, QuestionNudge.due_at).order_by(QuestionNudge.step)).all()
    assert steps == [(1, utc("2026-11-02T16:00")), (2, utc("2026-11-02T20:00")), (3, utc("2026-11-03T16:00"))]


def test_an_urgent_question_is_nudged_after_thirty_working_minutes(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    card = _ask(db, job_bot, at=utc("2026-10-30T20:50"), urgency="urgent")  # Fri 16:50 EDT
    _run(job_bot, utc("2026-11-02T14:19"))  # Mon 09:19 EST
    assert _thread(slack, card) == []
    _run(job_bot, utc("2026-11-02T14:20"))
    assert len(_thread(slack, card)) == 1


def test_a_champion_reply_stops_the_ladder(db: Session, job_bot: Bot, slack: SlackStandIn) -> None:
    card = _ask(db, job_bot, at=ASKED)
    assert card.posting is not None
    record_reply(
        db,
        channel=card.posting.channel,
        thread_ts=card.posting.ts,
        ts="1792000000.000001",
        slack_user_id=JBOWMAN,
        now=utc("2026-11-02T14:30"),
    )
    _run(job_bot, utc("2026-11-05T16:00"))
    assert _thread(slack, card) == []
    assert db.exec(select(QuestionNudge)).all() == []


def test_without_a_manager_the_last_step_goes_to_the_management_channel(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    person = get_person_by_github(db, "ziafazal")
    assert person is not None
    person.manager_id = None
    db.commit()
    card = _ask(db, job_bot, at=ASKED)
    for day in ("2026-11-02T16:00", "2026-11-02T20:00", "2026-11-03T16:00"):
        _run(job_bot, utc(day))
    posts = slack.messages(MANAGEMENT)
    assert len(posts) == 1
    assert "no answer from the champions" in posts[0]["text"]
    assert f"<#{MANAGEMENT}>" in _thread(slack, card)[-1]


def test_a_question_that_never_reached_slack_is_posted_by_the_outbox_job(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    person = get_person_by_github(db, "ziafazal")
    assert person is not None
    draft = validate_question(
        pr_url="https://github.com/openedx/edx-platform/pull/8", text="Lost?", urgency="normal"
    )
    # Stored with its thread root and notices, then the process died before delivering them.
    ask_question(db, person, draft, now=ASKED, channels=job_bot.runtime.channels)
    assert slack.messages(COORDINATION) == []
    _run(job_bot, ASKED + dt.timedelta(minutes=1), job="outbox_delivery")
    _run(job_bot, ASKED + dt.timedelta(minutes=2), job="outbox_delivery")
    _run(job_bot, ASKED + dt.timedelta(minutes=15))
    assert len(slack.messages(COORDINATION)) == 1
    assert db.exec(select(SlackPosting.subject)).all() == ["question:1"]
    assert len(slack.messages("U0PILOT01")) == 1, "the asker is told once"


def test_slack_429s_during_the_ladder_delay_but_never_duplicate(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    card = _ask(db, job_bot, at=ASKED)
    slack.fail("chat.postMessage", status=429, count=2, retry_after=0)
    _run(job_bot, utc("2026-11-02T16:00"))
    assert len(_thread(slack, card)) == 1
    statuses = db.exec(select(OutboxMessage.status)).all()
    assert set(statuses) == {"sent"}


def test_a_step_taken_late_says_how_long_the_question_has_really_waited(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    card = _ask(db, job_bot, at=ASKED)
    _run(job_bot, utc("2026-11-02T16:00"))
    assert len(_thread(slack, card)) == 1
    # The second champion's step fell due Monday 20:00 UTC (3d 1h after the question); the job runs a week on.
    _run(job_bot, utc("2026-11-09T20:00"))
    dms = [m["text"] for m in slack.messages(FEANIL)]
    assert len(dms) == 1
    assert "(10d 1h since it was asked)" in dms[0]
