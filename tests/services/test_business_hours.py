"""Working-time arithmetic across weekends, DST changes and time zones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.services.business_hours import add_working_time, working_time_between, zone
from bot.types.policy import WorkingHours

HOURS = WorkingHours()
NEW_YORK = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def test_time_asked_at_night_starts_counting_next_morning() -> None:
    # Tuesday 02:00 in Paris (CET, UTC+1): the clock starts at 09:00 local = 08:00 UTC.
    assert add_working_time(utc("2026-11-24T01:00"), dt.timedelta(hours=4), tz=PARIS, hours=HOURS) == utc(
        "2026-11-24T12:00"
    )


def test_a_weekend_is_skipped() -> None:
    # Friday 16:00 EST + 4 h: one hour on Friday, three on Monday morning.
    due = add_working_time(utc("2026-11-27T21:00"), dt.timedelta(hours=4), tz=NEW_YORK, hours=HOURS)
    assert due == utc("2026-11-30T17:00")


def test_spring_forward_is_counted_in_real_hours() -> None:
    # US DST starts Sunday 14 March 2027; Friday 15:00 EST + 4 h ends Monday 11:00 EDT (15:00 UTC).
    due = add_working_time(utc("2027-03-12T20:00"), dt.timedelta(hours=4), tz=NEW_YORK, hours=HOURS)
    assert due == utc("2027-03-15T15:00")


def test_custom_days_and_hours() -> None:
    hours = WorkingHours(start=dt.time(8, 30), end=dt.time(12), weekdays=frozenset({6}))  # Sundays only
    due = add_working_time(utc("2026-11-26T00:00"), dt.timedelta(hours=5), tz=ZoneInfo("UTC"), hours=hours)
    assert due == utc("2026-12-06T10:00")


def test_unknown_time_zones_fall_back_to_utc() -> None:
    assert zone("Mars/Olympus_Mons") == ZoneInfo("UTC")
    assert zone(None) == ZoneInfo("UTC")


@given(
    start=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2028, 12, 31)),
    minutes=st.integers(min_value=1, max_value=60 * 40),
    tz=st.sampled_from(["America/New_York", "Europe/Paris", "Asia/Karachi", "Australia/Sydney", "UTC"]),
)
def test_adding_then_measuring_working_time_round_trips(start: dt.datetime, minutes: int, tz: str) -> None:
    begin = start.replace(tzinfo=dt.UTC)
    duration = dt.timedelta(minutes=minutes)
    due = add_working_time(begin, duration, tz=ZoneInfo(tz), hours=HOURS)
    assert due > begin
    assert working_time_between(begin, due, tz=ZoneInfo(tz), hours=HOURS) == duration
    local = due.astimezone(ZoneInfo(tz))
    assert local.weekday() < 5
    assert dt.time(9) < local.time() <= dt.time(17)


@given(
    tz=st.sampled_from(["Europe/Paris", "America/New_York", "Asia/Kolkata", "America/Los_Angeles", "UTC"]),
    start=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31)),
    span=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=40)),
    first=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31)),
)
def test_the_business_clock_agrees_with_walking_the_days(
    tz: str, start: dt.datetime, span: dt.timedelta, first: dt.datetime
) -> None:
    from bot.services.business_hours import BusinessClock

    clock = BusinessClock(ZoneInfo(tz), HOURS)
    clock.elapsed(first.replace(tzinfo=dt.UTC))  # a clock that has seen another day first
    begin = start.replace(tzinfo=dt.UTC)
    end = begin + span
    assert clock.between(begin, end) == working_time_between(begin, end, tz=ZoneInfo(tz), hours=HOURS)
