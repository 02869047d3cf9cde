"""The daily access check: drift told to the admins once a day; GitHub changed only with auto apply, within limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from bot.assembly import Bot
from bot.github_standin import GitHubStandIn
from bot.ids import Action
from bot.services.access import DriftOutcome
from bot.slack_standin import SlackStandIn
from storage.access import list_access_changes, list_access_of
from storage.roster import get_person_by_github
from tests.conftest import NOW, make_bot
from tests.services.test_access import CORE, EDX, arrange_world, write_config
from tests.slack_requests import SlackSender, block_action

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
        # Clicks are handled as of the job's instant, so standings are the same as when the plan was posted.
        built[-1].runtime.clock = lambda: NOW
        return built[-1]

    yield build
    for bot in built:
        bot.close()


def _run(bot: Bot, at: dt.datetime = NOW) -> DriftOutcome:
    # Not under freeze_time: githubkit imports its models lazily, and they break when built on a frozen clock.
    outcome = bot.run_job("access_drift", now=at)
    assert isinstance(outcome, DriftOutcome)
    return outcome


def _shown(message: dict[str, Any]) -> str:
    """Return everything a message shows: its notification text and its blocks' text."""
    texts = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        texts.append(str((block.get("text") or {}).get("text") or ""))
        texts += [str(e.get("text") or "") for e in block.get("elements") or [] if isinstance(e, dict)]
    return "\n".join(texts)


def _button(message: dict[str, Any]) -> dict[str, Any]:
    return next(
        e
        for block in message.get("blocks") or []
        for e in block.get("elements") or []
        if isinstance(e, dict) and e.get("action_id") == Action.APPLY_ACCESS_PLAN.value
    )


def test_the_drift_job_posts_the_plan_once_a_day_with_its_button_and_changes_nothing(
    drift_bot: Callable[..., Bot], session: Session, world: GitHubStandIn, slack: SlackStandIn
) -> None:
    bot = drift_bot()
    outcome = _run(bot)
    assert str(outcome).startswith("drift reported")
    [dm] = slack.messages(ADMIN)
    shown = _shown(dm)
    assert "GitHub team access differs from the roster" in dm["text"]
    assert "- `symbolist` from `openedx/committers-edx-platform`: alumni since 2026-09-01" in shown
    assert "! `regisb` from `openedx/core-contributors`: lapsed: NDA ended on 2026-10-01" in shown
    assert _button(dm)["text"]["text"] == "Apply this plan"
    # The admin bootstrapped by CCBOT_ADMINS hears of it too.
    assert [m["text"] for m in slack.messages(BOOTSTRAP_ADMIN)] == [dm["text"]]
    _run(bot, NOW + dt.timedelta(hours=1))
    assert len(slack.messages(ADMIN)) == 1
    assert world.writes() == []
    zia = get_person_by_github(session, "ziafazal")
    assert zia is not None
    assert zia.id is not None
    assert {(a.team, a.state) for a in list_access_of(session, zia.id)} == {(EDX, "member"), (CORE, "member")}


def test_the_button_applies_exactly_the_posted_plan_once(
    drift_bot: Callable[..., Bot], session: Session, world: GitHubStandIn, slack: SlackStandIn
) -> None:
    bot = drift_bot(CCBOT_ACCESS_MAX_ADDITIONS="20")
    _run(bot)
    button = _button(slack.messages(ADMIN)[0])
    click = block_action(
        button["action_id"], button["value"], user_id=ADMIN, response_url=slack.response_url("c")
    )
    assert SlackSender(app=bot.app).interaction(click).status_code == 200
    assert slack.state.responses == []
    writes = world.writes()
    assert len(writes) == 8
    # The two removals of the posted plan, and not regisb's, which waits out its notice.
    assert sorted(w.path for w in writes if w.method == "DELETE") == [
        "/orgs/openedx/teams/committers-edx-platform/memberships/felipemontoya",
        "/orgs/openedx/teams/committers-edx-platform/memberships/symbolist",
    ]
    assert "GitHub team access applied by" in slack.messages(ADMIN)[-1]["text"]
    # A second click (or another admin's) applies nothing more.
    SlackSender(app=bot.app).interaction(
        block_action(
            button["action_id"],
            button["value"],
            user_id=BOOTSTRAP_ADMIN,
            response_url=slack.response_url("again"),
        )
    )
    assert len(world.writes()) == 8


def test_the_button_refuses_a_plan_the_roster_or_github_moved_away_from(
    drift_bot: Callable[..., Bot], session: Session, world: GitHubStandIn, slack: SlackStandIn
) -> None:
    bot = drift_bot(CCBOT_ACCESS_MAX_ADDITIONS="20")
    _run(bot)
    button = _button(slack.messages(ADMIN)[0])
    # Someone joined a team by hand after the plan was posted: the plan shown is no longer the plan.
    world.add_team(EDX, members=["bradenmacdonald"])
    url = slack.response_url("click")
    SlackSender(app=bot.app).interaction(
        block_action(button["action_id"], button["value"], user_id=ADMIN, response_url=url)
    )
    assert world.writes() == []
    [answer] = slack.state.responses
    assert "changed since the plan was reviewed" in answer["text"]
    assert "no longer planned:  + bradenmacdonald to openedx/committers-edx-platform" in answer["text"]


def test_only_an_admin_can_click_apply(
    drift_bot: Callable[..., Bot], world: GitHubStandIn, slack: SlackStandIn
) -> None:
    bot = drift_bot(CCBOT_ACCESS_MAX_ADDITIONS="20")
    _run(bot)
    button = _button(slack.messages(ADMIN)[0])
    url = slack.response_url("click")
    SlackSender(app=bot.app).interaction(
        block_action(button["action_id"], button["value"], user_id="U0PILOT02", response_url=url)
    )
    assert world.writes() == []
    assert "Only a program admin" in slack.state.responses[0]["text"]


def test_with_auto_apply_the_drift_job_makes_the_changes_and_reports_them(
    drift_bot: Callable[..., Bot], session: Session, world: GitHubStandIn, slack: SlackStandIn
) -> None:
    outcome = _run(drift_bot(CCBOT_ACCESS_AUTO_APPLY="true", CCBOT_ACCESS_MAX_ADDITIONS="20"))
    assert str(outcome).startswith("applied: 3 added, 3 invited, 2 removed, 0 failed, 1 removal notice sent")
    [dm] = slack.messages(ADMIN)
    assert "GitHub team access applied" in dm["text"]
    assert len(world.writes()) == 8
    assert {c.actor for c in list_access_changes(session)} == {"ccbot:access_drift"}
    # regisb hears that her access ends in a week, and why.
    regis = slack.messages("U0PILOT08")
    assert any("Your GitHub team access ends on" in m["text"] for m in regis)


@pytest.mark.parametrize(
    ("limit", "value", "words"),
    [("CCBOT_ACCESS_MAX_REMOVALS", "1", "removes 2"), ("CCBOT_ACCESS_MAX_ADDITIONS", "3", "adds 6")],
)
def test_with_auto_apply_more_than_the_caps_is_refused_and_the_plan_posted(
    drift_bot: Callable[..., Bot],
    world: GitHubStandIn,
    slack: SlackStandIn,
    limit: str,
    value: str,
    words: str,
) -> None:
    outcome = _run(drift_bot(CCBOT_ACCESS_AUTO_APPLY="true", **{limit: value}))
    assert str(outcome).startswith("not applied")
    shown = _shown(slack.messages(ADMIN)[0])
    assert "was not changed" in shown
    assert words in shown
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
