"""Agreement expiry: each threshold once, in the committer's working hours; lapses told once; renewal stops it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.assembly import Bot
from bot.services.business_hours import WorkingHours
from bot.services.reminders import is_working_time
from bot.slack_standin import SlackStandIn
from storage.db import make_session_factory
from storage.models import Agreement, Person
from storage.roster import get_organization_by_name, get_person_by_github
from tests.conftest import NOW, load_pilot, run_at

ZIA, SYMBOLIST, BRADEN, PDPINCH = "U0PILOT01", "U0PILOT03", "U0PILOT02", "U0PILOT07"
JBOWMAN, FEANIL = "U0CHAMP01", "U0CHAMP02"
NIMISHA, DIRECTOR, COORDINATOR = "U0MGR0001", "U0MGR0002", "U0ADMIN01"


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        load_pilot(session, now=NOW)
        yield session


def _run(bot: Bot, at: dt.datetime, job: str = "agreement_expiry_reminders") -> None:
    run_at(bot, job, at)


def _dms(slack: SlackStandIn, user: str, containing: str = "") -> list[str]:
    return [m["text"] for m in slack.messages(user) if containing in m["text"]]


def test_the_30_day_reminder_comes_once_in_each_committers_working_hours(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    # Tuesday 1 December, 06:00 UTC: 11:00 in Karachi, 22:00 the evening before in Vancouver.
    _run(job_bot, utc("2026-12-01T06:00"))
    _run(job_bot, utc("2026-12-01T06:00"))
    assert len(_dms(slack, ZIA, "Edly by Arbisoft")) == 1
    assert "2026-12-31 (in 30 days)" in _dms(slack, ZIA)[0]
    assert len(_dms(slack, SYMBOLIST, "OpenCraft")) == 1
    assert _dms(slack, BRADEN) == [], "not at night in Vancouver"
    assert _dms(slack, PDPINCH) == [], "MIT is not a provider: no entity agreement needed"
    assert _dms(slack, JBOWMAN) == [], "champions hear only at 7 and 1 days"

    _run(job_bot, utc("2026-12-01T18:00"))  # 10:00 in Vancouver
    assert len(_dms(slack, BRADEN, "OpenCraft")) == 1
    assert len(_dms(slack, ZIA)) == 1


def test_champions_hear_at_seven_days_and_the_last_reminder_ignores_office_hours(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    _run(job_bot, utc("2026-12-24T20:00"))  # 7 days; 01:00 in Karachi
    assert _dms(slack, ZIA) == []
    assert len(_dms(slack, JBOWMAN, "<@U0PILOT01>'s Entity contributor agreement")) == 1
    assert len(_dms(slack, FEANIL, "<@U0PILOT01>")) == 1
    _run(job_bot, utc("2026-12-30T20:00"))  # tomorrow; still night in Karachi, sent anyway
    assert len(_dms(slack, ZIA, "(tomorrow)")) == 1
    assert len([t for t in _dms(slack, JBOWMAN, "(tomorrow)") if "<@U0PILOT01>" in t]) == 1


def test_a_lapse_is_told_once_and_a_renewal_restores_active_and_stops_reminders(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    _run(job_bot, utc("2026-12-31T00:30"))
    _run(job_bot, utc("2026-12-31T01:30"))
    zia = get_person_by_github(db, "ziafazal")
    assert zia is not None
    db.refresh(zia)
    assert zia.status == "lapsed"
    assert len(_dms(slack, ZIA, "now *lapsed*")) == 1
    for manager in (NIMISHA, DIRECTOR, COORDINATOR):
        assert len(_dms(slack, manager, "<@U0PILOT01> is now *lapsed*")) == 1, manager
    assert _dms(slack, PDPINCH, "lapsed") == [], "a committer with no entity agreement to lose stays active"

    edly = get_organization_by_name(db, "Edly by Arbisoft")
    assert edly is not None
    db.add(
        Agreement(
            kind="entity",
            organization_id=edly.id,
            signed_on=dt.date(2026, 12, 31),
            expires_on=dt.date(2027, 12, 31),
        )
    )
    db.commit()
    _run(job_bot, utc("2027-01-04T06:00"))
    db.refresh(zia)
    assert zia.status == "active"
    assert len(_dms(slack, ZIA, "*active* again")) == 1
    _run(job_bot, utc("2027-11-01T06:00"))
    assert _dms(slack, ZIA, "Edly by Arbisoft") == [], "the renewed agreement is far from its end"
    _run(job_bot, utc("2027-12-01T06:00"))
    assert ["2027-12-31 (in 30 days)" in t for t in _dms(slack, ZIA, "Edly by Arbisoft")] == [True]


def test_working_hours_follow_each_persons_zone_across_dst_and_weekends() -> None:
    hours = WorkingHours()
    braden = Person(github="b", github_key="b", timezone="America/Vancouver")
    assert is_working_time(utc("2026-10-30T16:30"), braden, hours)  # Friday 09:30 PDT
    assert not is_working_time(utc("2026-11-02T16:30"), braden, hours)  # Monday 08:30 PST, after DST ends
    assert is_working_time(utc("2026-11-02T17:00"), braden, hours)
    assert not is_working_time(utc("2026-10-31T18:00"), braden, hours)  # Saturday


def test_onboarding_committers_are_reminded_weekly_of_what_is_missing(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    for at in (
        "2026-11-30T08:00",
        "2026-11-30T09:00",
        "2026-12-02T10:00",
        "2026-12-07T08:00",
    ):  # Kyiv 10:00, ...
        _run(job_bot, utc(at), "onboarding_reminders")
    reminders = _dms(slack, "U0PILOT09", "onboarding is not finished")
    assert len(reminders) == 2, "once a week"
    assert "NDA / program agreement: not signed yet" in reminders[0]
    assert _dms(slack, ZIA) == []
