"""Prometheus metrics: requests and ack latency by surface and Slack API calls, counted in each process; and the
program's numbers (first response, escalation acknowledgement, the outbox, open questions, each job's runs) read
from the database at scrape time, so every process reports them, whichever ran the job."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.types import operations as numbers_types
from bot.types.operations import JobRecord, ProgramNumbers

logger = logging.getLogger(__name__)

# Registered into each server's registry (not the process-wide default), so tests can build many servers.
REQUESTS = Counter(
    "ccbot_requests", "Requests handled, by Slack surface or hook", ["surface", "status"], registry=None
)
ACK_SECONDS = Histogram(
    "ccbot_ack_seconds",
    "Seconds from receiving a request to answering it (Slack's limit is 3)",
    ["surface"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
    registry=None,
)
SLACK_CALLS = Counter("ccbot_slack_api_calls", "Slack Web API calls, by method", ["method"], registry=None)
SLACK_ERRORS = Counter(
    "ccbot_slack_api_errors", "Slack Web API errors, by method and error", ["method", "error"], registry=None
)
SLACK_SECONDS = Histogram(
    "ccbot_slack_api_seconds", "Slack Web API call duration, retries included", ["method"], registry=None
)
PROCESS_METRICS = (REQUESTS, ACK_SECONDS, SLACK_CALLS, SLACK_ERRORS, SLACK_SECONDS)
# A scrape reads the database at most this often; scrapes in between get the same numbers.
NUMBERS_TTL_SECONDS = 15.0


def surface_of(body: dict[str, Any]) -> str:
    """Name the Slack surface a request came through: a command, an interaction type, or an event type."""
    if body.get("command"):
        return f"command:{body['command']}"
    kind = str(body.get("type") or "unknown")
    if kind == "event_callback":
        return f"event:{(body.get('event') or {}).get('type', 'unknown')}"
    return kind


class ProgramCollector(Collector):
    """Reports the program's numbers at scrape time (cached for NUMBERS_TTL_SECONDS); `ccbot_database_up` says
    whether they could be read."""

    def __init__(self, numbers: Callable[[], ProgramNumbers]) -> None:
        self.numbers = numbers
        self._cached: tuple[float, ProgramNumbers | None] | None = None
        self._lock = threading.Lock()

    def _read(self) -> ProgramNumbers | None:
        with self._lock:
            if self._cached is not None and time.monotonic() - self._cached[0] < NUMBERS_TTL_SECONDS:
                return self._cached[1]
            try:
                numbers: ProgramNumbers | None = self.numbers()
            except (
                Exception
            ):  # a scrape must not fail because the database is down; ccbot_database_up says so
                logger.warning("metrics: the database could not be read", exc_info=True)
                numbers = None
            self._cached = (time.monotonic(), numbers)
            return numbers

    def collect(self) -> Iterator[Metric]:
        """Yield the program's metric families."""
        numbers = self._read()
        yield GaugeMetricFamily(
            "ccbot_database_up",
            "Whether the program's numbers could be read from the database",
            value=int(bool(numbers)),
        )
        if numbers is None:
            return
        yield _histogram(
            "ccbot_first_response_business_seconds",
            "Time to a question's first response, in the responder's business hours",
            numbers.first_response,
        )
        waiting = HistogramMetricFamily(
            "ccbot_waiting_on_champions_business_seconds",
            "Time a question waited on the champions, per closed turn, in the responder's business hours, by area",
            labels=["area"],
        )
        for area, histogram in numbers.waiting_on_champions.items():
            waiting.add_metric([area], _buckets(histogram), sum_value=histogram.total)
        yield waiting
        yield _histogram(
            "ccbot_escalation_ack_seconds",
            "Time from an escalation to its acknowledgement",
            numbers.escalation_ack,
        )
        yield _histogram(
            "ccbot_outbox_delay_seconds",
            "Time from a message falling due to Slack accepting it",
            numbers.outbox_delay,
        )
        open_questions = GaugeMetricFamily(
            "ccbot_open_questions", "Questions waiting for a first response, by age", labels=["age"]
        )
        for age, count in numbers.open_questions.items():
            open_questions.add_metric([age], count)
        yield open_questions
        outbox = GaugeMetricFamily(
            "ccbot_outbox_messages", "Messages in the outbox, by status", labels=["status"]
        )
        for status, count in numbers.outbox.items():
            outbox.add_metric([status], count)
        yield outbox
        yield GaugeMetricFamily(
            "ccbot_outbox_oldest_due_seconds",
            "Age of the oldest message that is due and not yet sent (0 when none)",
            value=numbers.oldest_due_seconds,
        )
        yield from _job_families(numbers.jobs)


def _buckets(histogram: numbers_types.Histogram) -> list[tuple[str, float]]:
    buckets: list[tuple[str, float]] = [
        (_le(bound), count) for bound, count in zip(histogram.bounds, histogram.cumulative, strict=True)
    ]
    buckets.append(("+Inf", histogram.count))
    return buckets


def _histogram(name: str, documentation: str, histogram: numbers_types.Histogram) -> HistogramMetricFamily:
    return HistogramMetricFamily(name, documentation, buckets=_buckets(histogram), sum_value=histogram.total)


def _le(bound: float) -> str:
    return str(float(bound))


def _job_families(jobs: list[JobRecord]) -> Iterator[Metric]:
    runs = CounterMetricFamily("ccbot_job_runs", "Scheduled job runs, by outcome", labels=["job", "outcome"])
    success = GaugeMetricFamily(
        "ccbot_job_last_success_timestamp_seconds", "When each job last succeeded (Unix time)", labels=["job"]
    )
    failure = GaugeMetricFamily(
        "ccbot_job_last_failure_timestamp_seconds", "When each job last failed (Unix time)", labels=["job"]
    )
    took = GaugeMetricFamily(
        "ccbot_job_last_run_seconds", "How long each job's latest run took", labels=["job"]
    )
    for job in jobs:
        runs.add_metric([job.name, "ok"], job.successes)
        runs.add_metric([job.name, "failed"], job.failures)
        if job.last_success_at is not None:
            success.add_metric([job.name], job.last_success_at.timestamp())
        if job.last_failure_at is not None:
            failure.add_metric([job.name], job.last_failure_at.timestamp())
        if job.last_seconds is not None:
            took.add_metric([job.name], job.last_seconds)
    yield from (runs, success, failure, took)


def make_registry(numbers: Callable[[], ProgramNumbers] | None = None) -> CollectorRegistry:
    """Return a registry with the process metrics and, when given, the program's numbers."""
    registry = CollectorRegistry()
    for metric in PROCESS_METRICS:
        registry.register(metric)
    if numbers is not None:
        registry.register(ProgramCollector(numbers))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """Return the registry in Prometheus' text format."""
    return generate_latest(registry)
