"""`ccbot publish`: the program's public page written to a folder, and kept current on GitHub by one pull
request (none when nothing changed); who is on it and who is not; hostile names escaped; the weekly job."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app
from bot.github_standin import GitHubStandIn
from bot.slack_standin import SlackStandIn
from storage.db import make_engine, make_session_factory
from storage.models import CommitGrant, Person, PersonRole, Role, Status
from storage.roster import add_person, get_or_add_repo, get_person_by_github
from tests.artifacts import save_artifact
from tests.conftest import ROOT, load_pilot

runner = CliRunner()
NOW = "2026-12-07T09:00:00+00:00"
HOSTILE_NAME = "<script>alert(1)</script> ](javascript:alert(2)) a|b **bold**"


def _session(tmp_path: Path) -> Session:
    return make_session_factory(make_engine(f"sqlite:///{tmp_path / 'cli.db'}"))()


@pytest.fixture
def env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github: GitHubStandIn, sqlite_template: Path
) -> GitHubStandIn:
    """The pilot roster plus a hostile name and an alumna, GitHub pointed at the stand-in, an empty directory."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "CCBOT_", "GITHUB_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    shutil.copy(sqlite_template, tmp_path / "cli.db")
    monkeypatch.setenv("CCBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("CCBOT_GITHUB_TOKEN", github.token)
    with _session(tmp_path) as session:
        load_pilot(session)
        hostile = add_person(
            session,
            github="mallory-h",
            name=HOSTILE_NAME,
            email="mallory@example.org",
            slack_user_id="U0HOSTILE",
            status=Status.ACTIVE,
        )
        session.add(PersonRole(person_id=hostile.id, role=Role.COMMITTER))  # type: ignore[arg-type]
        repo = get_or_add_repo(session, "openedx/a|b")
        session.add(CommitGrant(person_id=hostile.id, repo_id=repo.id))  # type: ignore[arg-type]
        gone = get_person_by_github(session, "symbolist")
        assert gone is not None
        gone.removed_on = dt.date(2026, 10, 1)
        gone.status = Status.ALUMNI
        session.add(gone)
        session.commit()
    github.add_repo("openedx/community", {"README.md": "# Community\n"})
    return github


def _publish(*args: str) -> str:
    result = runner.invoke(app, ["publish", "--now", NOW, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_page_lists_current_contributors_without_contact_details_and_escapes_every_field(
    env: GitHubStandIn, tmp_path: Path
) -> None:
    output = _publish("--out", "site", "--about", str(ROOT / "examples" / "publish" / "about.md"))
    assert "wrote site/index.html" in output
    markdown = Path("site/index.md").read_text()
    page = Path("site/index.html").read_text()
    save_artifact(tmp_path, "public-page.html", page.encode())
    # The chart's base64 could hold any letters: what a visitor reads is the rest.
    readable = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    for text in (markdown, readable):
        assert "Zia Fazal" in text
        assert "Edly by Arbisoft" in text
        assert "openedx/edx-platform" in text
        assert "How to become a core contributor" in text, "the admins' file"
        assert "@example.org" not in text, "never an e-mail"
        assert not re.search(r"\bU0[A-Z0-9]{6,}\b", text), "never a Slack id"
        assert "agreement" not in text.lower().replace("contributor agreements", ""), "never an agreement"
        assert "symbolist" not in text, "alumni are not listed"
        assert "Usman Khalid" not in text
        assert "idegtiarov" not in text, "onboarding committers are not core contributors yet"
        assert "jbowman" not in text, "champions are not core contributors"
    # HTML: the hostile name is text, never a tag or a link.
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript' not in page
    assert "openedx/a|b" in page
    # Markdown: no raw tag, no link or image made of the name, and the pipe does not split the table row.
    assert "<script>" not in markdown
    assert "&lt;script&gt;" in markdown
    assert "\\]\\(javascript&#58;alert\\(2\\)\\)" in markdown
    assert "\\*\\*bold\\*\\*" in markdown
    row = next(line for line in markdown.splitlines() if "mallory-h" in line)
    assert row.count("|") - row.count("\\|") == 5, "four cells: the name's and the repository's pipes escaped"
    assert "openedx/a\\|b" in row
    assert Path("site/chart.png").read_bytes().startswith(b"\x89PNG")
    assert "![Time to first response" in markdown
    assert "(chart.png)" in markdown
    assert 'src="data:image/png;base64,' in page


def test_github_gets_one_pull_request_and_none_when_nothing_changed(
    env: GitHubStandIn, tmp_path: Path
) -> None:
    first = _publish("--github", "openedx/community:core-contributors")
    assert "pull request opened: https://github.com/openedx/community/pull/" in first, first
    [pull] = env.open_pulls("openedx/community")
    assert (pull.head, pull.base) == ("ccbot/public-page", "main")
    repo = env.repos["openedx/community"]
    assert sorted(path for branch, path, _ in repo.commits) == [
        "core-contributors/chart.png",
        "core-contributors/index.html",
        "core-contributors/index.md",
    ]
    html = env.file("openedx/community", "core-contributors/index.html", "ccbot/public-page")
    assert html is not None
    assert b"Zia Fazal" in html
    png = env.file("openedx/community", "core-contributors/chart.png", "ccbot/public-page")
    assert png is not None
    assert png.startswith(b"\x89PNG"), "the chart committed as the bytes it is"
    writes = len(env.writes())
    again = _publish("--github", "openedx/community:core-contributors")
    assert "is up to date: no pull request" in again
    assert len(env.writes()) == writes, "nothing committed, nothing opened"
    # Someone joins: the same pull request is updated with the files that changed.
    with _session(tmp_path) as session:
        newcomer = add_person(session, github="newcomer", name="New Comer", status=Status.ACTIVE)
        session.add(PersonRole(person_id=newcomer.id, role=Role.COMMITTER))  # type: ignore[arg-type]
        session.commit()
    updated = _publish("--github", "openedx/community:core-contributors")
    assert "pull request updated" in updated, updated
    assert len(env.open_pulls("openedx/community")) == 1
    assert b"New Comer" in (
        env.file("openedx/community", "core-contributors/index.md", "ccbot/public-page") or b""
    )
    # Merged: the default branch has the page; publishing again opens nothing.
    env.merge_pull("openedx/community", pull.number)
    writes = len(env.writes())
    merged = _publish("--github", "openedx/community:core-contributors")
    assert "is up to date: no pull request" in merged
    assert len(env.writes()) == writes
    assert env.open_pulls("openedx/community") == []


def test_a_bad_target_or_no_destination_is_one_line(env: GitHubStandIn) -> None:
    for args, said in (
        (["--github", "openedx/community"], "is not ORG/REPO:PATH"),
        (["--github", "openedx/community:../up"], "is not ORG/REPO:PATH"),
        ([], "say where the page goes"),
        (["--out", "x", "--about", "missing.md"], "cannot read the about file"),
    ):
        result = runner.invoke(app, ["publish", *args])
        assert result.exit_code != 0
        assert said in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert env.writes() == []


def test_the_weekly_job_publishes_to_the_configured_target_and_is_off_when_unset(
    env: GitHubStandIn, monkeypatch: pytest.MonkeyPatch, slack: SlackStandIn
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack.url)
    off = runner.invoke(app, ["jobs", "run", "public_page", "--now", NOW])
    assert off.exit_code == 0, off.output
    assert env.writes() == []
    monkeypatch.setenv("CCBOT_PUBLISH_TARGET", "openedx/community:.")
    on = runner.invoke(app, ["jobs", "run", "public_page", "--now", NOW])
    assert on.exit_code == 0, on.output
    [pull] = env.open_pulls("openedx/community")
    assert env.file("openedx/community", "index.md", pull.head) is not None
    again = runner.invoke(app, ["jobs", "run", "public_page", "--now", NOW])
    assert again.exit_code == 0, again.output
    assert len(env.open_pulls("openedx/community")) == 1


def test_the_person_type_has_nothing_to_leak() -> None:
    from bot.types.publish import Contributor

    assert set(Contributor.__dataclass_fields__) == {"name", "github", "organization", "repos"}
    assert Person  # the roster's record keeps e-mail and Slack id; the page's record does not
