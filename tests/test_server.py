"""The HTTP server's own routes: /healthz tells whether the database answers."""

from __future__ import annotations

import httpx

from bot.server import build_asgi
from storage.db import make_engine
from tests.conftest import RunningBot, serve_in_thread


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
