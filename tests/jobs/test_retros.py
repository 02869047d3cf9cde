"""The retro job: invitations, reminders to those who have not answered, and the report at closing, each once."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from bot.assembly import Bot
from bot.services.errors import UserError
from bot.services.retros import advance_retros, open_retro, submit_feedback
from bot.slack_standin import SlackStandIn
from bot.types.policy import DEFAULT_HOURS
from bot.types.retros import Feedback
from storage.db import make_session_factory
from storage.models import OutboxMessage, OutboxStatus, Retro, RetroAudience
from storage.roster import get_person_by_github
from tests.conftest import NOW, load_pilot, make_bot, run_at

OPENED = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        load_pilot(session, now=NOW)
        yield session


def _run(bot: Bot, when: dt.datetime) -> None:
    run_at(bot, "retro_reminders", when)


def _retro_dms(slack: SlackStandIn, user: str, text: str) -> list[dict]:
    return [m for m in slack.messages(user) if text in json.dumps(m["blocks"])]


def test_invitations_reminders_and_the_report_each_once(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    retro, people = open_retro(
        db,
        name="pilot-2026",
        closes_on=dt.date(2026, 12, 9),
        audience=RetroAudience.CCS,
        now=OPENED,
        actor="test",
    )
    assert len(people) == 9
    _run(job_bot, OPENED)
    _run(job_bot, OPENED + dt.timedelta(hours=1))
    assert len(_retro_dms(slack, "U0PILOT01", "is open")) == 1
    assert _retro_dms(slack, "U0CHAMP01", "is open") == [], "champions are not in a CCs-only retro"

    zia, braden = get_person_by_github(db, "ziafazal"), get_person_by_github(db, "bradenmacdonald")
    submit_feedback(
        db,
        zia,
        retro.id or 0,
        Feedback(liked="Fast answers", lacked="Docs"),
        now=OPENED + dt.timedelta(days=1),
    )
    submit_feedback(
        db,
        braden,
        retro.id or 0,
        Feedback(liked="Champions", longed_for="A roadmap", anonymous=True),
        now=OPENED + dt.timedelta(days=1),
    )
    midpoint = OPENED + (retro.closes_at - OPENED) / 2
    _run(job_bot, midpoint - dt.timedelta(minutes=1))
    assert _retro_dms(slack, "U0PILOT03", "Halfway") == []
    _run(job_bot, midpoint)
    _run(job_bot, midpoint + dt.timedelta(hours=1))
    assert len(_retro_dms(slack, "U0PILOT03", "Halfway")) == 1
    assert _retro_dms(slack, "U0PILOT01", "Halfway") == [], "who answered is not reminded"
    _run(job_bot, retro.closes_at - dt.timedelta(days=1))
    assert len(_retro_dms(slack, "U0PILOT03", "closes in a day")) == 1

    _run(job_bot, retro.closes_at)
    _run(job_bot, retro.closes_at + dt.timedelta(hours=1))
    for user in ("U0PILOT01", "U0MGR0001", "U0ADMIN01"):
        reports = [m for m in slack.messages(user) if "the results" in json.dumps(m["blocks"])]
        assert len(reports) == 1, user
    report = json.dumps(
        next(m for m in slack.messages("U0MGR0001") if "the results" in json.dumps(m["blocks"]))["blocks"]
    )
    assert "2 of 9 participants responded (22%)" in report
    assert "Fast answers (<@U0PILOT01>)" in report
    assert "A roadmap (_anonymous_)" in report
    assert "U0PILOT02" not in report, "an anonymous answer is never attributed"
    with pytest.raises(UserError, match="no retro open"):
        submit_feedback(db, zia, retro.id or 0, Feedback(liked="late"), now=retro.closes_at)


def test_a_halfway_reminder_due_at_night_waits_for_the_working_hours_of_its_recipient(
    db: Session, db_url: str, slack: SlackStandIn
) -> None:
    bot = make_bot(db_url, slack, CCBOT_WORKING_HOURS="07:00-15:00")
    try:
        open_retro(
            db,
            name="pilot-2026",
            closes_on=dt.date(2026, 12, 9),
            audience=RetroAudience.CCS,
            now=OPENED,
            actor="test",
        )
        # Thursday 22:00 UTC, past the midpoint: 03:00 on Friday in Karachi, 09:00 in Sydney.
        _run(bot, dt.datetime(2026, 12, 3, 22, 0, tzinfo=dt.UTC))
        assert _retro_dms(slack, "U0PILOT03", "Halfway") == [], "03:00 in Karachi"
        assert len(_retro_dms(slack, "U0PILOT04", "Halfway")) == 1, "09:00 in Sydney"
        _run(bot, dt.datetime(2026, 12, 4, 1, 59, tzinfo=dt.UTC))
        assert _retro_dms(slack, "U0PILOT03", "Halfway") == [], "06:59 in Karachi"
        _run(bot, dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.UTC))
        assert len(_retro_dms(slack, "U0PILOT03", "Halfway")) == 1, (
            "07:00 in Karachi: CCBOT_WORKING_HOURS begin"
        )
        assert len(_retro_dms(slack, "U0PILOT04", "Halfway")) == 1
    finally:
        bot.close()


def test_a_retro_closes_in_the_same_transaction_as_its_reports(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    retro, _ = open_retro(
        db, name="pilot", closes_on=dt.date(2026, 12, 9), audience=RetroAudience.CCS, now=OPENED, actor="t"
    )

    def die(_: Session) -> None:
        raise RuntimeError("the process died while committing")

    event.listen(db, "before_commit", die)
    with pytest.raises(RuntimeError):
        advance_retros(db, now=retro.closes_at, hours=DEFAULT_HOURS)
    event.remove(db, "before_commit", die)
    db.rollback()
    assert db.exec(select(Retro.closed_at)).one() is None
    assert db.exec(select(OutboxMessage).where(OutboxMessage.kind == "retro-report")).all() == []

    progress = advance_retros(
        db, now=retro.closes_at, hours=DEFAULT_HOURS
    )  # committed; the process "dies" before delivering
    assert progress.closed == 1
    queued = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "retro-report")).all()
    assert {m.status for m in queued} == {OutboxStatus.PENDING.value}
    assert len(queued) == 12, "the nine committers, the two managers and the admin"
    _run(job_bot, retro.closes_at + dt.timedelta(minutes=1))
    _run(job_bot, retro.closes_at + dt.timedelta(hours=1))
    reports = [m for m in slack.messages() if "the results" in json.dumps(m["blocks"])]
    assert len(reports) == len(queued), "each report is sent once"
