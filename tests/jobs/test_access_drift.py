"""The daily access check: drift told to the admins once a day; GitHub changed only with auto apply, within limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.assembly import Bot
from bot.github_standin import GitHubStandIn
from bot.services.access import DriftOutcome
from bot.slack_standin import SlackStandIn
from storage.access import list_access_changes, list_access_of
from storage.roster import get_person_by_github
from tests.conftest import NOW, make_bot
from tests.services.test_access import CORE, EDX, arrange_world, write_config

ADMIN, BOOTSTRAP_ADMIN = "U0ADMIN01", "U0ADMIN99"


@pytest.fixture
def world(session: Session, github: GitHubStandIn) -> GitHubStandIn:
    """The roster and GitHub of the access plan's tests: some right, some stale, one pending, one stranger."""
    return arrange_world(session, github)


@pytest.fixture
def drift_bot(
    db_url: str, slack: SlackStandIn, world: GitHubStandIn, tmp_path: Path
) -> Iterator[Callable[..., Bot]]:
    """Build the bot with GitHub pointed at the stand-in, an access.yaml and these extra settings."""
    built: list[Bot] = []

    def build(**extra: str) -> Bot:
        settings = {
            "GITHUB_API_URL": world.url,
            "CCBOT_GITHUB_TOKEN": world.token,
            "CCBOT_ACCESS_CONFIG": str(write_config(tmp_path)),
            **extra,
        }
        built.append(make_bot(db_url, slack, **settings))
        return built[-1]

    yield build
    for bot in built:
        bot.close()


def _run(bot: Bot, at: dt.datetime = NOW) -> DriftOutcome:
    # Not under freeze_time: githubkit imports its models lazily, and they break when built on a frozen clock.
    outcome = bot.run_job("access_drift", now=at)
    assert isinstance(outcome, DriftOutcome)
    return outcome


def test_the_drift_job_tells_the_admins_once_a_day_and_changes_nothing(
    drift_bot: Callable[..., Bot], session: Session, world: GitHubStandIn, slack: SlackStandIn
) -> None:
    bot = drift_bot()
    outcome = _run(bot)
    assert str(outcome).startswith("drift reported")
    [dm] = slack.messages(ADMIN)
    assert "GitHub team access differs from the roster" in dm["text"]
    assert "- `regisb` from `openedx/core-contributors`: lapsed: NDA ended on 2026-10-01" in dm["text"]
    # The admin bootstrapped by CCBOT_ADMINS hears of it too.
    assert [m["text"] for m in slack.messages(BOOTSTRAP_ADMIN)] == [dm["text"]]
    _run(bot, NOW + dt.timedelta(hours=1))
    assert len(slack.messages(ADMIN)) == 1
    assert world.writes() == []
    zia = get_person_by_github(session, "ziafazal")
    assert zia is not None
    assert zia.id is not None
    assert {(a.team, a.state) for a in list_access_of(session, zia.id)} == {(EDX, "member"), (CORE, "member")}


def test_with_auto_apply_the_drift_job_makes_the_changes_and_reports_them(
    drift_bot: Callable[..., Bot], session: Session, world: GitHubStandIn, slack: SlackStandIn
) -> None:
    outcome = _run(drift_bot(CCBOT_ACCESS_AUTO_APPLY="true"))
    assert str(outcome).startswith("applied: 3 added, 3 invited, 3 removed")
    [dm] = slack.messages(ADMIN)
    assert "GitHub team access applied" in dm["text"]
    assert len(world.writes()) == 9
    assert {c.actor for c in list_access_changes(session)} == {"ccbot:access_drift"}


def test_with_auto_apply_too_many_removals_are_refused_and_reported(
    drift_bot: Callable[..., Bot], world: GitHubStandIn, slack: SlackStandIn
) -> None:
    outcome = _run(drift_bot(CCBOT_ACCESS_AUTO_APPLY="true", CCBOT_ACCESS_MAX_REMOVALS="1"))
    assert str(outcome).startswith("not applied")
    assert "was not changed" in slack.messages(ADMIN)[0]["text"]
    assert world.writes() == []


def test_without_github_or_access_yaml_the_job_says_why_it_skipped(
    db_url: str, slack: SlackStandIn, tmp_path: Path
) -> None:
    unconfigured = make_bot(db_url, slack)
    assert str(_run(unconfigured)) == (
        "skipped: GitHub is not configured (CCBOT_GITHUB_TOKEN, or the GitHub App settings)"
    )
    unconfigured.close()
    missing = tmp_path / "nowhere.yaml"
    no_file = make_bot(db_url, slack, CCBOT_GITHUB_TOKEN="ghp-any", CCBOT_ACCESS_CONFIG=str(missing))
    assert str(_run(no_file)) == f"skipped: {missing} not found (CCBOT_ACCESS_CONFIG)"
    no_file.close()
    assert slack.messages() == []
