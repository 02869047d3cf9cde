"""The GitHub commands as a user runs them: access plan / apply, owners sync --github, one-line errors."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from bot.cli import app
from bot.github import make_github
from bot.github_standin import GitHubStandIn
from bot.services.access import reconcile
from bot.settings import load_settings
from bot.types.policy import Channels
from storage.db import make_engine, make_session_factory
from storage.models import AccessChange, OutboxMessage, Person
from tests.conftest import ROOT, load_pilot

runner = CliRunner()


@pytest.fixture
def env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github: GitHubStandIn, sqlite_template: Path
) -> GitHubStandIn:
    """A migrated database with the pilot roster, GitHub pointed at the stand-in, run from an empty directory."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "CCBOT_", "GITHUB_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    shutil.copy(sqlite_template, tmp_path / "cli.db")
    monkeypatch.setenv("CCBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("CCBOT_GITHUB_TOKEN", github.token)
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with make_session_factory(engine)() as session:
        load_pilot(session)
    engine.dispose()
    return github


def test_plan_prints_each_team_and_changes_nothing_then_apply_makes_it_so(env: GitHubStandIn) -> None:
    env.add_team("openedx/committers-edx-platform", members=["ziafazal", "stranger-danger", "openedx-bot"])
    env.add_team("openedx/core-contributors")
    Path("access.yaml").write_text((ROOT / "examples" / "access.yaml").read_text())
    plan = runner.invoke(app, ["access", "plan", "--out", "plan.json"])
    assert plan.exit_code == 0, plan.output
    assert "openedx/committers-edx-platform: 1 in place" in plan.output
    assert "  + bradenmacdonald          granted openedx/edx-platform  [commit grant #" in plan.output
    assert "  ? stranger-danger          not on the roster: left alone" in plan.output
    assert "plan only, nothing changed" in plan.output
    assert env.writes() == []
    document = json.loads(Path("plan.json").read_text())
    assert document["digest"] in plan.output.replace("\n", " ") or document["digest"][:12] in plan.output
    first = document["changes"][0]
    assert set(first) >= {"op", "team", "login", "github_id", "reason", "source", "cause"}
    assert first["github_id"] == env.account_id(first["login"])
    applied = runner.invoke(app, ["access", "apply", "--plan", "plan.json", "--max-additions", "20"])
    assert applied.exit_code == 0, applied.output
    assert "applied: " in applied.output
    assert "bradenmacdonald" in env.pending("openedx/committers-edx-platform")
    assert len(env.writes()) == len(document["changes"])
    # Without a Slack token here, the admins' report waits in the outbox for the scheduler to send.
    assert _queued("access-apply:") == [("U0ADMIN01", "pending")]
    again = runner.invoke(app, ["access", "plan"])
    assert "0 to add, 0 to remove" in again.output


def test_a_reviewed_plan_is_refused_with_the_difference_once_the_roster_moved(env: GitHubStandIn) -> None:
    """After `access plan --out`, a roster import brings 25 new committers: the reviewed plan is not applied."""
    env.add_team("openedx/committers-edx-platform", members=["ziafazal", "bradenmacdonald", "felipemontoya"])
    Path("access.yaml").write_text(
        "teams:\n  - team: openedx/committers-edx-platform\n    repos: [openedx/edx-platform]\n"
    )
    assert runner.invoke(app, ["access", "plan", "--out", "plan.json"]).exit_code == 0
    reviewed = json.loads(Path("plan.json").read_text())
    assert [c["login"] for c in reviewed["changes"]] == ["pdpinch"]
    roster = ["people:"] + [
        f"  - {{github: newcomer-{i:02d}, name: New {i}, email: n{i}@example.org, slack: U0NEW{i:04d}, "
        "roles: [committer], repos: [openedx/edx-platform], champions: [ormsbee, kdmccormick], "
        "agreements: [{kind: individual, signed: 2026-01-01}, {kind: nda, signed: 2026-01-01}]}"
        for i in range(25)
    ]
    Path("more.yaml").write_text("\n".join(roster) + "\n")
    imported = runner.invoke(app, ["roster", "import", "more.yaml"])
    assert imported.exit_code == 0, imported.output
    refused = runner.invoke(app, ["access", "apply", "--plan", "plan.json", "--max-additions", "100"])
    assert refused.exit_code == 2, refused.output
    assert "changed since the plan was reviewed; nothing was changed" in refused.output
    assert "newly planned:      + newcomer-00 to openedx/committers-edx-platform" in refused.output
    assert env.writes() == []
    # A plain apply does not go ahead unasked either (no terminal to ask on here).
    plain = runner.invoke(app, ["access", "apply", "--max-additions", "100"])
    assert plain.exit_code == 2
    assert "review the plan first" in plain.output
    assert env.writes() == []
    # Additions are capped like removals.
    capped = runner.invoke(app, ["access", "apply", "--yes"])
    assert capped.exit_code == 2
    assert "adds 26 memberships, more than --max-additions 10" in capped.output
    assert env.writes() == []


def test_an_edited_plan_file_is_refused(env: GitHubStandIn) -> None:
    env.add_team("openedx/committers-edx-platform", members=["ziafazal"])
    Path("access.yaml").write_text(
        "teams:\n  - team: openedx/committers-edx-platform\n    repos: [openedx/edx-platform]\n"
    )
    assert runner.invoke(app, ["access", "plan", "--out", "plan.json"]).exit_code == 0
    document = json.loads(Path("plan.json").read_text())
    document["changes"][0]["team"] = "openedx/admins"
    Path("plan.json").write_text(json.dumps(document))
    result = runner.invoke(app, ["access", "apply", "--plan", "plan.json"])
    assert result.exit_code == 2
    assert "do not match its digest (the file was edited" in result.output
    assert env.writes() == []


def test_apply_refuses_above_max_removals_with_one_line(env: GitHubStandIn) -> None:
    env.add_team("openedx/committers-edx-platform", members=["ziafazal", "symbolist", "regisb"])
    env.add_team("openedx/core-contributors", members=["ziafazal"])
    Path("access.yaml").write_text((ROOT / "examples" / "access.yaml").read_text())
    result = runner.invoke(app, ["access", "apply", "--yes", "--max-removals", "1", "--max-additions", "20"])
    assert result.exit_code == 2
    assert "removes 2 memberships, more than --max-removals 1" in result.output
    assert env.writes() == []
    assert _queued("access-apply:") == []


def test_a_killed_apply_is_reconciled_by_the_next_run_and_the_admins_told(env: GitHubStandIn) -> None:
    """kill -9 while GitHub answers the third write: the next run records it from GitHub and tells the admins."""
    env.add_team("openedx/committers-edx-platform", members=["ziafazal"])
    env.add_org_members("openedx", ["bradenmacdonald", "felipemontoya", "pdpinch"])
    Path("access.yaml").write_text(
        "teams:\n  - team: openedx/committers-edx-platform\n    repos: [openedx/edx-platform]\n"
    )
    assert runner.invoke(app, ["access", "plan", "--out", "plan.json"]).exit_code == 0
    reached, release = env.stall("PUT", "/memberships/pdpinch")
    ccbot = [sys.executable, "-m", "bot", "access", "apply", "--plan", "plan.json"]
    process = subprocess.Popen(
        ccbot, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        assert reached.wait(timeout=60), "the third write never reached GitHub"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        release.set()
    # GitHub made three changes; the killed run recorded two, and the third only as set out.
    assert env.members("openedx/committers-edx-platform") == {
        "ziafazal",
        "bradenmacdonald",
        "felipemontoya",
        "pdpinch",
    }
    assert _changes() == [
        ("bradenmacdonald", "added"),
        ("felipemontoya", "added"),
        ("pdpinch", "pending"),
    ]
    # The next run, a few minutes on, settles it from GitHub's state and tells the admins.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    engine = make_engine(f"sqlite:///{Path.cwd() / 'cli.db'}")
    settings = load_settings(GITHUB_API_URL=env.url, CCBOT_GITHUB_TOKEN=env.token)
    with make_github(settings) as client, make_session_factory(engine)() as session:
        settled = reconcile(
            session, client, now=later, channels=Channels(admins=("U0ADMIN99",)), actor="test"
        )
    engine.dispose()
    assert [(s.change.login, s.outcome) for s in settled.settled] == [("pdpinch", "added")]
    assert _changes()[-1] == ("pdpinch", "added")
    assert sorted(k.split(":")[-1] for k in settled.keys) == ["U0ADMIN01", "U0ADMIN99"]
    assert _queued("access-interrupted:") == [("U0ADMIN01", "pending"), ("U0ADMIN99", "pending")]


def _queued(prefix: str) -> list[tuple[str, str]]:
    engine = make_engine(f"sqlite:///{Path.cwd() / 'cli.db'}")
    with make_session_factory(engine)() as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.key))).all()
        queued = [(m.channel, m.status) for m in rows if m.key.startswith(prefix)]
    engine.dispose()
    return queued


def _changes() -> list[tuple[str, str]]:
    engine = make_engine(f"sqlite:///{Path.cwd() / 'cli.db'}")
    with make_session_factory(engine)() as session:
        rows = session.exec(select(AccessChange).order_by(col(AccessChange.id))).all()
        changes = [(c.login, c.result) for c in rows]
    engine.dispose()
    return changes


def test_missing_config_and_missing_credentials_are_one_line_errors(
    env: GitHubStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = runner.invoke(app, ["access", "plan", "--config", "nope.yaml"])
    assert missing.exit_code == 2
    assert missing.output.startswith("ccbot: nope.yaml: not found.")
    Path("access.yaml").write_text("teams:\n  - team: a/b\n    repos: [a/c]\n")
    monkeypatch.delenv("CCBOT_GITHUB_TOKEN")
    unset = runner.invoke(app, ["access", "plan"])
    assert unset.exit_code == 2
    assert unset.output.strip() == (
        "ccbot: CCBOT_GITHUB_TOKEN is not set (nor CCBOT_GITHUB_APP_ID): it is required to call GitHub"
    )


def test_owners_sync_from_github(env: GitHubStandIn) -> None:
    env.add_repo("openedx/XBlock", {"catalog-info.yaml": "kind: Component\nspec: {owner: user:ormsbee}\n"})
    result = runner.invoke(app, ["owners", "sync", "--github", "openedx"])
    assert result.exit_code == 0, result.output
    assert "synced owners of 1 repositories" in result.output
    # The owner it names is on the roster: their GitHub account id is recorded.
    engine = make_engine(f"sqlite:///{Path.cwd() / 'cli.db'}")
    with make_session_factory(engine)() as session:
        owner = session.exec(select(Person).where(Person.github_key == "ormsbee")).one()
        assert owner.github_id == env.account_id("ormsbee")
    engine.dispose()
    bad = runner.invoke(app, ["owners", "sync", "--github", "not a name"])
    assert bad.exit_code == 2
    assert "'not a name' is not an organisation or org/repo" in bad.output
    two = runner.invoke(app, ["owners", "sync", "a", "b"])
    assert two.exit_code == 2
    assert "give one directory" in two.output


def test_the_new_jobs_are_listed_daily() -> None:
    listed = runner.invoke(app, ["jobs", "list"])
    assert "access_drift" in listed.output
    assert "daily 06:30 UTC" in listed.output
    assert "github_owners_sync" in listed.output


def test_a_file_with_malformed_base64_is_one_line_and_the_other_repositories_sync(env: GitHubStandIn) -> None:
    env.add_repo("openedx/XBlock", {"catalog-info.yaml": "kind: Component\nspec: {owner: user:ormsbee}\n"})
    env.add_repo(
        "openedx/blockstore", {"catalog-info.yaml": "kind: Component\nspec: {owner: user:ormsbee}\n"}
    )
    # GitHub's contents answer, base64 in 60-character lines, cut short in transit.
    env.serve_raw_content(
        "openedx/blockstore", "catalog-info.yaml", "a2luZDogQ29tcG9uZW50CnNwZWM6IHtvd25l\ncjogdXN"
    )
    result = runner.invoke(app, ["owners", "sync", "--github", "openedx"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert (
        "warning: openedx/blockstore: catalog-info.yaml: GitHub sent the file's content as malformed base64; "
        "openedx/blockstore skipped (its owners stay as last synced)"
    ) in result.output
    assert "synced owners of 1 repositories" in result.output


def test_a_login_that_would_steer_the_url_is_never_sent_to_github(env: GitHubStandIn) -> None:
    # A handle stored before logins were checked where they enter: an active committer on edx-platform.
    attack = "x/../../../admins/memberships/mallory"
    engine = make_engine(f"sqlite:///{Path.cwd() / 'cli.db'}")
    with make_session_factory(engine)() as session:
        braden = session.exec(select(Person).where(Person.github_key == "bradenmacdonald")).one()
        braden.github, braden.github_key = attack, attack
        session.add(braden)
        session.commit()
    engine.dispose()
    env.add_team("openedx/committers-edx-platform", members=["ziafazal", "openedx-bot"])
    env.add_team("openedx/core-contributors")
    env.add_team("openedx/admins")
    Path("access.yaml").write_text((ROOT / "examples" / "access.yaml").read_text())
    result = runner.invoke(app, ["access", "apply"])
    assert "Traceback" not in result.output
    assert f"not calling GitHub: login {attack!r} is refused: it contains '/'" in result.output
    assert [c for c in env.calls if "admins" in c.path or ".." in c.path] == []
    assert env.members("openedx/admins") == set()
    assert env.pending("openedx/admins") == set()
