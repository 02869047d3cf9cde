"""The SLA ladder job: business hours in the champions' time zone, across a weekend and a DST change, once each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from freezegun import freeze_time
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.jobs.question_nudges import question_nudges
from bot.publish import post_question
from bot.services.questions import QuestionCard, ask_question, record_reply, validate_question
from bot.settings import Settings, load_settings
from bot.slack import make_client
from bot.slack_standin import SlackStandIn
from storage.db import make_session_factory
from storage.models import OutboxMessage, Question, QuestionNudge
from storage.roster import get_person_by_github
from tests.conftest import load_pilot

COORDINATION, MANAGEMENT = "C0COORD01", "C0MGMT001"
JBOWMAN, FEANIL, NIMISHA = "U0CHAMP01", "U0CHAMP02", "U0MGR0001"
# Friday 15:00 in New York (EDT), two days before US daylight saving time ends (Sunday 1 November 2026).
ASKED = dt.datetime(2026, 10, 30, 19, 0, tzinfo=dt.UTC)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def settings(db_url: str, slack: SlackStandIn) -> Settings:
    return load_settings(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_API_URL=slack.url,
        CCBOT_DATABASE_URL=db_url,
        CCBOT_COORDINATION_CHANNEL=COORDINATION,
        CCBOT_MANAGEMENT_CHANNEL=MANAGEMENT,
    )


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        load_pilot(session, now=ASKED)
        yield session


def _ask(
    db: Session, settings: Settings, *, at: dt.datetime, urgency: str = "normal", who: str = "ziafazal"
) -> QuestionCard:
    person = get_person_by_github(db, who)
    assert person is not None
    draft = validate_question(
        pr_url="https://github.com/openedx/edx-platform/pull/7", text="Is this safe?", urgency=urgency
    )
    card = ask_question(db, person, draft, now=at)
    return post_question(make_client(settings), db, card, settings=settings, now=at)


def _run(db: Session, settings: Settings, at: dt.datetime) -> None:
    with freeze_time(at):
        question_nudges(at, db, make_client(settings), settings=settings)


def _thread(slack: SlackStandIn, card: QuestionCard) -> list[str]:
    return [m["text"] for m in slack.messages(COORDINATION) if m.get("thread_ts") == card.question.thread_ts]


def test_the_ladder_counts_champions_business_hours_across_a_weekend_and_dst(
    db: Session, settings: Settings, slack: SlackStandIn
) -> None:
    card = _ask(db, settings, at=ASKED)
    # Fri 15:00-17:00 EDT is 2 h; Monday 09:00-11:00 EST the other 2 h: due Mon 2 Nov 16:00 UTC.
    _run(db, settings, utc("2026-10-31T12:00"))
    _run(db, settings, utc("2026-11-02T15:59"))
    assert _thread(slack, card) == []

    _run(db, settings, utc("2026-11-02T16:00"))
    _run(db, settings, utc("2026-11-02T16:00"))
    _run(db, settings, utc("2026-11-02T16:15"))
    thread = _thread(slack, card)
    assert len(thread) == 1
    assert f"<@{JBOWMAN}>" in thread[0]
    assert f"<@{FEANIL}>" in thread[0]

    # The second champion's own 4 working hours: Monday 11:00-15:00 EST, due 20:00 UTC.
    _run(db, settings, utc("2026-11-02T19:59"))
    assert not slack.messages(FEANIL)
    _run(db, settings, utc("2026-11-02T20:00"))
    _run(db, settings, utc("2026-11-02T20:00"))
    assert len(slack.messages(FEANIL)) == 1
    assert len(_thread(slack, card)) == 2

    # Then the committer's manager: Monday 15:00-17:00 and Tuesday 09:00-11:00 EST, due Tue 16:00 UTC.
    _run(db, settings, utc("2026-11-03T15:59"))
    assert not slack.messages(NIMISHA)
    _run(db, settings, utc("2026-11-03T16:00"))
    _run(db, settings, utc("2026-11-04T16:00"))
    assert len(slack.messages(NIMISHA)) == 1
    assert len(_thread(slack, card)) == 3
    steps = db.exec(select(QuestionNudge.step, QuestionNudge.due_at).order_by(QuestionNudge.step)).all()
    assert steps == [(1, utc("2026-11-02T16:00")), (2, utc("2026-11-02T20:00")), (3, utc("2026-11-03T16:00"))]


def test_an_urgent_question_is_nudged_after_thirty_working_minutes(
    db: Session, settings: Settings, slack: SlackStandIn
) -> None:
    card = _ask(db, settings, at=utc("2026-10-30T20:50"), urgency="urgent")  # Fri 16:50 EDT
    _run(db, settings, utc("2026-11-02T14:19"))  # Mon 09:19 EST
    assert _thread(slack, card) == []
    _run(db, settings, utc("2026-11-02T14:20"))
    assert len(_thread(slack, card)) == 1


def test_a_champion_reply_stops_the_ladder(db: Session, settings: Settings, slack: SlackStandIn) -> None:
    card = _ask(db, settings, at=ASKED)
    assert card.question.channel is not None
    assert card.question.thread_ts is not None
    record_reply(
        db,
        channel=card.question.channel,
        thread_ts=card.question.thread_ts,
        ts="1792000000.000001",
        slack_user_id=JBOWMAN,
        now=utc("2026-11-02T14:30"),
    )
    _run(db, settings, utc("2026-11-05T16:00"))
    assert _thread(slack, card) == []
    assert db.exec(select(QuestionNudge)).all() == []


def test_without_a_manager_the_last_step_goes_to_the_management_channel(
    db: Session, settings: Settings, slack: SlackStandIn
) -> None:
    person = get_person_by_github(db, "ziafazal")
    assert person is not None
    person.manager_id = None
    db.commit()
    card = _ask(db, settings, at=ASKED)
    for day in ("2026-11-02T16:00", "2026-11-02T20:00", "2026-11-03T16:00"):
        _run(db, settings, utc(day))
    posts = slack.messages(MANAGEMENT)
    assert len(posts) == 1
    assert "no answer from the champions" in posts[0]["text"]
    assert f"<#{MANAGEMENT}>" in _thread(slack, card)[-1]


def test_a_question_that_never_reached_slack_is_posted_by_the_job(
    db: Session, settings: Settings, slack: SlackStandIn
) -> None:
    person = get_person_by_github(db, "ziafazal")
    assert person is not None
    draft = validate_question(
        pr_url="https://github.com/openedx/edx-platform/pull/8", text="Lost?", urgency="normal"
    )
    ask_question(db, person, draft, now=ASKED)  # stored, then the process died before posting
    _run(db, settings, ASKED + dt.timedelta(minutes=1))
    assert slack.messages(COORDINATION) == [], "a question this young may still be on its way"
    _run(db, settings, ASKED + dt.timedelta(minutes=15))
    _run(db, settings, ASKED + dt.timedelta(minutes=30))
    assert len(slack.messages(COORDINATION)) == 1
    assert db.exec(select(Question.thread_ts)).one() is not None
    assert len(slack.messages("U0PILOT01")) == 1, "the asker is told once"


def test_slack_429s_during_the_ladder_delay_but_never_duplicate(
    db: Session, settings: Settings, slack: SlackStandIn
) -> None:
    card = _ask(db, settings, at=ASKED)
    slack.fail("chat.postMessage", status=429, count=2, retry_after=0)
    _run(db, settings, utc("2026-11-02T16:00"))
    assert len(_thread(slack, card)) == 1
    statuses = db.exec(select(OutboxMessage.status)).all()
    assert set(statuses) == {"sent"}
