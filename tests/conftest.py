"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), the Slack stand-in, a running bot."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from freezegun import freeze_time
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, SQLModel

from bot.assembly import Bot, build_bot
from bot.github_standin import GitHubStandIn
from bot.runtime import Runtime
from bot.services.outbox import Budget
from bot.services.roster import import_roster, read_roster
from bot.settings import Settings, load_settings
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


# For cases the database cannot change (rendering, escaping, who may act): run them on SQLite only.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database URL: SQLite, and PostgreSQL when CCBOT_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        path = tmp_path / "ccbot.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    empty_postgres(url)
    return url


def empty_postgres(url: str) -> None:
    """Delete every row of the PostgreSQL test database and restart its ids."""
    engine = make_engine(url)
    # DELETE and a sequence reset take milliseconds; TRUNCATE of every table takes half a second.
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(text(f'DELETE FROM "{table.name}"'))
            if "id" in table.c and table.c["id"].autoincrement is not False and table.c["id"].primary_key:
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), 1, false)")
                )
    engine.dispose()


def module_database(request: pytest.FixtureRequest, folder: Path) -> str:
    """A migrated, empty database for a module-scoped fixture parametrized with "sqlite" and "postgresql"."""
    if request.param == "sqlite":
        path = folder / "ccbot.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    empty_postgres(url)
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
# The outbox's Slack budget on a clock a thousand times Slack's: tests keep its logic without waiting on it.
FAST_BUDGET = Budget(time_scale=1000)
WEBHOOK_SECRET = "test-webhook-secret-42"
GITHUB_SECRET = "test-github-secret-7"


def load_pilot(session: Session, *, now: dt.datetime = NOW) -> None:
    """Import the example pilot roster."""
    import_roster(session, read_roster(PILOT_ROSTER, as_of=now.date()), now=now, actor="test")


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    """The Slack stand-in, serving on a free port; a test fails if it sent Slack anything over Block Kit's limits
    or called a retired method (a test that does so on purpose clears `state.oversize`)."""
    stand_in = SlackStandIn().start()
    yield stand_in
    stand_in.stop()
    assert not stand_in.state.oversize, f"Slack would refuse: {stand_in.state.oversize[:5]}"


@pytest.fixture
def github() -> Iterator[GitHubStandIn]:
    """The GitHub stand-in, serving on a free port."""
    stand_in = GitHubStandIn().start()
    yield stand_in
    stand_in.stop()


@dataclass
class RunningBot:
    """The whole bot against the Slack stand-in: requests dispatched in-process, or served over real HTTP."""

    bot: Bot
    slack: SlackStandIn
    sender: SlackSender
    served: tuple[str, uvicorn.Server, threading.Thread] | None = None

    @property
    def runtime(self) -> Runtime:
        """The bot's runtime: settings, database, clock."""
        return self.bot.runtime

    @property
    def url(self) -> str:
        """The bot's base URL, serving it over HTTP on first use."""
        if self.served is None:
            self.served = serve_in_thread(self.bot.asgi())
        return self.served[0]

    def stop(self) -> None:
        """Stop serving and release the database."""
        if self.served is not None:
            self.served[1].should_exit = True
            self.served[2].join(timeout=10)
        self.bot.close()


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


def bot_settings(db_url: str, slack: SlackStandIn, **overrides: str) -> Settings:
    """The settings of the test bot: the stand-in's URL, test secrets, channels and one bootstrap admin."""
    values: dict[str, str] = {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "CCBOT_DATABASE_URL": db_url,
        "CCBOT_ADMINS": "U0ADMIN99",
        "CCBOT_COORDINATION_CHANNEL": "C0COORD01",
        "CCBOT_MANAGEMENT_CHANNEL": "C0MGMT001",
        "CCBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CCBOT_GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
    }
    return load_settings(**{**values, **overrides})


def make_bot(db_url: str, slack: SlackStandIn, **overrides: str) -> Bot:
    """Return the bot for job and service tests: the test settings (with overrides), no roster loaded."""
    return build_bot(
        bot_settings(db_url, slack, **overrides), process_before_response=True, budget=FAST_BUDGET
    )


@pytest.fixture
def job_bot(db_url: str, slack: SlackStandIn) -> Iterator[Bot]:
    """The bot as jobs see it (digest channel set too), on the test database; no roster loaded."""
    built = make_bot(db_url, slack, CCBOT_DIGEST_CHANNEL="C0DIGEST1")
    yield built
    built.close()


def run_at(bot: Bot, job: str, at: dt.datetime) -> object:
    """Run one job as of `at`, with the wall clock frozen there too."""
    with freeze_time(at):
        return bot.run_job(job, now=at)


@pytest.fixture(scope="session")
def sqlite_pilot_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file holding the pilot roster, copied for each bot (importing it each time is slower)."""
    path = tmp_path_factory.mktemp("pilot") / "pilot.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with make_session_factory(engine)() as session:
        load_pilot(session)
    engine.dispose()
    return path


@pytest.fixture
def pilot_session(db_url: str, request: pytest.FixtureRequest) -> Iterator[Session]:
    """A session on a database holding the pilot roster (a SQLite copy, or imported on PostgreSQL)."""
    if db_url.startswith("sqlite:///"):
        shutil.copy(request.getfixturevalue("sqlite_pilot_template"), db_url.removeprefix("sqlite:///"))
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        if not db_url.startswith("sqlite:///"):
            load_pilot(session)
        yield session
    engine.dispose()


def running_bot(
    db_url: str,
    slack: SlackStandIn,
    clock: list[dt.datetime],
    request: pytest.FixtureRequest,
    *,
    in_process: bool,
    **overrides: str,
) -> Iterator[RunningBot]:
    """Yield the whole bot with the pilot roster (settings `overrides` on top of the test settings)."""
    if db_url.startswith("sqlite:///"):
        shutil.copy(request.getfixturevalue("sqlite_pilot_template"), db_url.removeprefix("sqlite:///"))
    settings = bot_settings(db_url, slack, **overrides)
    built = build_bot(
        settings, clock=lambda: clock[0], process_before_response=in_process, budget=FAST_BUDGET
    )
    if not db_url.startswith("sqlite:///"):
        with built.runtime.session_factory() as session:
            load_pilot(session)
    running = RunningBot(bot=built, slack=slack, sender=SlackSender(app=built.app))
    if not in_process:
        running.sender = SlackSender(running.url)
    yield running
    running.stop()


@pytest.fixture
def bot(
    db_url: str, slack: SlackStandIn, clock: list[dt.datetime], request: pytest.FixtureRequest
) -> Iterator[RunningBot]:
    """The whole bot with the pilot roster, Slack requests dispatched in-process (each listener runs to its end)."""
    yield from running_bot(db_url, slack, clock, request, in_process=True)


@pytest.fixture
def served_bot(
    db_url: str, slack: SlackStandIn, clock: list[dt.datetime], request: pytest.FixtureRequest
) -> Iterator[RunningBot]:
    """The whole bot served over real HTTP as in production (ack first, work after), for server and fault tests."""
    yield from running_bot(db_url, slack, clock, request, in_process=False)


def wait_until(predicate: Callable[[], object], *, timeout: float = 5.0, what: str = "condition") -> object:
    """Poll until `predicate` returns something truthy (work after Slack's ack runs in a thread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger back as it was (`configure_logging` changes it for the whole process)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say once, in one line, that the PostgreSQL cases were skipped and how to run them."""
    skipped = terminalreporter.stats.get("skipped", [])
    postgres = [report for report in skipped if NO_POSTGRES in str(report.longrepr)]
    if postgres:
        terminalreporter.write_line(
            f"{len(postgres)} PostgreSQL cases skipped: set CCBOT_TEST_POSTGRES_URL to run them "
            "(e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
