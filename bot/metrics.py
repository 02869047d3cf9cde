"""Prometheus metrics: requests and ack latency by surface, Slack API calls and errors, jobs, the outbox."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

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
JOB_RUNS = Counter("ccbot_job_runs", "Scheduled job runs, by outcome", ["job", "outcome"], registry=None)
JOB_SECONDS = Histogram(
    "ccbot_job_seconds",
    "Scheduled job duration",
    ["job"],
    buckets=(0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300),
    registry=None,
)
PROCESS_METRICS = (REQUESTS, ACK_SECONDS, SLACK_CALLS, SLACK_ERRORS, SLACK_SECONDS, JOB_RUNS, JOB_SECONDS)


def surface_of(body: dict[str, Any]) -> str:
    """Name the Slack surface a request came through: a command, an interaction type, or an event type."""
    if body.get("command"):
        return f"command:{body['command']}"
    kind = str(body.get("type") or "unknown")
    if kind == "event_callback":
        return f"event:{(body.get('event') or {}).get('type', 'unknown')}"
    return kind


class OutboxCollector(Collector):
    """Reports the outbox's pending, sending, sent and failed counts at scrape time."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the outbox gauge."""
        family = GaugeMetricFamily(
            "ccbot_outbox_messages", "Messages in the outbox, by status", labels=["status"]
        )
        try:
            counts = self.counts()
        except Exception:  # a scrape must not fail because the database is down; /healthz reports that
            counts = {}
        for status, count in counts.items():
            family.add_metric([status], count)
        yield family


def make_registry(outbox_counts: Callable[[], dict[str, int]] | None = None) -> CollectorRegistry:
    """Return a registry with the process metrics and, when given, the outbox gauge."""
    registry = CollectorRegistry()
    for metric in PROCESS_METRICS:
        registry.register(metric)
    if outbox_counts is not None:
        registry.register(OutboxCollector(outbox_counts))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """Return the registry in Prometheus' text format."""
    return generate_latest(registry)


@contextmanager
def timed_job(name: str) -> Iterator[None]:
    """Count and time one job run, recording whether it failed."""
    started = time.monotonic()
    try:
        yield
    except BaseException:
        JOB_RUNS.labels(name, "failed").inc()
        raise
    else:
        JOB_RUNS.labels(name, "ok").inc()
    finally:
        JOB_SECONDS.labels(name).observe(time.monotonic() - started)
