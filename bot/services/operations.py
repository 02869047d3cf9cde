"""What an operator watches: each job's runs recorded where every process can report them, and the program's
numbers (time to first response in business hours, escalation acknowledgement, outbox delay and depth, open
questions by age) read from the database at scrape time, so any process's `/metrics` tells the same."""

from __future__ import annotations

import bisect
import datetime as dt

from sqlmodel import Session

from bot.services.business_hours import business_clock, working_time_between, zone
from bot.services.outbox import outbox_counts
from bot.services.responsiveness import measure
from bot.types.operations import (
    ESCALATION_ACK_BUCKETS,
    FIRST_RESPONSE_BUCKETS,
    MAX_AREA_LABELS,
    OPEN_QUESTION_AGES,
    OUTBOX_DELAY_BUCKETS,
    Histogram,
    JobRecord,
    ProgramNumbers,
)
from bot.types.policy import WorkingHours
from storage import operations as store


def record_job_run(session: Session, name: str, *, started_at: dt.datetime, ok: bool, seconds: float) -> None:
    """Count one run of a job, and commit it (apart from the job's own work, which may have been rolled back)."""
    store.record_job_run(session, name, started_at=started_at, ok=ok, seconds=seconds)
    session.commit()


def _histogram(bounds: tuple[float, ...], values: list[float]) -> Histogram:
    ordered = sorted(values)
    cumulative = tuple(bisect.bisect_right(ordered, bound) for bound in bounds)
    return Histogram(bounds, cumulative, len(ordered), float(sum(ordered)))


def _counted(bounds: tuple[float, ...], parts: tuple[list[int], int, float]) -> Histogram:
    cumulative, count, total = parts
    return Histogram(bounds, tuple(cumulative), count, total)


def program_numbers(session: Session, *, now: dt.datetime, hours: WorkingHours) -> ProgramNumbers:
    """Return the program's numbers as of `now`; business hours are each first responder's (UTC when unknown)."""
    first_responses = [
        working_time_between(asked, answered, tz=zone(tz), hours=hours).total_seconds()
        for asked, answered, tz in store.list_first_responses(session)
    ]
    ages = {label: 0 for label, _ in OPEN_QUESTION_AGES}
    for asked in store.open_question_times(session):
        age = (now - asked).total_seconds()
        label = next(label for label, upper in OPEN_QUESTION_AGES if age < upper)
        ages[label] += 1
    oldest = store.oldest_due_message(session, now=now)
    jobs = [
        JobRecord(r.name, r.successes, r.failures, r.last_success_at, r.last_failure_at, r.last_seconds)
        for r in store.list_job_runs(session)
    ]
    return ProgramNumbers(
        first_response=_histogram(FIRST_RESPONSE_BUCKETS, first_responses),
        escalation_ack=_counted(
            ESCALATION_ACK_BUCKETS, store.escalation_ack_buckets(session, ESCALATION_ACK_BUCKETS)
        ),
        outbox_delay=_counted(
            OUTBOX_DELAY_BUCKETS, store.outbox_delay_buckets(session, OUTBOX_DELAY_BUCKETS)
        ),
        open_questions=ages,
        outbox=outbox_counts(session),
        oldest_due_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        jobs=jobs,
        waiting_on_champions=waiting_by_area(session, hours=hours),
    )


def waiting_by_area(session: Session, *, hours: WorkingHours) -> dict[str, Histogram]:
    """Return the business time of every closed champions' turn, by the question's area (a turn still open is
    counted once it closes, so the histogram only grows). Areas past MAX_AREA_LABELS share the label "other"."""
    observed: dict[str, list[float]] = {}
    for item in measure(session):
        clock = business_clock(item.zone(), hours)
        values = [
            clock.between(start, end).total_seconds() for start, end in item.intervals if end is not None
        ]
        if not values:
            continue
        label = item.row.area or "none"
        if label not in observed and len(observed) >= MAX_AREA_LABELS:
            label = "other"
        observed.setdefault(label, []).extend(values)
    return {label: _histogram(FIRST_RESPONSE_BUCKETS, values) for label, values in sorted(observed.items())}
