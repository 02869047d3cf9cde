"""The program's numbers on /metrics: SLA-aligned histograms, gauges an alert can use, each job's record read
from the database (so a process that never ran a job reports it), and a dashboard and alert rules that query
only what /metrics exposes."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session

from bot import metrics
from bot.server import _program_numbers
from bot.services.operations import program_numbers, record_job_run
from bot.services.policy import DEFAULT_HOURS
from storage.db import make_engine, make_session_factory
from tests.conftest import NOW, RunningBot, wait_until
from tests.flows import ask, escalate, person

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "deploy" / "grafana" / "ccbot-dashboard.json"
ALERTS = ROOT / "deploy" / "prometheus" / "ccbot-alerts.yml"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _scrape(session: Session, now: dt.datetime = NOW) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = metrics.make_registry(lambda: program_numbers(session, now=now, hours=DEFAULT_HOURS))
    return _samples(metrics.render(registry).decode())


def test_first_response_is_measured_in_business_hours_and_escalations_and_the_outbox_in_seconds(
    pilot_session: Session,
) -> None:
    session = pilot_session
    champion = person(session, "jbowman")
    # Asked Thursday 15:00 UTC, answered Friday 10:00 UTC by a champion in New York: 10:00 to 17:00 of his
    # Thursday count, Friday 05:00 is before his day starts: seven business hours, not nineteen.
    overnight = ask(session, "ziafazal", now=NOW).question
    overnight.first_response_at, overnight.first_responder_id = NOW + dt.timedelta(hours=19), champion.id
    quick = ask(session, "ziafazal", now=NOW, pr="https://github.com/openedx/edx-platform/pull/4243").question
    quick.first_response_at, quick.first_responder_id = NOW + dt.timedelta(minutes=20), champion.id
    waiting = ask(
        session, "ziafazal", now=NOW, pr="https://github.com/openedx/edx-platform/pull/4244"
    ).question
    waiting.asked_at = NOW - dt.timedelta(days=2)
    escalation = escalate(session, "ziafazal", now=NOW).escalation
    escalation.acknowledged_at = NOW + dt.timedelta(minutes=10)
    session.add_all([overnight, quick, waiting, escalation])
    session.commit()

    found = _scrape(session, NOW + dt.timedelta(hours=1))
    first = "ccbot_first_response_business_seconds"
    assert found[(f"{first}_bucket", (("le", "1800.0"),))] == 1  # the 20 minutes
    assert found[(f"{first}_bucket", (("le", "7200.0"),))] == 1
    assert found[(f"{first}_bucket", (("le", "14400.0"),))] == 1
    assert found[(f"{first}_bucket", (("le", "28800.0"),))] == 2
    assert found[(f"{first}_count", ())] == 2
    assert found[(f"{first}_sum", ())] == 1200 + 7 * 3600
    assert found[("ccbot_escalation_ack_seconds_bucket", (("le", "300.0"),))] == 0
    assert found[("ccbot_escalation_ack_seconds_bucket", (("le", "900.0"),))] == 1
    assert found[("ccbot_open_questions", (("age", "1d_to_3d"),))] == 1
    assert found[("ccbot_open_questions", (("age", "under_4h"),))] == 0
    sent = found[("ccbot_outbox_messages", (("status", "sent"),))]
    assert sent >= 4
    assert found[("ccbot_outbox_delay_seconds_bucket", (("le", "1.0"),))] == sent
    assert found[("ccbot_outbox_oldest_due_seconds", ())] == 0
    assert found[("ccbot_database_up", ())] == 1


def test_the_oldest_due_message_counts_from_when_it_fell_due_and_held_ones_do_not_count(
    pilot_session: Session,
) -> None:
    session = pilot_session
    from bot.services.outbox import commit, dm  # the outbox as a feature would queue a DM

    zia = person(session, "ziafazal")
    commit(session, [dm("test", ["due"], zia.slack_user_id, "due now")], now=NOW)
    later = dm("test", ["held"], zia.slack_user_id, "held")
    assert later is not None
    commit(
        session, [later.__class__(**{**later.__dict__, "not_before": NOW + dt.timedelta(days=1)})], now=NOW
    )
    found = _scrape(session, NOW + dt.timedelta(minutes=20))
    assert found[("ccbot_outbox_oldest_due_seconds", ())] == 20 * 60
    assert found[("ccbot_outbox_messages", (("status", "pending"),))] == 2


def test_a_job_run_in_one_process_is_on_every_process_metrics(pilot_session: Session, db_url: str) -> None:
    session = pilot_session
    record_job_run(session, "outbox_delivery", started_at=NOW, ok=True, seconds=0.25)
    record_job_run(session, "outbox_delivery", started_at=NOW + dt.timedelta(minutes=1), ok=True, seconds=0.5)
    record_job_run(session, "weekly_digest", started_at=NOW, ok=False, seconds=2.0)
    # Another process: its own engine and registry, no job ever run in it.
    other = make_engine(db_url)
    try:
        registry = metrics.make_registry(lambda: _program_numbers(other, DEFAULT_HOURS))
        found = _samples(metrics.render(registry).decode())
    finally:
        other.dispose()
    job = (("job", "outbox_delivery"),)
    assert found[("ccbot_job_runs_total", (*job, ("outcome", "ok")))] == 2
    assert found[("ccbot_job_runs_total", (*job, ("outcome", "failed")))] == 0
    assert (
        found[("ccbot_job_last_success_timestamp_seconds", job)]
        == (NOW + dt.timedelta(minutes=1)).timestamp()
    )
    assert found[("ccbot_job_last_run_seconds", job)] == 0.5
    assert found[("ccbot_job_runs_total", (("job", "weekly_digest"), ("outcome", "failed")))] == 1
    assert found[("ccbot_job_last_failure_timestamp_seconds", (("job", "weekly_digest"),))] == NOW.timestamp()
    assert ("ccbot_job_last_success_timestamp_seconds", (("job", "weekly_digest"),)) not in found


def test_a_failed_job_run_is_counted_and_its_work_rolled_back(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.jobs import registry

    def broken(ctx: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(
        registry.JOBS,
        "weekly_digest",
        registry.JOBS["weekly_digest"].__class__(
            name="weekly_digest", func=broken, cron={"minute": "0"}, description="broken"
        ),
    )
    with pytest.raises(RuntimeError):
        bot.bot.run_job("weekly_digest", now=NOW)
    with make_session_factory(bot.bot.runtime.engine)() as session:
        found = _scrape(session)
    assert found[("ccbot_job_runs_total", (("job", "weekly_digest"), ("outcome", "failed")))] == 1


def test_an_unreadable_database_is_a_gauge_not_a_failed_scrape(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/missing/ccbot.db")
    registry = metrics.make_registry(lambda: _program_numbers(engine, DEFAULT_HOURS))
    found = _samples(metrics.render(registry).decode())
    assert found[("ccbot_database_up", ())] == 0
    assert not any(name.startswith("ccbot_job") for name, _ in found)


def _queried_metrics() -> dict[str, set[str]]:
    """Return every ccbot metric name each file queries."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = {"dashboard": [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]}
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    exprs["alerts"] = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    return {
        name: {m for e in found for m in re.findall(r"\bccbot_[a-z_]+", e)} for name, found in exprs.items()
    }


def test_every_alert_has_a_summary_and_a_runbook_line() -> None:
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["annotations"]["summary"], rule["alert"]
            assert len(rule["annotations"]["runbook"]) > 40, rule["alert"]
            assert rule["labels"]["severity"] in {"page", "warn", "info"}


def test_the_dashboard_and_the_alerts_query_only_what_metrics_exposes(served_bot: RunningBot) -> None:
    bot = served_bot
    # Enough activity for every family to have samples: a command, a Slack call, a job run.
    bot.sender.command("/cc", user_id="U0PILOT01")
    bot.sender.command("/cc-ask", user_id="U0PILOT01")
    wait_until(lambda: bot.slack.calls("views.open"), what="the modal")
    bot.bot.run_job("question_nudges", now=NOW)
    wait_until(lambda: "views.open" in httpx.get(f"{bot.url}/metrics").text, what="views.open counted")
    exposed = {family.name for family in text_string_to_metric_families(httpx.get(f"{bot.url}/metrics").text)}
    # A family named x is queried as x, x_total (counters), x_bucket, x_sum or x_count (histograms).
    names = (
        exposed
        | {f"{n}_total" for n in exposed}
        | {f"{n}_{s}" for n in exposed for s in ("bucket", "sum", "count")}
    )
    queried = _queried_metrics()
    for source, wanted in queried.items():
        assert wanted, source
        assert wanted <= names, f"{source} queries {sorted(wanted - names)}, which /metrics does not expose"
    # And nothing the alerts need is missing from the dashboard's picture.
    assert {"ccbot_outbox_oldest_due_seconds", "ccbot_job_last_success_timestamp_seconds"} <= queried[
        "dashboard"
    ]
