"""What an operator watches, as data: a histogram's parts, each job's record, and the program's numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Time to first response, in the responder's business hours: the SLA ladder's rungs (30 minutes urgent,
# 4 hours normal), one business day (the response target) and up to a business week.
FIRST_RESPONSE_BUCKETS = (900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 57600.0, 86400.0, 144000.0)
# Areas labelled apart on the time waiting on champions; further areas share the label "other".
MAX_AREA_LABELS = 20
# Escalation acknowledgement, wall-clock: the urgent and normal acknowledgement targets and beyond.
ESCALATION_ACK_BUCKETS = (300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0)
# Outbox: from falling due to sent; Slack answers in well under a second, retries back off up to 30 minutes.
OUTBOX_DELAY_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0)
# Open questions still waiting for a first response, by wall-clock age: the label values of the gauge.
OPEN_QUESTION_AGES: tuple[tuple[str, float], ...] = (
    ("under_4h", 4 * 3600.0),
    ("4h_to_1d", 86400.0),
    ("1d_to_3d", 3 * 86400.0),
    ("over_3d", float("inf")),
)


@dataclass(frozen=True)
class Histogram:
    """A histogram's parts: cumulative counts at each upper bound, the count and the sum."""

    bounds: tuple[float, ...]
    cumulative: tuple[int, ...]
    count: int
    total: float


@dataclass(frozen=True)
class JobRecord:
    """How one job has fared in every process."""

    name: str
    successes: int
    failures: int
    last_success_at: dt.datetime | None
    last_failure_at: dt.datetime | None
    last_seconds: float | None


@dataclass(frozen=True)
class ProgramNumbers:
    """The program's numbers as of one instant, for `/metrics`."""

    first_response: Histogram
    escalation_ack: Histogram
    outbox_delay: Histogram
    open_questions: dict[str, int]
    outbox: dict[str, int]
    oldest_due_seconds: float
    jobs: list[JobRecord] = field(default_factory=list)
    # Each closed champions' turn, in the responder's business hours, by area ("none": routed to no area).
    waiting_on_champions: dict[str, Histogram] = field(default_factory=dict)
