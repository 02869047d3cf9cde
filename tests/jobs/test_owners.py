"""The daily owners sync from GitHub: the configured organisations and repositories, or a reason it skipped."""

from __future__ import annotations

from sqlmodel import Session

from bot.github_standin import GitHubStandIn
from bot.services.owners import find_owners
from bot.slack_standin import SlackStandIn
from bot.types.owners import SyncReport
from tests.conftest import NOW, load_pilot, make_bot


def test_the_job_syncs_the_configured_targets_from_their_default_branches(
    db_url: str, session: Session, slack: SlackStandIn, github: GitHubStandIn
) -> None:
    load_pilot(session)
    github.add_repo("openedx/XBlock", {"docs/CODEOWNERS": "* @openedx/arch-bom\n"}, default_branch="master")
    github.add_repo("openedx/edx-platform", {".github/CODEOWNERS": "/lms/ @ormsbee\n"})
    bot = make_bot(
        db_url,
        slack,
        GITHUB_API_URL=github.url,
        CCBOT_GITHUB_TOKEN=github.token,
        CCBOT_GITHUB_OWNERS="openedx/XBlock,openedx/edx-platform,gone-org",
    )
    # Not under freeze_time: githubkit imports its models lazily, and they break when built on a frozen clock.
    report = bot.run_job("github_owners_sync", now=NOW)
    bot.close()
    assert isinstance(report, SyncReport)
    assert sorted(report.repos) == ["openedx/XBlock", "openedx/edx-platform"]
    assert report.problems == ["gone-org: not found on GitHub, or the credentials cannot see it; skipped"]
    assert str(report) == "synced owners of 2 repositories and 0 groups (1 problems)"
    assert find_owners(session, "openedx/XBlock", "setup.py").labels == ["team:openedx/arch-bom"]
    assert [p.github for p in find_owners(session, "openedx/edx-platform", "lms/x.py").people] == ["ormsbee"]
    assert any(c.query.get("ref") == "master" for c in github.calls if "XBlock/contents" in c.path)
    assert github.writes() == []
    assert slack.messages() == []


def test_without_targets_or_credentials_the_job_says_why_it_skipped(
    db_url: str, slack: SlackStandIn, github: GitHubStandIn
) -> None:
    nothing = make_bot(db_url, slack, GITHUB_API_URL=github.url, CCBOT_GITHUB_TOKEN=github.token)
    assert str(nothing.run_job("github_owners_sync", now=NOW)) == (
        "skipped: CCBOT_GITHUB_OWNERS names no organisation or repository"
    )
    nothing.close()
    no_credentials = make_bot(db_url, slack, GITHUB_API_URL=github.url, CCBOT_GITHUB_OWNERS="openedx")
    assert str(no_credentials.run_job("github_owners_sync", now=NOW)) == (
        "skipped: GitHub is not configured (CCBOT_GITHUB_TOKEN, or the GitHub App settings)"
    )
    no_credentials.close()
    assert github.calls == []
