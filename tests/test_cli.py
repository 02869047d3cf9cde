"""The `ccbot` command line as a user runs it: one-line errors, migrations, roster import/export, serve."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import PILOT_ROSTER, ROOT, _free_socket
from tests.slack_requests import SIGNING_SECRET, SlackSender

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A clean environment with a database file of its own, run from an empty directory."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "CCBOT_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CCBOT_DATABASE_URL", url)
    return {"CCBOT_DATABASE_URL": url}


def test_roster_commands_refuse_an_unmigrated_database(env) -> None:
    result = runner.invoke(app, ["roster", "export"])
    assert result.exit_code == 2
    assert result.output.strip() == "ccbot: the database is not migrated: run `ccbot db upgrade`"


def test_import_then_export_shows_the_nine_pilot_committers(env) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["roster", "import", str(PILOT_ROSTER)])
    assert result.exit_code == 0, result.output
    assert "added 1" in result.output
    exported = yaml.safe_load(runner.invoke(app, ["roster", "export"]).output)
    committers = [p for p in exported["people"] if "committer" in p["roles"]]
    assert len(committers) == 9
    assert all(len(p["champions"]) >= 2 for p in committers)
    csv = runner.invoke(app, ["roster", "export", "--format", "csv"]).output
    assert csv.splitlines()[0].startswith("First Name,Last Name,Number of Active Ind. CLA Contracts")


def test_a_dry_run_prints_the_changes(env) -> None:
    runner.invoke(app, ["db", "upgrade"])
    result = runner.invoke(app, ["roster", "import", str(PILOT_ROSTER), "--dry-run"])
    assert result.exit_code == 0
    assert "+ person ziafazal (Zia Fazal)" in result.output
    assert "dry run, nothing changed" in result.output
    assert "people: []" in runner.invoke(app, ["roster", "export"]).output


def test_a_broken_roster_exits_2_and_names_the_line(env, tmp_path: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    broken = tmp_path / "broken.yaml"
    broken.write_text("people:\n  - github: someone\n    name: Some One\n    roles: [wizard]\n")
    result = runner.invoke(app, ["roster", "import", str(broken)])
    assert result.exit_code == 2
    assert f"{broken}:2: person someone: role 'wizard' is not one of" in result.output
    assert "Traceback" not in result.output


def test_a_malformed_setting_stops_with_one_line(env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCBOT_PORT", "eighty")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert result.output.strip().startswith("ccbot: CCBOT_PORT:")
    assert len(result.output.strip().splitlines()) == 1


def test_serve_without_a_bot_token_names_the_missing_setting(env) -> None:
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert result.output.strip() == "ccbot: SLACK_BOT_TOKEN is not set: it is required for this command"


def test_admins_must_be_slack_user_ids(env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCBOT_ADMINS", "U0ADMIN01, alice")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "CCBOT_ADMINS: 'alice' is not a Slack user id" in result.output


def test_settings_are_read_from_a_dotenv_file(env, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=not-a-bot-token\n")
    result = runner.invoke(app, ["serve"])
    assert "SLACK_BOT_TOKEN: must be a bot token starting with xoxb-" in result.output


def _serve(env: dict[str, str], slack, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, ["roster", "import", str(PILOT_ROSTER)])
    sock = _free_socket()
    port = sock.getsockname()[1]
    sock.close()
    process_env = {
        **os.environ,
        **env,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "CCBOT_PORT": str(port),
        "CCBOT_LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", *args],
        env=process_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    return process, base


def _stop(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGTERM)
    return process.communicate(timeout=20)[0].decode()


def test_serve_answers_cc_and_readyz_as_a_real_process(env, tmp_path: Path, slack) -> None:
    process, base = _serve(env, slack)
    try:
        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "database": "ok"}
        started = time.monotonic()
        response = SlackSender(base).command("/cc", user_id="U0PILOT05")
        assert time.monotonic() - started < 1.5
        assert response.status_code == 200
        assert "Felipe Montoya" in response.text
    finally:
        output = _stop(process)
    assert "xoxb-test" not in output
    assert SIGNING_SECRET not in output


def test_serve_with_two_workers_serves_from_both_and_schedules_once(env, slack) -> None:
    process, base = _serve(env, slack, "--workers", "2")
    try:
        sender = SlackSender(base)
        answers = [sender.command("/cc", user_id="U0PILOT05") for _ in range(12)]
        assert {a.status_code for a in answers} == {200}
        assert all("Felipe Montoya" in a.text for a in answers)
    finally:
        output = _stop(process)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    servers = {line["message"] for line in lines if line["message"].startswith("Started server process")}
    assert len(servers) == 2, "two worker processes served"
    schedulers = [line for line in lines if line["message"].startswith("scheduler running")]
    assert len(schedulers) == 1, "the jobs are scheduled in one process only"


def test_serve_refuses_an_unmigrated_database(env, slack) -> None:
    process_env = {
        **os.environ,
        **env,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=process_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "ccbot: the database is not migrated: run `ccbot db upgrade`"


def test_owners_sync_reads_the_sample_metadata(env) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["owners", "sync", str(ROOT / "examples" / "owners")])
    assert result.exit_code == 0, result.output
    assert "synced owners of 2 repositories and 2 groups" in result.output
    missing = runner.invoke(app, ["owners", "sync", "no-such-dir"])
    assert missing.exit_code == 2
    assert "no-such-dir is not a directory" in missing.output


def test_jobs_list_and_run_as_of_an_instant(env, slack) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    listed = runner.invoke(app, ["jobs", "list"])
    assert "question_nudges" in listed.output
    assert "every 15 minutes" in listed.output
    unknown = runner.invoke(app, ["jobs", "run", "nope"])
    assert unknown.exit_code == 2
    assert "no job called 'nope'" in unknown.output
    slack_env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.url}
    result = runner.invoke(
        app, ["jobs", "run", "question_nudges", "--now", "2026-11-30T09:00"], env=slack_env
    )
    assert result.exit_code == 0, result.output
    assert "question_nudges ran as of 2026-11-30T09:00:00+00:00" in result.output
    bad = runner.invoke(app, ["jobs", "run", "question_nudges", "--now", "monday"], env=slack_env)
    assert "is not an ISO-8601 instant" in bad.output


def test_roster_import_leaves_slack_to_the_background_and_resolve_does_it_now(
    env, slack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack.url)
    monkeypatch.setenv("CCBOT_ADMINS", "U0ADMIN99")
    slack.add_user("U0NEW0001", email="new@example.org", tz="Europe/Paris")
    roster = tmp_path / "roster.yaml"
    roster.write_text(
        "people:\n"
        "  - {github: newcomer, email: new@example.org, roles: [champion]}\n"
        "  - {github: stranger, email: nobody@example.org, roles: [champion]}\n"
    )
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["roster", "import", str(roster)])
    assert result.exit_code == 0, result.output
    assert "resolving 2 people's Slack ids and time zones in the background" in result.output
    assert slack.calls() == [], "the import asks Slack nothing"

    status = runner.invoke(app, ["roster", "resolve", "--status"])
    assert "(pending, not started)" in status.output
    resolved = runner.invoke(app, ["roster", "resolve"])
    assert resolved.exit_code == 0, resolved.output
    assert "1 Slack id(s) and 1 time zone(s) found, 1 not found" in resolved.output
    status = runner.invoke(app, ["roster", "resolve", "--status"])
    assert "not found: stranger: no Slack member has the e-mail nobody@example.org" in status.output
    assert any("stranger" in json.dumps(m) for m in slack.messages("U0ADMIN99")), "the admins are told"
