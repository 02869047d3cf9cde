"""Start-up never shows a traceback: refused or unreachable Slack, unreachable database, missing settings."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.doctor import startup_warnings
from bot.settings import load_settings
from bot.slack_standin import SlackStandIn
from tests.conftest import ROOT, WEBHOOK_SECRET, _free_socket
from tests.slack_requests import SIGNING_SECRET

runner = CliRunner()


@pytest.fixture
def env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_logging: None, sqlite_template: Path
) -> dict[str, str]:
    """A clean environment with a migrated database of its own, run from an empty directory."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "CCBOT_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    shutil.copy(sqlite_template, tmp_path / "startup.db")
    url = f"sqlite:///{tmp_path / 'startup.db'}"
    monkeypatch.setenv("CCBOT_DATABASE_URL", url)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    return {"CCBOT_DATABASE_URL": url, "SLACK_SIGNING_SECRET": SIGNING_SECRET}


@pytest.fixture
def closed_port() -> str:
    """A local port nothing listens on: connections to it are refused at once."""
    sock = _free_socket()
    port = sock.getsockname()[1]
    sock.close()
    return str(port)


def _one_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


@pytest.mark.parametrize("command", ["serve", "scheduler"])
def test_a_token_slack_refuses_stops_with_one_line(env, slack: SlackStandIn, command: str) -> None:
    slack.refuse_token("xoxb-revoked")
    # `serve` binds its port before it asks Slack: any free one.
    args = [command, "--port", "0"] if command == "serve" else [command]
    result = runner.invoke(app, args, env={"SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_API_URL": slack.url})
    assert result.exit_code == 2
    assert _one_line(result.output) == (
        "ccbot: Slack refused SLACK_BOT_TOKEN (invalid_auth): check the token: copy the Bot User OAuth Token "
        "(xoxb-...) from the app's OAuth & Permissions page, reinstalling the app to the workspace if it was revoked"
    )


def test_an_unreachable_slack_stops_serve_with_one_line(env, closed_port: str) -> None:
    url = f"http://127.0.0.1:{closed_port}/api/"
    started = time.monotonic()
    result = runner.invoke(
        app, ["serve", "--port", "0"], env={"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": url}
    )
    assert time.monotonic() - started < 5
    assert result.exit_code == 2
    assert _one_line(result.output) == (
        f"ccbot: cannot reach Slack at {url} ([Errno 111] Connection refused): check SLACK_API_URL, "
        "the network and any proxy between this host and Slack"
    )


@pytest.mark.parametrize("command", [["db", "upgrade"], ["db", "current"], ["roster", "export"]])
def test_an_unreachable_database_is_one_line(env, closed_port: str, command: list[str]) -> None:
    url = f"postgresql://ccbot@127.0.0.1:{closed_port}/ccbot"
    result = runner.invoke(app, command, env={"CCBOT_DATABASE_URL": url})
    assert result.exit_code == 2
    line = _one_line(result.output)
    assert line.startswith("ccbot: cannot reach the database (OperationalError: connection failed: ")
    assert line.endswith("): check CCBOT_DATABASE_URL and that the server is up")


def test_a_database_file_that_cannot_be_opened_is_one_line(env, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-dir' / 'ccbot.db'}"
    for command in (["db", "upgrade"], ["db", "current"]):
        result = runner.invoke(app, command, env={"CCBOT_DATABASE_URL": url})
        assert result.exit_code == 2
        assert _one_line(result.output) == (
            "ccbot: cannot reach the database (OperationalError: unable to open database file): "
            "check CCBOT_DATABASE_URL and that the server is up"
        )


def test_start_up_warnings_name_each_missing_setting() -> None:
    bare = load_settings(CCBOT_DATABASE_URL="sqlite://")
    assert startup_warnings(bare) == [
        "CCBOT_COORDINATION_CHANNEL is not set: questions and phase announcements cannot be posted",
        "CCBOT_MANAGEMENT_CHANNEL is not set: escalations cannot be posted",
        "CCBOT_DIGEST_CHANNEL is not set: the weekly digest goes to the managers by DM only",
        "CCBOT_WEBHOOK_SECRET is not set: /hooks/deployments refuses every deployment notice (503)",
    ]
    assert len(startup_warnings(bare, hooks=False)) == 3
    complete = load_settings(
        CCBOT_DATABASE_URL="sqlite://",
        CCBOT_COORDINATION_CHANNEL="C0COORD01",
        CCBOT_MANAGEMENT_CHANNEL="C0MANAG01",
        CCBOT_DIGEST_CHANNEL="C0DIGEST1",
        CCBOT_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    assert startup_warnings(complete) == []


def test_a_normal_start_logs_json_lines_with_only_the_warnings_that_matter(env, slack: SlackStandIn) -> None:
    port = _free_socket().getsockname()[1]
    process_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CCBOT_"))},
        **env,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.url,
        "CCBOT_PORT": str(port),
        "CCBOT_COORDINATION_CHANNEL": "C0COORD01",
        "CCBOT_MANAGEMENT_CHANNEL": "C0MANAG01",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
        env=process_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    entries = [json.loads(line) for line in stderr.decode().splitlines()]  # every line is JSON
    assert stdout == b""
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)
    assert f"Uvicorn running on http://127.0.0.1:{port} (Press CTRL+C to quit)" in [
        e["message"] for e in entries
    ], "the address the server listens on is not personal data"
    assert [e["message"] for e in entries if e["level"] not in {"INFO", "DEBUG"}] == [
        "CCBOT_DIGEST_CHANNEL is not set: the weekly digest goes to the managers by DM only",
        "CCBOT_WEBHOOK_SECRET is not set: /hooks/deployments refuses every deployment notice (503)",
    ]
    assert any(e["message"] == "Application startup complete." for e in entries)
    assert not any("apscheduler" in e["logger"] for e in entries)
