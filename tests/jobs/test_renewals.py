"""The recommitment job across time: invitations, reminders at the midpoint and two days before the deadline
(in each person's working hours), and the deadline settled once, even by two instances at once."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.assembly import Bot
from bot.services.renewals import answer_renewal, open_renewal
from bot.slack_standin import SlackStandIn
from bot.types.policy import Policy
from storage.db import make_session_factory
from storage.models import AuditEntry, OutboxMessage, Person, RenewalAnswer, RenewalMember, RenewalOutcome
from storage.roster import get_organization_by_name, get_person_by_github
from tests.conftest import NOW, load_pilot, make_bot, run_at
from tests.flows import CHANNELS

OPENED = dt.datetime(2027, 1, 5, 10, 0, tzinfo=dt.UTC)  # a Tuesday in January: individuals renew
COMMITTERS = ["U0PILOT0" + str(n) for n in range(1, 9)]  # the eight active ones (U0PILOT09 is onboarding)
ADMINS = ("U0ADMIN01", "U0ADMIN99")


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        load_pilot(session, now=NOW)
        yield session


def _hourly(bot: Bot, start: dt.datetime, hours: int) -> None:
    for hour in range(hours):
        run_at(bot, "renewal_reminders", start + dt.timedelta(hours=hour))


def _with(slack: SlackStandIn, user: str, text: str) -> list[dict]:
    return [m for m in slack.messages(user) if text in m["text"] or text in json.dumps(m["blocks"])]


def _member(db: Session, handle: str) -> RenewalMember:
    person = get_person_by_github(db, handle)
    assert person is not None
    return db.exec(select(RenewalMember).where(RenewalMember.person_id == person.id)).one()


def _open(db: Session, bot: Bot) -> None:
    opened = open_renewal(
        db,
        year=2027,
        who="individuals",
        closes_on=dt.date(2027, 2, 4),
        now=OPENED,
        actor="test",
        policy=bot.runtime.policy,
    )
    assert [(r.year, asked) for r, asked in opened.rounds] == [(2027, 8)]


def test_a_january_round_from_invitations_to_the_admins_list(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    _open(db, job_bot)
    run_at(job_bot, "renewal_reminders", OPENED)
    for user in COMMITTERS:
        assert len(_with(slack, user, "Recommit for 2027")) == 1, user
    assert _with(slack, "U0PILOT09", "Recommit") == [], "an onboarding committer is not asked"

    answer_renewal(
        db,
        _member(db, "ziafazal").id or 0,
        get_person_by_github(db, "ziafazal"),
        answer=RenewalAnswer.RECOMMITTED,
        now=OPENED + dt.timedelta(days=1),
        channels=CHANNELS,
    )
    answer_renewal(
        db,
        _member(db, "bradenmacdonald").id or 0,
        get_person_by_github(db, "bradenmacdonald"),
        answer=RenewalAnswer.STEPPED_DOWN,
        now=OPENED + dt.timedelta(days=2),
        channels=CHANNELS,
    )

    midpoint = dt.datetime(2027, 1, 20, 17, 0, tzinfo=dt.UTC)  # halfway from 5 January 10:00 to 5 February
    run_at(job_bot, "renewal_reminders", midpoint - dt.timedelta(minutes=1))
    assert _with(slack, "U0PILOT03", "Reminder: the 2027 recommitment") == []
    _hourly(job_bot, midpoint, 30)
    for user in COMMITTERS[2:]:
        reminders = _with(slack, user, "Reminder: the 2027 recommitment")
        assert len(reminders) == 1, user
    assert _with(slack, "U0PILOT01", "Reminder") == [], "who answered is not reminded"
    assert _with(slack, "U0PILOT02", "Reminder") == []
    # Each reminder was decided in its committer's working hours, in their own time zone.
    for handle, zone in (("pomegranited", "Australia/Sydney"), ("pdpinch", "America/New_York")):
        person = get_person_by_github(db, handle)
        assert person is not None
        queued = db.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == "renewal-reminder", OutboxMessage.channel == person.slack_user_id
            )
        ).one()
        local = queued.created_at.astimezone(ZoneInfo(zone))
        assert local.weekday() < 5, (handle, local)
        assert 9 <= local.hour < 17, (handle, local)

    _hourly(job_bot, dt.datetime(2027, 2, 3, 0, 0, tzinfo=dt.UTC), 24)
    for user in COMMITTERS[2:]:
        assert len(_with(slack, user, "Two days left")) == 1, user

    deadline = dt.datetime(2027, 2, 5, 0, 0, tzinfo=dt.UTC)
    run_at(job_bot, "renewal_reminders", deadline - dt.timedelta(minutes=1))
    db.expire_all()
    braden = get_person_by_github(db, "bradenmacdonald")
    assert braden is not None
    assert braden.removed_on is None, "stepping down takes effect at the deadline"
    _hourly(job_bot, deadline + dt.timedelta(minutes=5), 3)
    db.expire_all()
    assert braden.removed_on == dt.date(2027, 2, 5)
    assert len(_with(slack, "U0PILOT02", "you are now an alumnus")) == 1
    assert _member(db, "ziafazal").outcome is RenewalOutcome.RECOMMITTED
    for admin in ADMINS:
        lists = _with(slack, admin, "No answer: 2027 recommitment")
        assert len(lists) == 1, admin
        body = json.dumps(lists[0]["blocks"])
        assert body.count('"action_id": "renewal_extend"') == 6
        assert body.count('"action_id": "renewal_move_to_alumni"') == 6
        assert "U0PILOT03" in body
        assert "U0PILOT01" not in body
    closed = db.exec(select(AuditEntry).where(AuditEntry.action == "renewal.closed")).all()
    assert len(closed) == 1


def test_two_instances_at_the_deadline_settle_each_member_once(db_url: str, slack: SlackStandIn) -> None:
    bots = [make_bot(db_url, slack) for _ in range(2)]
    with bots[0].runtime.session_factory() as session:
        load_pilot(session, now=NOW)
        _open(session, bots[0])
        member = session.exec(select(RenewalMember)).first()
        assert member is not None
        contact = session.get(Person, member.person_id)
        answer_renewal(
            session, member.id or 0, contact, answer=RenewalAnswer.STEPPED_DOWN, now=OPENED, channels=CHANNELS
        )
    at = dt.datetime(2027, 2, 5, 0, 30, tzinfo=dt.UTC)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def instance(index: int) -> None:
        try:
            barrier.wait()
            bots[index].run_job("renewal_reminders", now=at)
        except BaseException as exc:  # reported below
            errors.append(exc)

    with freeze_time(at, ignore=["threading", "urllib3", "http"]):
        threads = [threading.Thread(target=instance, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    with bots[0].runtime.session_factory() as session:
        settled = session.exec(select(RenewalMember)).all()
        actions = Counter(e.action for e in session.exec(select(AuditEntry)).all())
    for bot in bots:
        bot.close()
    assert errors == []
    assert all(m.settled_at is not None for m in settled)
    assert actions["renewal.closed"] == 1
    assert actions["person.removed"] == 1
    posted = Counter((m["channel"], m["text"]) for m in slack.messages())
    assert {key: n for key, n in posted.items() if n > 1} == {}
    for admin in ADMINS:
        assert len(_with(slack, admin, "No answer: 2027 recommitment")) == 1


def test_a_scheduled_round_opens_once_in_its_week_and_not_after(
    db: Session, db_url: str, slack: SlackStandIn
) -> None:
    bot = make_bot(db_url, slack, CCBOT_RENEWAL_ORGANIZATIONS="12-01", CCBOT_RENEWAL_INDIVIDUALS="01-05")
    organisations = bot.runtime.policy.lifecycle.renewal_opens
    assert len(organisations) == 2
    try:
        opencraft = get_organization_by_name(db, "OpenCraft")
        assert opencraft is not None
        opencraft.contact_email = "braden.macdonald@example.org"
        db.add(opencraft)
        db.commit()
        run_at(bot, "renewal_reminders", dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC))
        assert _with(slack, "U0PILOT02", "recommitment") == []
        run_at(bot, "renewal_reminders", dt.datetime(2026, 12, 3, 18, 0, tzinfo=dt.UTC))
        run_at(bot, "renewal_reminders", dt.datetime(2026, 12, 3, 19, 0, tzinfo=dt.UTC))
        invitations = _with(slack, "U0PILOT02", "Recommitment for 2027")
        assert len(invitations) == 1, "OpenCraft's contact is asked once for 2027"
        assert "does *OpenCraft* recommit" in json.dumps(invitations[0]["blocks"])
        run_at(bot, "renewal_reminders", dt.datetime(2027, 1, 12, 18, 0, tzinfo=dt.UTC))
        assert len(_with(slack, "U0PILOT01", "Recommitment for 2027")) == 0, (
            "the individuals' date passed a week ago: no round opens by itself that late"
        )
        run_at(bot, "renewal_reminders", dt.datetime(2027, 1, 5, 9, 0, tzinfo=dt.UTC))
        assert len(_with(slack, "U0PILOT01", "Recommitment for 2027")) == 1
    finally:
        bot.close()


def test_the_policy_has_no_scheduled_round_unless_configured() -> None:
    assert Policy().lifecycle.renewal_opens == ()
