"""Responsiveness arithmetic, against hand-computed values: nearest-rank percentiles, and business time on the
champions' turns across weekends, time zones (Asia/Kolkata, America/Los_Angeles) and DST changes (Europe/Paris on
the last Sunday of October, America/New_York in March)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.services.business_hours import zone
from bot.services.responsiveness import (
    business_duration,
    nearest_rank,
    percentiles,
    turn_time_reached,
    waiting_time,
)
from bot.types.policy import DEFAULT_HOURS, WorkingHours
from bot.types.responsiveness import Percentiles

H = dt.timedelta(hours=1)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("hours", "share", "expected"),
    [
        # Five values: ranks ceil(2.5) = 3, ceil(3.75) = 4, ceil(4.5) = 5.
        ([10, 1, 4, 2, 3], 0.5, 3),
        ([10, 1, 4, 2, 3], 0.75, 4),
        ([10, 1, 4, 2, 3], 0.9, 10),
        # Four: ranks 2, 3, ceil(3.6) = 4.
        ([4, 3, 2, 1], 0.5, 2),
        ([4, 3, 2, 1], 0.75, 3),
        ([4, 3, 2, 1], 0.9, 4),
        # Ten: 0.9 * 10 is rank 9 exactly, not 10 by a float's rounding.
        (list(range(1, 11)), 0.9, 9),
        (list(range(1, 11)), 0.75, 8),
        ([7], 0.5, 7),
        ([7], 0.9, 7),
    ],
)
def test_nearest_rank_is_the_value_at_rank_ceil_p_n(hours: list[int], share: float, expected: int) -> None:
    assert nearest_rank([h * H for h in hours], share) == expected * H


def test_percentiles_of_nothing_are_none() -> None:
    assert percentiles([]) == Percentiles(None, None, None, 0)
    assert percentiles([H, 2 * H]) == Percentiles(H, 2 * H, 2 * H, 2)
    assert Percentiles(H, 3 * H, 4 * H, 3).meets(3 * H) is True
    assert Percentiles(H, 3 * H, 4 * H, 3).meets(2 * H) is False
    assert Percentiles().meets(H) is None


@pytest.mark.parametrize(
    ("tz", "start", "end", "expected"),
    [
        # Europe/Paris leaves summer time on Sunday 25 October 2026: Friday 16:00 CEST (14:00 UTC) to Monday
        # 10:00 CET (09:00 UTC) is Friday 16-17 and Monday 9-10, two hours (a fixed offset would say three).
        ("Europe/Paris", "2026-10-23T14:00", "2026-10-26T09:00", 2 * H),
        # America/New_York enters daylight time on Sunday 8 March 2026: Friday 15:00 EST (20:00 UTC) to Monday
        # 10:30 EDT (14:30 UTC) is Friday 15-17 and Monday 9-10:30, three and a half hours.
        ("America/New_York", "2026-03-06T20:00", "2026-03-09T14:30", 3.5 * H),
        # Asia/Kolkata is UTC+05:30: 03:00-05:00 UTC is 08:30-10:30 there, of which 09:00-10:30 counts.
        ("Asia/Kolkata", "2026-11-02T03:00", "2026-11-02T05:00", 1.5 * H),
        # America/Los_Angeles over a weekend: Friday 15:00 PST to Monday 10:00 PST, two hours and one.
        ("America/Los_Angeles", "2026-11-06T23:00", "2026-11-09T18:00", 3 * H),
        # A whole weekend waits nothing.
        ("America/Los_Angeles", "2026-11-07T17:00", "2026-11-09T08:00", dt.timedelta(0)),
    ],
)
def test_waiting_counts_the_responders_business_hours(
    tz: str, start: str, end: str, expected: dt.timedelta
) -> None:
    assert waiting_time([(utc(start), utc(end))], now=utc(end), tz=zone(tz), hours=DEFAULT_HOURS) == expected


def test_only_the_champions_turns_count_and_an_open_turn_counts_up_to_now() -> None:
    paris = zone("Europe/Paris")
    turns = [
        # Monday 26 October (CET, UTC+1): 09:00-11:00, then the committer's turn until Tuesday 10:00.
        (utc("2026-10-26T08:00"), utc("2026-10-26T10:00")),
        # Back on the champions' turn from Tuesday 10:00, still open at Tuesday 12:00.
        (utc("2026-10-27T09:00"), None),
    ]
    assert waiting_time(turns, now=utc("2026-10-27T11:00"), tz=paris, hours=DEFAULT_HOURS) == 4 * H


def test_the_sla_clock_stops_on_the_committers_turn() -> None:
    new_york = zone("America/New_York")
    asked = utc("2026-10-30T19:00")  # Friday 15:00 EDT
    # One turn from the asking: 4 business hours are Friday 15-17 and Monday 09-11 EST, 16:00 UTC.
    assert turn_time_reached(
        [(asked, None)], since=asked, duration=4 * H, tz=new_york, hours=DEFAULT_HOURS
    ) == utc("2026-11-02T16:00")
    # An hour on the champions' turn, the committer's until Monday 10:00 EST: 3 more hours end 13:00 EST.
    turns = [(asked, utc("2026-10-30T20:00")), (utc("2026-11-02T15:00"), None)]
    assert turn_time_reached(turns, since=asked, duration=4 * H, tz=new_york, hours=DEFAULT_HOURS) == utc(
        "2026-11-02T18:00"
    )
    # While the committer has it, the allowance is not reached at all.
    assert turn_time_reached(turns[:1], since=asked, duration=4 * H, tz=new_york, hours=DEFAULT_HOURS) is None


def test_a_target_in_days_is_in_business_days() -> None:
    assert business_duration(dt.timedelta(days=1), DEFAULT_HOURS) == 8 * H
    assert business_duration(dt.timedelta(days=2, hours=4), DEFAULT_HOURS) == 20 * H
    short = WorkingHours(start=dt.time(10), end=dt.time(16))
    assert business_duration(dt.timedelta(days=1, minutes=30), short) == 6.5 * H
