"""Working-time arithmetic: adding N business hours in a person's time zone, across weekends and DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.types.policy import WorkingHours

MAX_DAYS = 3660


def zone(name: str | None) -> ZoneInfo:
    """Return the time zone called `name`, or UTC when it is unset or unknown."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _window(day: dt.date, hours: WorkingHours, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    # Local wall-clock times, converted to UTC so a DST change inside a day counts real time.
    start = dt.datetime.combine(day, hours.start, tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day, hours.end, tzinfo=tz).astimezone(dt.UTC)
    return start, end


def add_working_time(
    start: dt.datetime, duration: dt.timedelta, *, tz: ZoneInfo, hours: WorkingHours
) -> dt.datetime:
    """Return the UTC instant when `duration` of working time has passed after `start`."""
    if not hours.weekdays:
        raise ValueError("no working days configured")
    cursor = start.astimezone(dt.UTC)
    remaining = duration
    day = cursor.astimezone(tz).date()
    for _ in range(MAX_DAYS):
        if day.weekday() in hours.weekdays:
            window_start, window_end = _window(day, hours, tz)
            begin = max(cursor, window_start)
            if begin < window_end:
                available = window_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += dt.timedelta(days=1)
    raise ValueError("working time does not end within ten years")


def working_time_between(
    start: dt.datetime, end: dt.datetime, *, tz: ZoneInfo, hours: WorkingHours
) -> dt.timedelta:
    """Return how much working time lies between two instants (zero when `end` is not after `start`)."""
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    total = dt.timedelta(0)
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        if day.weekday() in hours.weekdays:
            window_start, window_end = _window(day, hours, tz)
            begin, finish = max(start, window_start), min(end, window_end)
            if begin < finish:
                total += finish - begin
        day += dt.timedelta(days=1)
    return total
