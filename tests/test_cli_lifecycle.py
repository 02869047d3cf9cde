"""The yearly cycle on the command line: renewal open and status, agreement history, alumni, activity."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from freezegun import freeze_time
from typer.testing import CliRunner

from bot.cli import app
from bot.slack_standin import SlackStandIn
from tests.conftest import PILOT_ROSTER

runner = CliRunner()
JANUARY = "2027-01-05 10:00:00"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A migrated database with the pilot roster, in a clean environment without Slack."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "CCBOT_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CCBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    with freeze_time("2026-11-26 15:00:00"):
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        assert runner.invoke(app, ["roster", "import", str(PILOT_ROSTER)]).exit_code == 0
    return tmp_path


def _run(*args: str, at: str = JANUARY) -> tuple[int, str]:
    with freeze_time(at):
        result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_renewal_open_sends_invitations_and_status_shows_who_answered(
    env: Path, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_API_URL", slack.url)
    code, output = _run("renewal", "open", "2027", "--closes", "2027-02-04", "--who", "individuals")
    assert code == 0, output
    assert "opened the 2027 recommitment of individuals: 8 asked, answers until 2027-02-04 (UTC)" in output
    assert "messages: 8 message(s) sent" in output
    assert len(slack.messages("U0PILOT01")) == 1
    code, output = _run("renewal", "open", "2027", "--who", "individuals")
    assert code == 2
    assert output.strip() == "ccbot: the 2027 recommitment of individuals is already open since 2027-01-05"
    code, output = _run("renewal", "status", "2027")
    assert code == 0
    assert "Recommitment 2027, individuals: open until 2027-02-04, opened by cli:" in output
    assert "  not answered yet (8): " in output
    assert "  recommitted (0)" in output


def test_renewal_open_refuses_clearly(env: Path) -> None:
    assert _run("renewal", "open", "2031") == (2, "ccbot: YEAR must be 2026, 2027 or 2028 (not 2031)\n")
    code, output = _run("renewal", "open", "2027", "--closes", "05/02/2027")
    assert (code, output) == (2, "ccbot: --closes '05/02/2027' is not a date like 2027-01-31\n")
    code, output = _run("renewal", "open", "2027", "--closes", "2027-01-06")
    assert code == 2
    assert "at least 3 days" in output
    code, output = _run("renewal", "status")
    assert output.startswith("no recommitment round")


def test_without_slack_the_invitations_wait_for_the_scheduler(env: Path) -> None:
    code, output = _run("renewal", "open", "2027", "--who", "all")
    assert code == 0, output
    assert "opened the 2027 recommitment of organizations: 6 asked" in output
    assert "opened the 2027 recommitment of individuals: 8 asked, answers until 2027-02-04" in output, (
        "CCBOT_RENEWAL_DAYS (30) from today"
    )
    assert "note: Edly by Arbisoft has no contact on the roster" in output
    assert "8 message(s) queued: the scheduler's outbox_delivery sends them" in output


def test_agreement_history_from_the_command_line(env: Path) -> None:
    code, output = _run(
        "agreements",
        "renew",
        "ziafazal",
        "--kind",
        "nda",
        "--signed",
        "2027-01-04",
        "--expires",
        "2028-01-31",
        "--reason",
        "yearly renewal",
    )
    assert code == 0, output
    assert "Recorded: ziafazal's NDA / program agreement renewed from 2027-01-04" in output
    code, output = _run("agreements", "revoke", "ziafazal", "--kind", "nda", "--reason", "withdrawn")
    assert code == 0, output
    assert "revoked as of 2027-01-05" in output
    code, output = _run("agreements", "history", "ziafazal")
    every = output.strip().splitlines()
    imported = [line for line in every if "imported from" in line]
    # The roster import began the history: Zia's individual agreement and NDA, and his organisation's.
    assert [line.split()[3] for line in imported] == ["entity", "individual", "nda"], output
    lines = every[len(imported) :]
    assert len(lines) == 3, output
    assert "renewed" in lines[0]
    assert "by cli:" in lines[0]
    assert "yearly renewal" in lines[0]
    assert all("revoked" in line for line in lines[1:]), "both NDAs in force are ended"
    code, output = _run("agreements", "invalidate", "nobody-here", "--kind", "nda", "--reason", "x")
    assert (code, output.strip()) == (2, "ccbot: nobody-here is not on the roster (give a GitHub handle).")


def test_alumni_move_and_reinstate_and_activity(env: Path) -> None:
    code, output = _run("alumni", "move", "regisb", "--reason", "moved on")
    assert code == 0, output
    assert "regisb is now an alumnus" in output
    assert "1 message(s) queued" in output
    assert _run("alumni", "move", "regisb", "--reason", "again")[1].startswith(
        "ccbot: regisb is already an alumnus"
    )
    code, output = _run("alumni", "reinstate", "regisb", "--reason", "back")
    assert code == 0, output
    # Back with the standing their agreements give: Overhang.IO's entity agreement ended in December.
    assert "regisb is back on the roster, standing lapsed" in output
    assert "Entity contributor agreement: expired on 2026-12-31" in output
    assert _run("activity", "inactive")[1].startswith("activity is not tracked yet")
    code, output = _run("activity", "show", "regisb")
    assert "reinstated" in output
    assert (
        _run("activity", "show", "nobody")[1].strip()
        == "ccbot: nobody is not on the roster (give a GitHub handle)"
    )
    assert _run("jobs", "run", "inactivity_review")[0] == 2, "jobs run needs Slack; the review is scheduled"


@pytest.mark.parametrize(
    "command",
    [
        ["alumni", "move", "--reason", "left"],
        ["alumni", "reinstate"],
        ["agreements", "history"],
        ["agreements", "revoke", "--kind", "nda", "--reason", "wrong program"],
        ["activity", "show"],
    ],
    ids=lambda c: "-".join(c[:2]),
)
def test_a_handle_github_would_not_allow_is_one_line_saying_why(env: Path, command: list[str]) -> None:
    code, output = _run(*command, "x/../../../admins/memberships/mallory")
    assert code == 2, output
    assert output.count("\n") == 1
    assert "not a github handle: it contains '/' (github handles are 1 to 39 letters" in output.lower()
