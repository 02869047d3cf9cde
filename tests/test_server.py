"""The HTTP server's own routes: /healthz tells whether the database answers."""

from __future__ import annotations

import httpx

from bot.server import build_asgi
from storage.db import make_engine
from tests.conftest import NOW, RunningBot, serve_in_thread, wait_until


def test_healthz_is_200_when_the_database_answers(bot: RunningBot) -> None:
    response = httpx.get(f"{bot.url}/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_healthz_is_503_when_the_database_is_unreachable() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/nothing")
    url, server, thread = serve_in_thread(build_asgi(None, engine))
    try:
        response = httpx.get(f"{url}/healthz", timeout=10)
    finally:
        server.should_exit = True
        thread.join(timeout=5)
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


def test_socket_mode_serves_no_slack_route() -> None:
    engine = make_engine("sqlite://")
    url, server, thread = serve_in_thread(build_asgi(None, engine))
    try:
        assert httpx.post(f"{url}/slack/events", content=b"{}").status_code == 404
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def test_metrics_report_requests_slack_calls_jobs_and_the_outbox(bot: RunningBot) -> None:
    from bot.jobs.registry import run_job
    from bot.slack import make_client

    bot.sender.command("/cc", user_id="U0PILOT01")
    bot.sender.command("/cc-ask", user_id="U0PILOT01")
    wait_until(lambda: bot.slack.calls("views.open"), what="the modal")
    with bot.runtime.session_factory() as session:
        run_job(
            "question_nudges",
            now=NOW,
            session=session,
            client=make_client(bot.runtime.settings),
            settings=bot.runtime.settings,
        )
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
