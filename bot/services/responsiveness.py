"""Champions' responsiveness as a measured product: whose turn a question is on, and the weekly numbers.

A question is on the champions' turn from its asking until a responder (someone it was routed to, its
claimant, or a champion, manager, admin or owner) replies in its thread, marks it answered or presses
*Waiting on the committer*: then it is on the committer's turn, until the asker replies in the thread, which
puts it back on the champions'. Every turn is kept (`question_turn`), so the time on each is measurable.

Times are business time (the program's working days and hours) in a responder's time zone:

- a question's own numbers (overall and per area) in its responder's zone: the first responder's, else the
  claimant's, else the first person it was routed to; UTC when none is known (as `/metrics` always did);
- a champion's numbers over the questions routed to or claimed by them, in that champion's zone.

Time to first response runs from the asking to the first reply of anyone on the roster but the asker (or Mark
answered, or *Waiting on the committer*). Time waiting on champions is the sum of a question's champions'
turns, a turn still open counted up to the moment of measuring.

Percentiles are nearest-rank: of n values in ascending order, the p-th percentile is the value at rank
ceil(p * n). No interpolation: every percentile shown is a time some question actually took.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.services.business_hours import add_working_time, business_clock, working_time_between, zone
from bot.types.policy import DEFAULT_HOURS, WorkingHours
from bot.types.responsiveness import (
    AreaWeek,
    ChampionWeek,
    NudgeReport,
    Percentiles,
    ResponsivenessSeries,
    WeekResponsiveness,
)
from storage import responsiveness as store
from storage import roster as roster_store
from storage.models import Person, Question, QuestionState, QuestionTurn, Turn, TurnCause
from storage.responsiveness import MeasuredRow

WEEK = dt.timedelta(days=7)
SHARES = (0.5, 0.75, 0.9)
# A champion's turn: from when, until when (None: still running).
Interval = tuple[dt.datetime, dt.datetime | None]


# -- percentiles -------------------------------------------------------------------------------------------


def nearest_rank(values: Sequence[dt.timedelta], share: float) -> dt.timedelta | None:
    """Return the nearest-rank percentile `share` (0.75 for the 75th) of `values`: the value at rank
    ceil(share * n) in ascending order (the least value with at least that share of values at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    # Exact arithmetic: 0.9 * 10 is rank 9, never 10 by a float's rounding.
    rank = max(1, math.ceil(Fraction(str(share)) * len(ordered)))
    return ordered[rank - 1]


def percentiles(values: Sequence[dt.timedelta]) -> Percentiles:
    """Return the nearest-rank 50th, 75th and 90th percentiles of `values`, with their count."""
    p50, p75, p90 = (nearest_rank(values, share) for share in SHARES)
    return Percentiles(p50=p50, p75=p75, p90=p90, count=len(values))


def working_day(hours: WorkingHours) -> dt.timedelta:
    """Return the length of one business day (CCBOT_WORKING_HOURS)."""
    day = dt.date(2000, 1, 3)
    return dt.datetime.combine(day, hours.end) - dt.datetime.combine(day, hours.start)


def business_duration(value: dt.timedelta, hours: WorkingHours) -> dt.timedelta:
    """Return a setting's duration in business time: each whole day of `value` is one business day."""
    return value.days * working_day(hours) + dt.timedelta(seconds=value.seconds)


# -- turns -------------------------------------------------------------------------------------------------


def legacy_intervals(
    *,
    asked_at: dt.datetime,
    first_response_at: dt.datetime | None,
    answered_at: dt.datetime | None,
    state: QuestionState,
) -> list[Interval]:
    """Return the champions' turn of a question asked before turns were kept: from asking to first response."""
    end = first_response_at or answered_at
    if end is None and state == QuestionState.ANSWERED:
        end = asked_at
    return [(asked_at, end)]


def champion_intervals(turns: Sequence[QuestionTurn], legacy: list[Interval]) -> list[Interval]:
    """Return a question's champions' turns, in order, from its turn rows (or `legacy` when it has none)."""
    if not turns:
        return legacy
    return [(t.started_at, t.ended_at) for t in turns if t.turn == Turn.CHAMPIONS]


def question_intervals(session: Session, question: Question) -> list[Interval]:
    """Return a question's champions' turns, in order."""
    assert question.id is not None
    turns = store.list_turns(session, [question.id]).get(question.id, [])
    return champion_intervals(turns, _legacy(question))


def intervals_of(session: Session, questions: Sequence[Question]) -> list[list[Interval]]:
    """Return the champions' turns of each of these questions, in one read."""
    turns = store.list_turns(session, [q.id for q in questions if q.id is not None])
    return [champion_intervals(turns.get(q.id or 0, []), _legacy(q)) for q in questions]


def _legacy(question: Question) -> list[Interval]:
    return legacy_intervals(
        asked_at=question.asked_at,
        first_response_at=question.first_response_at,
        answered_at=question.answered_at,
        state=question.state,
    )


def take_turn(
    session: Session, question: Question, turn: Turn, *, at: dt.datetime, cause: TurnCause, by: int | None
) -> bool:
    """Put a question on `turn` from `at` (in the caller's transaction); False when it already was."""
    assert question.id is not None
    current = store.open_turn(session, question.id) or _keep_legacy_turns(session, question)
    if current is not None and current.turn == turn:
        question.turn = turn
        return False
    if current is not None:
        current.ended_at = max(at, current.started_at)
        session.add(current)
    store.add_turn(
        session, QuestionTurn(question_id=question.id, turn=turn, started_at=at, cause=cause, by_person_id=by)
    )
    question.turn = turn
    session.add(question)
    return True


def start_turns(session: Session, question: Question) -> None:
    """Put a new question on the champions' turn from its asking."""
    assert question.id is not None
    store.add_turn(
        session,
        QuestionTurn(
            question_id=question.id,
            turn=Turn.CHAMPIONS,
            started_at=question.asked_at,
            cause=TurnCause.ASKED,
            by_person_id=question.committer_id,
        ),
    )


def _keep_legacy_turns(session: Session, question: Question) -> QuestionTurn | None:
    """Write the turns of a question asked before turns were kept, as read from it; return the open one."""
    assert question.id is not None
    if store.list_turns(session, [question.id]):
        return None
    (start, end), *_ = _legacy(question)
    opened = store.add_turn(
        session,
        QuestionTurn(
            question_id=question.id,
            turn=Turn.CHAMPIONS,
            started_at=start,
            ended_at=end,
            cause=TurnCause.ASKED,
        ),
    )
    if end is None:
        return opened
    return store.add_turn(
        session,
        QuestionTurn(
            question_id=question.id,
            turn=Turn.COMMITTER,
            started_at=end,
            cause=TurnCause.ANSWERED if question.first_response_at is None else TurnCause.REPLY,
            by_person_id=question.first_responder_id,
        ),
    )


def turn_time_reached(
    intervals: Sequence[Interval],
    *,
    since: dt.datetime,
    duration: dt.timedelta,
    tz: ZoneInfo,
    hours: WorkingHours,
) -> dt.datetime | None:
    """Return the instant when `duration` of business time on the champions' turns has passed after `since`;
    None when the turns so far end before that (the question is on the committer's turn)."""
    remaining = duration
    for start, end in intervals:
        if end is not None and end <= since:
            continue
        begin = max(start, since)
        if end is None:
            return add_working_time(begin, remaining, tz=tz, hours=hours)
        available = working_time_between(begin, end, tz=tz, hours=hours)
        if remaining <= available:
            return add_working_time(begin, remaining, tz=tz, hours=hours)
        remaining -= available
    return None


def waiting_time(
    intervals: Iterable[Interval], *, now: dt.datetime, tz: ZoneInfo, hours: WorkingHours
) -> dt.timedelta:
    """Return the business time of the champions' turns, a running one counted up to `now`."""
    clock = business_clock(tz, hours)
    return sum((clock.between(start, end or now) for start, end in intervals), dt.timedelta(0))


# -- measuring ---------------------------------------------------------------------------------------------


@dataclass
class Measured:
    """A question with what measuring it needs: its row, the people it was routed to, its champions' turns."""

    row: MeasuredRow
    routed: list[Person]
    claimant: Person | None
    intervals: list[Interval]
    nudges: list[dt.datetime] = field(default_factory=list)

    @property
    def champions(self) -> list[Person]:
        """The people answerable for it: those it was routed to and its claimant."""
        people = list(self.routed)
        if self.claimant is not None and all(p.id != self.claimant.id for p in people):
            people.append(self.claimant)
        return people

    def zone(self) -> ZoneInfo:
        """Its responder's time zone: the first responder's, else the claimant's, else the first routed one's."""
        if self.row.first_responder_id is not None:
            return zone(self.row.first_responder_timezone)
        if self.claimant is not None:
            return zone(self.claimant.timezone)
        return zone(self.routed[0].timezone) if self.routed else zone(None)


def measure(
    session: Session, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[Measured]:
    """Return the questions asked in [start, end) (all without bounds) with their turns, routes and nudges."""
    rows = store.list_measured(session, start=start, end=end)
    ids = [row.id for row in rows]
    turns = store.list_turns(session, ids)
    routed = store.list_responders_of(session, ids)
    nudges = store.list_nudge_times(session, ids)
    claimants = roster_store.list_people_by_ids(
        session, [row.claimed_by_id for row in rows if row.claimed_by_id]
    )
    return [
        Measured(
            row=row,
            routed=routed.get(row.id, []),
            claimant=claimants.get(row.claimed_by_id) if row.claimed_by_id else None,
            intervals=champion_intervals(
                turns.get(row.id, []),
                legacy_intervals(
                    asked_at=row.asked_at,
                    first_response_at=row.first_response_at,
                    answered_at=row.answered_at,
                    state=row.state,
                ),
            ),
            nudges=nudges.get(row.id, []),
        )
        for row in rows
    ]


def _first_response(item: Measured, tz: ZoneInfo, hours: WorkingHours) -> dt.timedelta | None:
    if item.row.first_response_at is None:
        return None
    return business_clock(tz, hours).between(item.row.asked_at, item.row.first_response_at)


def _numbers(
    items: Sequence[Measured],
    *,
    now: dt.datetime,
    hours: WorkingHours,
    tz: ZoneInfo | None = None,
    memo: dict[tuple[int, str], tuple[dt.timedelta | None, dt.timedelta]] | None = None,
) -> tuple[Percentiles, Percentiles]:
    """Return (first response, waiting on champions) of these questions, each in `tz` or its responder's zone
    (`memo` keeps each question's pair by zone, for the breakdowns that measure it again)."""
    first: list[dt.timedelta] = []
    waiting: list[dt.timedelta] = []
    memo = {} if memo is None else memo
    for item in items:
        zone_of = tz or item.zone()
        key = (item.row.id, zone_of.key)
        if key not in memo:
            memo[key] = (
                _first_response(item, zone_of, hours),
                waiting_time(item.intervals, now=now, tz=zone_of, hours=hours),
            )
        took, waited = memo[key]
        if took is not None:
            first.append(took)
        waiting.append(waited)
    return percentiles(first), percentiles(waiting)


def week_numbers(
    items: Sequence[Measured], *, start: dt.date, answered: int, now: dt.datetime, hours: WorkingHours
) -> WeekResponsiveness:
    """Return one week's numbers from the questions asked in it: overall, per champion and per area."""
    memo: dict[tuple[int, str], tuple[dt.timedelta | None, dt.timedelta]] = {}
    first, waiting = _numbers(items, now=now, hours=hours, memo=memo)
    by_person: dict[int, list[Measured]] = defaultdict(list)
    people: dict[int, Person] = {}
    by_area: dict[str, list[Measured]] = defaultdict(list)
    for item in items:
        for person in item.champions:
            assert person.id is not None
            by_person[person.id].append(item)
            people[person.id] = person
        by_area[item.row.area or ""].append(item)
    champions = []
    for person_id, questions in by_person.items():
        person = people[person_id]
        p_first, p_waiting = _numbers(questions, now=now, hours=hours, tz=zone(person.timezone), memo=memo)
        champions.append(ChampionWeek(person, p_first, p_waiting))
    champions.sort(key=lambda c: (-c.waiting_on_champions.count, c.person.github_key or c.person.github))
    areas = [
        AreaWeek(area, *_numbers(questions, now=now, hours=hours, memo=memo))
        for area, questions in sorted(by_area.items())
    ]
    return WeekResponsiveness(
        start=start,
        asked=len(items),
        answered=answered,
        first_response=first,
        waiting_on_champions=waiting,
        by_champion=champions,
        by_area=areas if any(area for area, _ in by_area.items()) else [],
    )


def window_numbers(
    session: Session,
    *,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    hours: WorkingHours = DEFAULT_HOURS,
) -> WeekResponsiveness:
    """Return the numbers of the questions asked in [start, end) (the digest's seven days)."""
    answered = len(store.list_answered_times(session, start=start, end=end))
    return week_numbers(
        measure(session, start=start, end=end), start=start.date(), answered=answered, now=now, hours=hours
    )


def responsiveness_series(
    session: Session,
    *,
    now: dt.datetime,
    weeks: int = 12,
    target: dt.timedelta,
    hours: WorkingHours = DEFAULT_HOURS,
) -> ResponsivenessSeries:
    """Return the last `weeks` complete ISO weeks (Monday 00:00 UTC to Monday), oldest first, before the week
    of `now`: each week's questions asked in it, answered in it, and their percentiles (turns still open
    counted up to `now`). `target` is the target for the 75th percentile of first response, in business time."""
    monday = now.astimezone(dt.UTC).date()
    monday -= dt.timedelta(days=monday.weekday())
    end = dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC)
    start = end - weeks * WEEK
    items = measure(session, start=start, end=end)
    answered_at = store.list_answered_times(session, start=start, end=end)
    series = []
    for index in range(weeks):
        week_start = start + index * WEEK
        week_end = week_start + WEEK
        asked = [item for item in items if week_start <= item.row.asked_at < week_end]
        answered = sum(1 for at in answered_at if week_start <= at < week_end)
        series.append(week_numbers(asked, start=week_start.date(), answered=answered, now=now, hours=hours))
    return ResponsivenessSeries(weeks=series, target=target)


def nudge_report(
    session: Session,
    *,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    hours: WorkingHours = DEFAULT_HOURS,
    items: Sequence[Measured] | None = None,
) -> NudgeReport:
    """Return how the nudges of [start, end) fared: sent, skipped, rated, rated helpful; and, of the questions
    asked then that had a first response, the time from the last nudge before it to it (nudged questions)
    against the time to first response (questions answered without a nudge), in the responder's hours."""
    sent, skipped, rated, helpful = store.nudge_counts(session, start=start, end=end)
    after: list[dt.timedelta] = []
    without: list[dt.timedelta] = []
    for item in measure(session, start=start, end=end) if items is None else items:
        responded = item.row.first_response_at
        if responded is None:
            continue
        before = [at for at in item.nudges if at <= responded]
        tz = item.zone()
        clock = business_clock(tz, hours)
        if before:
            after.append(clock.between(before[-1], responded))
        else:
            without.append(clock.between(item.row.asked_at, responded))
    return NudgeReport(
        sent=sent,
        skipped=skipped,
        rated=rated,
        helpful=helpful,
        after_nudge=percentiles(after),
        without_nudge=percentiles(without),
    )
