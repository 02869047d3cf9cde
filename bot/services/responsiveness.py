"""Champions' responsiveness by week (a wall-clock first approximation; business time replaces it).

`responsiveness_series` is what the digest's chart and the public page read: the last weeks' questions
asked and answered and the percentiles of time to first response, with the target.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.types.responsiveness import Percentiles, ResponsivenessSeries, WeekResponsiveness
from storage import digest as store


def _span(value: float | None) -> dt.timedelta | None:
    return None if value is None else dt.timedelta(seconds=value)


def responsiveness_series(
    session: Session, *, now: dt.datetime, weeks: int = 12, target: dt.timedelta
) -> ResponsivenessSeries:
    """Return the last `weeks` ISO weeks before `now`'s week (oldest first), with the target."""
    this_monday = now.astimezone(dt.UTC).date() - dt.timedelta(days=now.astimezone(dt.UTC).weekday())
    found = []
    for back in range(weeks, 0, -1):
        start = this_monday - dt.timedelta(weeks=back)
        begin = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
        numbers = store.question_numbers(
            session, start=begin, end=begin + dt.timedelta(weeks=1), percentiles=(0.5, 0.75, 0.9)
        )
        p50, p75, p90 = (_span(value) for value in numbers.percentiles)
        found.append(
            WeekResponsiveness(
                start=start,
                asked=numbers.asked,
                answered=numbers.answered,
                first_response=Percentiles(p50, p75, p90, count=numbers.answered),
            )
        )
    return ResponsivenessSeries(weeks=found, target=target)
