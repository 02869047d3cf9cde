"""The HTTP server's own routes: /healthz (alive), /readyz (the database answers, writes, is migrated), limits."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx

from bot.server import build_asgi
from storage.db import make_engine
from tests.conftest import NOW, RunningBot, serve_in_thread, wait_until


def test_healthz_and_readyz_are_200_when_the_database_answers_and_writes(bot: RunningBot) -> None:
    assert httpx.get(f"{bot.url}/healthz").json() == {"status": "ok"}
    response = httpx.get(f"{bot.url}/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def _probe(engine_url: str, path: str) -> httpx.Response:
    url, server, thread = serve_in_thread(build_asgi(None, make_engine(engine_url)))
    try:
        return httpx.get(f"{url}{path}", timeout=10)
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def test_readyz_is_503_when_the_database_is_unreachable_but_healthz_stays_200() -> None:
    unreachable = "postgresql://nobody@127.0.0.1:1/nothing"
    assert _probe(unreachable, "/healthz").status_code == 200, "liveness never waits on the database"
    response = _probe(unreachable, "/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


def test_readyz_is_503_for_a_database_that_cannot_write_or_is_not_migrated(
    sqlite_template: Path, tmp_path: Path
) -> None:
    assert _probe(f"sqlite:///{tmp_path / 'empty.db'}", "/readyz").json()["database"] == "not migrated"
    read_only = tmp_path / "read-only.db"
    shutil.copy(sqlite_template, read_only)
    # CI runs as root, which file modes do not stop: SQLite's own read-only mode stands in for a read-only disk.
    response = _probe(f"sqlite:///file:{read_only}?mode=ro&uri=true", "/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "read-only"


def test_a_body_over_the_limit_is_refused_while_it_streams(bot: RunningBot) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            yield b"x" * 65536  # 4 MiB in all, sent without a Content-Length

    for path in ("/slack/events", "/hooks/deployments"):
        response = httpx.post(f"{bot.url}{path}", content=chunks(), timeout=10)
        assert response.status_code == 413, path


def test_socket_mode_serves_no_slack_route() -> None:
    engine = make_engine("sqlite://")
    url, server, thread = serve_in_thread(build_asgi(None, engine))
    try:
        assert httpx.post(f"{url}/slack/events", content=b"{}").status_code == 404
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def test_metrics_report_requests_slack_calls_jobs_and_the_outbox(served_bot: RunningBot) -> None:
    bot = served_bot
    bot.sender.command("/cc", user_id="U0PILOT01")
    bot.sender.command("/cc-ask", user_id="U0PILOT01")
    wait_until(lambda: bot.slack.calls("views.open"), what="the modal")
    bot.bot.run_job("question_nudges", now=NOW)
    # The call is counted when it returns, just after the stand-in has seen it.
    wait_until(
        lambda: 'method="views.open"' in httpx.get(f"{bot.url}/metrics").text, what="views.open counted"
    )
    text = httpx.get(f"{bot.url}/metrics").text
    assert 'ccbot_requests_total{status="200",surface="command:/cc"}' in text
    assert 'ccbot_ack_seconds_bucket{le="3.0",surface="command:/cc"}' in text
    assert 'ccbot_slack_api_calls_total{method="views.open"}' in text
    assert 'ccbot_job_runs_total{job="question_nudges",outcome="ok"}' in text
    assert "ccbot_outbox_messages" in text
