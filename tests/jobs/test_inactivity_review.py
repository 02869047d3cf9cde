"""The weekly inactivity review across months: the clock starts at the first review, questions reset it,
the first proposal comes the Monday after CCBOT_INACTIVE_DAYS, and its schedule keeps 08:30 across DST."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.assembly import Bot
from bot.jobs.registry import JOBS
from bot.services.renewals import open_renewal
from bot.slack_standin import SlackStandIn
from storage.db import make_session_factory
from storage.models import InactivityProposal
from tests.conftest import NOW, RunningBot, bot_settings, load_pilot, run_at, wait_until
from tests.flows import ask, person


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        load_pilot(session, now=NOW)
        yield session


def test_the_first_proposals_come_the_monday_after_183_days_and_not_for_who_asked(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    first = utc("2026-12-07T08:30")
    run_at(job_bot, "inactivity_review", first)  # starts the clock
    ask(db, "ziafazal", now=utc("2026-12-15T10:00"))
    monday, proposed_on = first, None
    while monday < utc("2027-07-01T00:00"):
        monday += dt.timedelta(days=7)
        run_at(job_bot, "inactivity_review", monday)
        if proposed_on is None and db.exec(select(InactivityProposal)).first() is not None:
            proposed_on = monday
    assert proposed_on == utc("2027-06-14T08:30"), "7 June is 182 days in; 14 June is 189"

    def proposed(period: str) -> set[int]:
        query = select(InactivityProposal.person_id).where(InactivityProposal.period == period)
        return set(db.exec(query).all())

    assert person(db, "ziafazal").id not in proposed("2027-W24"), "a question in December, 181 days before"
    assert person(db, "bradenmacdonald").id in proposed("2027-W24")
    assert person(db, "ziafazal").id in proposed("2027-W25"), "188 days after the question"
    lists = [m for m in slack.messages("U0ADMIN99") if "Inactive committers" in json.dumps(m["blocks"])]
    assert [m["text"].split(" (")[-1] for m in lists] == [
        "2027-W24)",
        "2027-W25)",
        "2027-W26)",
        "2027-W27)",
    ], "one list a week while nobody decides"


def test_the_review_keeps_its_local_time_across_the_dst_change(db_url: str, slack: SlackStandIn) -> None:
    settings = bot_settings(db_url, slack, CCBOT_DIGEST_TIMEZONE="America/New_York")
    spec = JOBS["inactivity_review"]
    assert spec.describe(settings) == "mon 08:30 America/New_York"
    assert spec.next_run(utc("2026-10-23T12:00"), settings) == utc("2026-10-26T12:30")  # EDT
    assert spec.next_run(utc("2026-10-30T12:00"), settings) == utc("2026-11-02T13:30")  # EST


def test_admins_see_renewal_progress_and_inactivity_in_app_home(
    bot: RunningBot, clock: list[dt.datetime]
) -> None:
    with bot.runtime.session_factory() as session:
        open_renewal(
            session,
            year=2027,
            who="individuals",
            closes_on=dt.date(2027, 6, 30),
            now=utc("2027-06-01T10:00"),
            actor="t",
            policy=bot.runtime.policy,
        )
    bot.bot.run_job("inactivity_review", now=utc("2026-11-30T08:30"))
    clock[0] = utc("2027-06-10T10:00")  # 196 days after the roster (and its grants) came in
    event = {
        "type": "app_home_opened",
        "user": "U0ADMIN01",
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": "1.2",
    }
    bot.sender.event(event, event_id="EvAdminYearly")
    wait_until(lambda: "U0ADMIN01" in bot.slack.state.home_views, what="admin home")
    text = json.dumps(bot.slack.state.home_views["U0ADMIN01"]["blocks"])
    assert "Recommitment 2027, individuals* (open until 2027-06-30): 0 of 8 answered" in text
    assert "Inactive for more than 183 days:* 9" in text
