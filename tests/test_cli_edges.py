"""An operator's first day at the command line: wrong database URLs, `doctor` in an empty folder, a busy port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.assembly import Bot, open_database
from bot.cli import app
from bot.settings import ConfigError
from tests.conftest import ROOT

runner = CliRunner()
PASSWORD = "Sekr1tPassw0rd"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment, run from an empty directory."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "CCBOT_", "GITHUB_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# Every command that opens the database, with the arguments it needs to get that far.
DATABASE_COMMANDS = [
    ["db", "current"],
    ["db", "upgrade"],
    ["roster", "export"],
    ["jobs", "run", "outbox_delivery"],
    ["activity", "inactive"],
    ["renewal", "status"],
    ["serve"],
    ["scheduler"],
]


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        (f"postgresql+psycopg2://ccbot:{PASSWORD}@db.internal/ccbot", "postgresql+psycopg2://"),
        (f"mysql://root:{PASSWORD}@db.internal/ccbot", "mysql://"),
        (f"oracle+cx_oracle://scott:{PASSWORD}@db.internal/orcl", "oracle+cx_oracle://"),
    ],
)
def test_an_unsupported_database_url_is_one_line_naming_its_scheme(
    env: Path, monkeypatch: pytest.MonkeyPatch, url: str, scheme: str
) -> None:
    monkeypatch.setenv("CCBOT_DATABASE_URL", url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s" * 32)
    for command in DATABASE_COMMANDS:
        result = runner.invoke(app, command)
        where = " ".join(command)
        assert result.exit_code == 2, f"{where}: {result.output}"
        lines = result.output.splitlines()
        assert len(lines) == 1, f"{where}: {result.output}"
        assert lines[0].startswith(f"ccbot: CCBOT_DATABASE_URL: {scheme} databases are not supported"), where
        assert "sqlite:///" in lines[0]
        assert "postgresql://" in lines[0]
        assert "postgresql+psycopg://" in lines[0]
        assert PASSWORD not in result.output
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 1
    assert doctor.output.splitlines()[0].startswith(f"✘ settings: CCBOT_DATABASE_URL: {scheme} databases")
    assert PASSWORD not in doctor.output
    console = runner.invoke(app, ["console", "--db", url])
    assert console.exit_code == 2
    assert console.output.splitlines() == [console.output.strip()]
    assert console.output.startswith(f"ccbot: --db: {scheme} databases are not supported")
    assert PASSWORD not in console.output
    assert list(env.iterdir()) == []


def test_psycopg2_is_named_as_the_driver_ccbot_does_not_use(env: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        open_database(f"postgresql+psycopg2://ccbot:{PASSWORD}@db.internal/ccbot")
    assert "psycopg 3, not psycopg2" in str(refused.value)
    assert PASSWORD not in str(refused.value)


def test_a_real_process_prints_no_traceback(env: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "current"],
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "CCBOT_DATABASE_URL": f"postgresql+psycopg2://ccbot:{PASSWORD}@db.internal/ccbot",
        },
        cwd=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert PASSWORD not in result.stderr


def test_doctor_in_an_empty_folder_creates_nothing(env: Path) -> None:
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert (
        "✘ database: ccbot.db does not exist → point CCBOT_DATABASE_URL at the bot's database, "
        "or create it with `ccbot db upgrade`"
    ) in result.output.splitlines()
    assert list(env.iterdir()) == [], "no ccbot.db, no -wal, no -shm"


def test_a_second_serve_on_a_busy_port_stops_with_one_line_before_anything_starts(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.cli.serve as serve_command

    started: list[str] = []
    monkeypatch.setattr(serve_command, "build_bot", lambda *a, **k: started.append("bot"))
    monkeypatch.setattr(serve_command, "configure_logging", lambda *a, **k: started.append("logging"))
    monkeypatch.setattr(Bot, "scheduler", lambda self: started.append("scheduler"))
    busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        result = runner.invoke(
            app,
            ["serve", "--host", "127.0.0.1", "--port", str(port)],
            env={"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s" * 32},
        )
    finally:
        busy.close()
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"ccbot: port {port} on 127.0.0.1 is in use (another ccbot serve?): stop it, or choose another port "
        "with --port or CCBOT_PORT"
    ]
    assert started == [], "no logging set up, no bot built (no database opened), no scheduler"
    assert list(env.iterdir()) == []
