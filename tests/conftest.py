"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), the Slack stand-in, a running bot."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, SQLModel

from bot.app import build_app, build_runtime
from bot.github_hook import GitHubHook
from bot.github_standin import GitHubStandIn
from bot.hooks import DeploymentHook
from bot.runtime import Runtime
from bot.server import build_asgi
from bot.services.roster import import_roster
from bot.services.roster_formats import read_roster
from bot.settings import load_settings
from bot.slack import make_client
from bot.slack_standin import SlackStandIn
from storage.db import make_engine, make_session_factory, normalise_url, upgrade
from tests.slack_requests import SIGNING_SECRET, SlackSender

ROOT = Path(__file__).resolve().parent.parent
PILOT_ROSTER = ROOT / "examples" / "pilot-roster.yaml"
POSTGRES_URL = os.environ.get("CCBOT_TEST_POSTGRES_URL")
NO_POSTGRES = "CCBOT_TEST_POSTGRES_URL is not set: PostgreSQL cases skipped (set it to a server you may create databases on)"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "ccbot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run, dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"ccbot_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = normalise_url(POSTGRES_URL).rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database URL: SQLite, and PostgreSQL when CCBOT_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        path = tmp_path / "ccbot.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test database."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test database."""
    with make_session_factory(engine)() as session:
        yield session


NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
WEBHOOK_SECRET = "test-webhook-secret-42"
GITHUB_SECRET = "test-github-secret-7"


def load_pilot(session: Session, *, now: dt.datetime = NOW) -> None:
    """Import the example pilot roster."""
    import_roster(session, read_roster(PILOT_ROSTER, as_of=now.date()), now=now, actor="test")


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    """The Slack stand-in, serving on a free port."""
    stand_in = SlackStandIn().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def github() -> Iterator[GitHubStandIn]:
    """The GitHub stand-in, serving on a free port."""
    stand_in = GitHubStandIn().start()
    yield stand_in
    stand_in.stop()


@dataclass
class RunningBot:
    """A bot served over real HTTP against the Slack stand-in."""

    url: str
    runtime: Runtime
    slack: SlackStandIn
    sender: SlackSender


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def serve_in_thread(asgi: object) -> tuple[str, uvicorn.Server, threading.Thread]:
    """Run an ASGI app under uvicorn on a free port in a background thread."""
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(asgi, log_level="warning", access_log=False))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}", server, thread


@pytest.fixture
def clock() -> list[dt.datetime]:
    """The bot's clock for a test: set clock[0] to move time."""
    return [NOW]


@pytest.fixture
def bot(db_url: str, slack: SlackStandIn, clock: list[dt.datetime]) -> Iterator[RunningBot]:
    """The whole bot (Bolt app under Starlette/uvicorn) against the stand-in, with the pilot roster loaded."""
    settings = load_settings(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.url,
        CCBOT_DATABASE_URL=db_url,
        CCBOT_ADMINS="U0ADMIN99",
        CCBOT_COORDINATION_CHANNEL="C0COORD01",
        CCBOT_MANAGEMENT_CHANNEL="C0MGMT001",
        CCBOT_WEBHOOK_SECRET=WEBHOOK_SECRET,
        CCBOT_GITHUB_WEBHOOK_SECRET=GITHUB_SECRET,
    )
    client = make_client(settings)
    runtime = build_runtime(settings, client, clock=lambda: clock[0])
    with runtime.session_factory() as session:
        load_pilot(session)
    app = build_app(runtime, client)
    url, server, thread = serve_in_thread(
        build_asgi(
            app, runtime.engine, hook=DeploymentHook(runtime, client), github_hook=GitHubHook(runtime, client)
        )
    )
    yield RunningBot(url=url, runtime=runtime, slack=slack, sender=SlackSender(url))
    server.should_exit = True
    thread.join(timeout=10)
    runtime.engine.dispose()


def wait_until(predicate: Callable[[], object], *, timeout: float = 5.0, what: str = "condition") -> object:
    """Poll until `predicate` returns something truthy (work after Slack's ack runs in a thread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
