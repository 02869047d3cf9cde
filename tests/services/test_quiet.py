"""Reminders' quiet: pauses and one's own hours hold reminders in the outbox, Snooze brings one back once,
across DST changes, weekends and leap days, and nothing held is lost or sent twice, even after a restart."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.services.errors import FieldErrors, UserError
from bot.services.escalations import take_due_escalation_steps
from bot.services.outbox import commit, deliver_pending
from bot.services.questions.nudges import take_due_steps
from bot.services.quiet import (
    Quiet,
    parse_hours,
    quiet_summary,
    reminder,
    set_preferences,
    snooze,
    snooze_until,
)
from bot.services.reminders import queue_expiry_reminders, queue_onboarding_reminders
from bot.services.renewals import open_renewal
from bot.services.retros import advance_retros, open_retro
from bot.slack_standin import SlackStandIn
from bot.types.keys import Kind, message_key
from bot.types.policy import Policy, WorkingHours
from bot.types.quiet import SnoozeChoice
from storage.models import OutboxMessage, OutboxStatus, ReminderHold, RetroAudience
from storage.outbox import get_message_by_key
from tests.conftest import NOW, load_pilot, make_bot
from tests.flows import CHANNELS, FakeMessenger, ask, escalate, person

HOURS = WorkingHours()
VANCOUVER, PARIS = ZoneInfo("America/Vancouver"), ZoneInfo("Europe/Paris")


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def test_a_pause_ends_at_the_start_of_the_working_day_it_names_across_the_autumn_dst_change() -> None:
    quiet = Quiet(tz=VANCOUVER, paused_until=dt.date(2026, 11, 2))
    # Friday 30 October (PDT) -> Monday 2 November 09:00 PST, the day after the clocks went back.
    assert quiet.opens_at(utc("2026-10-30T20:00"), program=HOURS) == utc("2026-11-02T17:00")
    assert quiet.opens_at(utc("2026-11-02T18:00"), program=HOURS) == utc("2026-11-02T18:00"), "pause over"


def test_own_hours_hold_a_reminder_over_a_weekend_and_the_spring_dst_change() -> None:
    quiet = Quiet(tz=PARIS, own_hours=(dt.time(7), dt.time(15)))
    # Friday 26 March 2027, 17:00 CET is after their day: Monday 29 March 07:00 CEST (clocks went forward Sunday).
    assert quiet.opens_at(utc("2027-03-26T16:00"), program=HOURS) == utc("2027-03-29T05:00")
    assert quiet.opens_at(utc("2027-03-29T06:00"), program=HOURS) == utc("2027-03-29T06:00")
    assert Quiet(tz=PARIS).opens_at(utc("2027-03-27T23:00"), program=HOURS) == utc("2027-03-27T23:00"), (
        "without a pause or hours of their own, nothing is held"
    )


def test_snooze_durations_and_until_monday_in_the_persons_zone() -> None:
    quiet = Quiet(tz=VANCOUVER)
    friday = utc("2026-10-30T18:00")  # 11:00 PDT
    assert snooze_until(SnoozeChoice.DAY, quiet, now=friday, program=HOURS) == utc("2026-10-31T18:00")
    assert snooze_until(SnoozeChoice.THREE_DAYS, quiet, now=friday, program=HOURS) == utc("2026-11-02T18:00")
    assert snooze_until(SnoozeChoice.MONDAY, quiet, now=friday, program=HOURS) == utc("2026-11-02T17:00")
    monday = utc("2026-11-02T18:00")
    assert snooze_until(SnoozeChoice.MONDAY, quiet, now=monday, program=HOURS) == utc("2026-11-09T17:00"), (
        "snoozed on a Monday, it comes back next Monday"
    )
    leap = utc("2028-02-28T12:00")
    assert snooze_until(SnoozeChoice.DAY, Quiet(tz=PARIS), now=leap, program=HOURS) == utc("2028-02-29T12:00")
    own = Quiet(tz=PARIS, own_hours=(dt.time(10), dt.time(18)))
    assert snooze_until(SnoozeChoice.MONDAY, own, now=utc("2028-02-29T12:00"), program=HOURS) == utc(
        "2028-03-06T09:00"
    ), "until Monday means the start of their own day"


def test_hours_are_read_like_the_settings_and_refused_clearly() -> None:
    assert parse_hours("08:00-16:00") == (dt.time(8), dt.time(16))
    assert parse_hours("  ") is None
    for bad in ("8-4", "16:00-08:00", "noon"):
        with pytest.raises(FieldErrors):
            parse_hours(bad)


@pytest.fixture
def db(session: Session) -> Session:
    load_pilot(session)
    return session


def _remind(db: Session, at: dt.datetime, parts: list[object]) -> str:
    zia = person(db, "ziafazal")
    message = reminder(
        db, Kind.ONBOARDING, parts, zia, "Your onboarding is not finished.", now=at, hours=HOURS
    )
    return commit(db, [message], now=at)[0]


def test_a_paused_reminder_waits_in_the_outbox_and_goes_once_when_the_pause_ends(db: Session) -> None:
    zia = person(db, "ziafazal")  # Asia/Karachi
    set_preferences(db, zia, paused_until=dt.date(2026, 12, 1), own_hours=None, now=NOW)
    key = _remind(db, NOW, [zia.id, "2026-W48"])
    queued = get_message_by_key(db, key)
    assert queued is not None
    assert queued.next_attempt_at == utc("2026-12-01T04:00"), "09:00 in Karachi on the day the pause ends"
    assert {b.get("block_id") for b in queued.blocks} >= {"reminder-snooze"}
    slack = FakeMessenger()
    assert deliver_pending(db, slack, now=NOW + dt.timedelta(days=3)).sent == 0
    assert deliver_pending(db, slack, now=utc("2026-12-01T04:00")).sent == 1
    assert deliver_pending(db, slack, now=utc("2026-12-02T04:00")).sent == 0
    assert slack.texts("U0PILOT01") == ["Your onboarding is not finished."]


def test_snoozing_brings_a_reminder_back_once_and_a_second_snooze_moves_that_one_copy(db: Session) -> None:
    zia = person(db, "ziafazal")
    key = _remind(db, NOW, [zia.id, "2026-W48"])
    slack = FakeMessenger()
    deliver_pending(db, slack, now=NOW)
    first = snooze(db, zia, key=key, choice=SnoozeChoice.DAY, now=NOW)
    assert first.release == NOW + dt.timedelta(days=1)
    again = snooze(db, zia, key=key, choice=SnoozeChoice.THREE_DAYS, now=NOW + dt.timedelta(minutes=1))
    assert again.key == first.key
    copies = db.exec(select(OutboxMessage).where(OutboxMessage.kind == Kind.SNOOZED.value)).all()
    assert len(copies) == 1
    assert copies[0].next_attempt_at == NOW + dt.timedelta(days=3, minutes=1)
    assert deliver_pending(db, slack, now=NOW + dt.timedelta(days=2)).sent == 0
    assert deliver_pending(db, slack, now=NOW + dt.timedelta(days=3, minutes=1)).sent == 1
    assert deliver_pending(db, slack, now=NOW + dt.timedelta(days=4)).sent == 0
    back = slack.posted[-1]
    assert back["text"] == "Your onboarding is not finished."
    assert "You snoozed this reminder" in str(back["blocks"][0])
    snooze_buttons = [b for b in back["blocks"] if b.get("block_id") == "reminder-snooze"]
    assert [e["value"] for e in snooze_buttons[0]["elements"]] == [first.key] * 3, "the copy snoozes itself"
    with pytest.raises(UserError, match="come back already"):
        snooze(db, zia, key=key, choice=SnoozeChoice.DAY, now=NOW + dt.timedelta(days=5))


def test_only_the_recipient_snoozes_a_reminder(db: Session) -> None:
    key = _remind(db, NOW, [1, "2026-W48"])
    with pytest.raises(UserError, match="no longer points at one of your reminders"):
        snooze(db, person(db, "bradenmacdonald"), key=key, choice=SnoozeChoice.DAY, now=NOW)
    with pytest.raises(UserError):
        snooze(
            db, person(db, "ziafazal"), key="onboarding:nothing-like-this", choice=SnoozeChoice.DAY, now=NOW
        )


def test_changing_ones_pause_moves_what_is_held_and_lifting_it_releases_it(db: Session) -> None:
    zia = person(db, "ziafazal")
    key = _remind(db, NOW, [zia.id, "2026-W48"])
    deliver_pending(db, FakeMessenger(), now=NOW)
    snoozed = snooze(db, zia, key=key, choice=SnoozeChoice.DAY, now=NOW)
    set_preferences(db, zia, paused_until=dt.date(2026, 12, 10), own_hours=None, now=NOW)
    held = _remind(db, NOW + dt.timedelta(hours=1), [zia.id, "2026-W49"])
    assert get_message_by_key(db, snoozed.key).next_attempt_at == utc("2026-12-10T04:00")  # type: ignore[union-attr]
    assert get_message_by_key(db, held).next_attempt_at == utc("2026-12-10T04:00")  # type: ignore[union-attr]
    summary = quiet_summary(db, zia, now=NOW)
    assert (summary.paused_until, summary.held) == (dt.date(2026, 12, 10), 2)
    later = NOW + dt.timedelta(hours=2)
    saved = set_preferences(db, zia, paused_until=None, own_hours=None, now=later)
    assert saved.keys == (held,), "the pause held it; lifting the pause releases it now"
    assert get_message_by_key(db, snoozed.key).next_attempt_at == NOW + dt.timedelta(days=1), (  # type: ignore[union-attr]
        "the snooze keeps its own time"
    )
    slack = FakeMessenger()
    assert deliver_pending(db, slack, now=later).sent == 1
    assert deliver_pending(db, slack, now=NOW + dt.timedelta(days=1)).sent == 1
    assert deliver_pending(db, slack, now=NOW + dt.timedelta(days=20)).sent == 0


def test_a_pause_in_the_past_or_too_far_is_handled(db: Session) -> None:
    zia = person(db, "ziafazal")
    saved = set_preferences(
        db, zia, paused_until=dt.date(2026, 11, 1), own_hours=(dt.time(8), dt.time(12)), now=NOW
    )
    assert saved.summary.paused_until is None
    assert saved.summary.own_hours == (dt.time(8), dt.time(12))
    with pytest.raises(FieldErrors, match="a year at most"):
        set_preferences(db, zia, paused_until=dt.date(2028, 1, 1), own_hours=None, now=NOW)


def test_a_held_reminder_survives_a_restart_and_is_sent_once_by_the_next_process(
    db_url: str, slack: SlackStandIn
) -> None:
    first = make_bot(db_url, slack)
    with first.runtime.session_factory() as session:
        load_pilot(session)
        zia = person(session, "ziafazal")
        set_preferences(session, zia, paused_until=dt.date(2026, 11, 30), own_hours=None, now=NOW)
        key = _remind(session, NOW, [zia.id, "2026-W48"])
        assert session.get(ReminderHold, key) is not None
    first.close()  # the process stops with the reminder held
    second = make_bot(db_url, slack)
    try:
        for at in ("2026-11-29T12:00", "2026-11-30T04:00", "2026-11-30T05:00"):
            second.run_job("outbox_delivery", now=utc(at))
        assert [m["text"] for m in slack.messages("U0PILOT01")] == ["Your onboarding is not finished."]
        with second.runtime.session_factory() as session:
            assert get_message_by_key(session, key).status == OutboxStatus.SENT.value  # type: ignore[union-attr]
    finally:
        second.close()


def test_keys_of_snoozed_copies_stay_within_the_outbox_column() -> None:
    long_key = message_key(Kind.EXPIRY, "x" * 300)
    assert len(message_key(Kind.SNOOZED, message_key(Kind.SNOOZED, long_key))) <= 255


def test_every_reminder_and_nudge_dm_carries_the_snooze_buttons(db: Session) -> None:
    policy = Policy()
    ask(db, "ziafazal", now=NOW)
    for hours in (8, 24, 48, 72):  # one rung per run: the second champion is DMed
        take_due_steps(db, now=NOW + dt.timedelta(hours=hours), policy=policy.sla, channels=CHANNELS)
    escalate(db, "ziafazal", now=NOW)
    take_due_escalation_steps(db, now=NOW + dt.timedelta(days=3), policy=policy.escalation, channels=CHANNELS)
    queue_expiry_reminders(db, now=utc("2026-12-30T20:00"), policy=policy)
    queue_onboarding_reminders(db, now=utc("2026-11-30T08:00"), hours=policy.hours)
    _retro, _ = open_retro(
        db, name="r", closes_on=dt.date(2026, 12, 9), audience=RetroAudience.CCS, now=NOW, actor="t"
    )
    advance_retros(db, now=utc("2026-12-09T03:00"), hours=policy.hours)  # past the midpoint, on the last day
    open_renewal(
        db, year=2027, who="individuals", closes_on=dt.date(2026, 12, 20), now=NOW, actor="t", policy=policy
    )
    dms = [
        m
        for m in db.exec(select(OutboxMessage)).all()
        # A nudge DM is a posting (its rating redraws it); other reminders have no subject.
        if m.channel.startswith("U") and m.op == "post" and (not m.subject or m.subject.startswith("nudge:"))
    ]
    reminders = {m.kind for m in dms if any(b.get("block_id") == "reminder-snooze" for b in m.blocks)}
    assert {
        "question-nudge",
        "escalation-step",
        "expiry",
        "onboarding",
        "retro-midpoint",
        "retro-last_day",
        "renewal-invite",
    } <= reminders
    notices = {m.kind for m in dms} - reminders
    assert "retro-invite" in notices, "an invitation is not a reminder"
    assert "question-confirm" in notices
