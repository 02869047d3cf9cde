"""Working-time arithmetic: adding N business hours in a person's time zone, across weekends and DST."""

from __future__ import annotations

import datetime as dt
import functools
import threading
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


class BusinessClock:
    """Working time in one time zone with each day's window computed once: `elapsed(at)` is the working time
    from the start of the first day it has seen to `at`, so the working time between two instants is a
    difference of two lookups (what `working_time_between` says, without walking the days again)."""

    def __init__(self, tz: ZoneInfo, hours: WorkingHours) -> None:
        self.tz, self.hours = tz, hours
        self._first: dt.date | None = None
        self._starts: list[dt.datetime] = []
        self._ends: list[dt.datetime] = []
        # Working time before each day's window, from the first day.
        self._before: list[dt.timedelta] = []
        self._lock = threading.Lock()

    def _build(self, first: dt.date, last: dt.date) -> None:
        self._first, self._starts, self._ends, self._before = first, [], [], []
        total = dt.timedelta(0)
        day = first
        while day <= last:
            if day.weekday() in self.hours.weekdays:
                start, end = _window(day, self.hours, self.tz)
                end = max(start, end)
            else:
                start = end = dt.datetime.combine(day, dt.time(), tzinfo=self.tz).astimezone(dt.UTC)
            self._starts.append(start)
            self._ends.append(end)
            self._before.append(total)
            total += end - start
            day += dt.timedelta(days=1)

    def _cover(self, day: dt.date) -> None:
        if self._first is None or day < self._first:
            last = self._first + dt.timedelta(days=len(self._starts) - 1) if self._first else day
            self._build(day - dt.timedelta(days=7), max(last, day))
        elif day >= self._first + dt.timedelta(days=len(self._starts)):
            self._build(self._first, day + dt.timedelta(days=31))

    def _elapsed(self, at: dt.datetime, day: dt.date) -> dt.timedelta:
        assert self._first is not None
        index = (day - self._first).days
        start, end = self._starts[index], self._ends[index]
        return self._before[index] + min(max(at - start, dt.timedelta(0)), end - start)

    def elapsed(self, at: dt.datetime) -> dt.timedelta:
        """Return the working time from the first day this clock covers to `at` (the first day moves back when
        an earlier instant is asked for: compare only instants looked up together, as `between` does)."""
        day = at.astimezone(self.tz).date()
        with self._lock:
            self._cover(day)
            return self._elapsed(at, day)

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Return the working time between two instants (zero when `end` is not after `start`)."""
        if end <= start:
            return dt.timedelta(0)
        first, last = start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
        with self._lock:
            self._cover(first)
            self._cover(last)
            return self._elapsed(end, last) - self._elapsed(start, first)


@functools.lru_cache(maxsize=256)
def business_clock(tz: ZoneInfo, hours: WorkingHours) -> BusinessClock:
    """Return the shared clock of one time zone and working hours."""
    return BusinessClock(tz, hours)
