"""The acknowledgement ladder: re-notify, reach the next manager, report overdue, remind the owner; each once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.assembly import Bot
from bot.services.escalations import (
    acknowledge_escalation,
    get_escalation_card,
    open_escalation,
    validate_escalation,
)
from bot.slack_standin import SlackStandIn
from bot.types.escalations import EscalationCard
from storage.db import make_session_factory
from storage.models import EscalationStep
from storage.roster import get_person_by_github
from tests.conftest import NOW, load_pilot, run_at

MANAGEMENT, DIGEST = "C0MGMT001", "C0DIGEST1"
NIMISHA, DIRECTOR = "U0MGR0001", "U0MGR0002"
OPENED = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # a Thursday, 10:00 in New York


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        load_pilot(session, now=NOW)
        yield session


def _escalate(db: Session, bot: Bot, *, urgency: str) -> EscalationCard:
    zia = get_person_by_github(db, "ziafazal")
    draft = validate_escalation(
        db, zia, committer_id=None, summary="Blocked", impact="Nobody reviews", related="", urgency=urgency
    )
    decided = open_escalation(db, zia, draft, now=OPENED, channels=bot.runtime.channels)  # type: ignore[arg-type]
    bot.runtime.deliver(db, decided.keys, now=OPENED)
    return get_escalation_card(db, decided.card.id)


def _run(bot: Bot, at: dt.datetime) -> None:
    run_at(bot, "escalation_reminders", at)


def _thread(slack: SlackStandIn, card: EscalationCard) -> list[str]:
    assert card.posting is not None
    return [m["text"] for m in slack.messages(MANAGEMENT) if m.get("thread_ts") == card.posting.ts]


def test_an_unacknowledged_urgent_escalation_reaches_the_second_manager_at_15_minutes_once(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    card = _escalate(db, job_bot, urgency="urgent")
    assert card.owner is not None
    assert card.owner.github == "nimisha", "the committer's own manager has it first"
    _run(job_bot, OPENED + dt.timedelta(minutes=14, seconds=59))
    assert _thread(slack, card) == []
    assert not slack.messages(DIRECTOR)

    _run(job_bot, OPENED + dt.timedelta(minutes=15))
    _run(job_bot, OPENED + dt.timedelta(minutes=15))
    assert len(_thread(slack, card)) == 1
    assert "Not acknowledged after 15m" in _thread(slack, card)[0]
    assert len(slack.messages(DIRECTOR)) == 1

    _run(job_bot, OPENED + dt.timedelta(minutes=30))
    _run(job_bot, OPENED + dt.timedelta(minutes=30))
    assert len(_thread(slack, card)) == 2
    assert len([m for m in slack.messages(NIMISHA) if "without an acknowledgement" in m["text"]]) == 1


def test_after_the_limit_it_is_reported_overdue_in_the_digest_channel_once(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    card = _escalate(db, job_bot, urgency="urgent")
    for minutes in (15, 30, 45, 60, 60, 75, 120):
        _run(job_bot, OPENED + dt.timedelta(minutes=minutes))
    overdue = slack.messages(DIGEST)
    assert len(overdue) == 1
    assert "Overdue" in overdue[0]["text"]
    steps = db.exec(select(EscalationStep.step).where(EscalationStep.escalation_id == card.id)).all()
    assert sorted(steps) == [1, 2, 3, 50]


def test_a_normal_escalation_waits_for_managers_working_hours(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    card = _escalate(db, job_bot, urgency="normal")
    # Opened Thursday 10:00 in New York; 4 working hours of the next manager (New York) later is 14:00.
    _run(job_bot, OPENED + dt.timedelta(hours=3, minutes=59))
    assert _thread(slack, card) == []
    _run(job_bot, OPENED + dt.timedelta(hours=4))
    assert len(_thread(slack, card)) == 1


def test_an_acknowledged_escalation_reminds_its_owner_after_three_days(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    card = _escalate(db, job_bot, urgency="urgent")
    director = get_person_by_github(db, "eng-director")
    acknowledge_escalation(db, card.id, director, now=OPENED + dt.timedelta(minutes=5))
    _run(job_bot, OPENED + dt.timedelta(hours=1))
    assert _thread(slack, card) == [], "an acknowledged escalation is not re-notified"
    _run(job_bot, OPENED + dt.timedelta(days=3, minutes=5))
    _run(job_bot, OPENED + dt.timedelta(days=4))
    reminders = [m for m in slack.messages(DIRECTOR) if "acknowledged but unresolved" in m["text"]]
    assert len(reminders) == 1


def test_a_step_taken_late_says_how_long_the_escalation_has_really_waited(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    # The first rung fell due at 15 minutes, but the job first runs two days later (the bot was down, or the
    # console's clock moved): the messages say two days, as of the job's clock, not the rung's 15 minutes.
    card = _escalate(db, job_bot, urgency="urgent")
    _run(job_bot, OPENED + dt.timedelta(days=2))
    thread = _thread(slack, card)
    assert len(thread) == 1
    assert "Not acknowledged after 2d." in thread[0]
    assert "15m" not in thread[0]
    dm = [m["text"] for m in slack.messages(DIRECTOR)]
    assert len(dm) == 1
    assert "has waited 2d without an acknowledgement" in dm[0]
