"""PostgreSQL unreachable for a while: requests get a clear answer, /readyz says so, the bot recovers by itself."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from bot.assembly import build_bot
from bot.settings import load_settings
from bot.slack_standin import SlackStandIn
from tests.conftest import NO_POSTGRES, POSTGRES_URL, load_pilot, serve_in_thread
from tests.slack_requests import SIGNING_SECRET, SlackSender


class CuttableProxy:
    """A TCP proxy in front of PostgreSQL whose cable can be cut and plugged back in."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()
        self.up = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.close()

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        self.up = False
        with self.lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self.connections.clear()

    def plug(self) -> None:
        """Accept connections again."""
        self.up = True


@pytest.fixture
def proxied(postgres_database: str, slack: SlackStandIn) -> Iterator[tuple[str, CuttableProxy]]:
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    url = make_url(postgres_database)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    settings = load_settings(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.url,
        CCBOT_DATABASE_URL=url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
    )
    built = build_bot(settings)
    runtime = built.runtime
    with runtime.session_factory() as session:
        load_pilot(session)
    base, server, thread = serve_in_thread(built.asgi())
    yield base, proxy
    proxy.plug()
    server.should_exit = True
    thread.join(timeout=10)
    runtime.engine.dispose()


def test_an_outage_gets_a_clear_answer_and_the_bot_recovers_without_a_restart(
    proxied: tuple[str, CuttableProxy],
) -> None:
    base, proxy = proxied
    sender = SlackSender(base)
    assert "Zia Fazal" in sender.command("/cc", user_id="U0PILOT01").text
    proxy.cut()
    down = sender.command("/cc", user_id="U0PILOT01")
    assert down.status_code == 200
    assert "Try again in a minute" in down.json()["text"]
    assert httpx.get(f"{base}/readyz", timeout=5).status_code == 503
    proxy.plug()
    assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    assert "Zia Fazal" in sender.command("/cc", user_id="U0PILOT01").text
