"""The core-contributor label: added, through GitHub's API, to pull requests active committers open or reopen on
repositories they hold a grant for, and to nobody else's; once per delivery, by GitHub account id."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlmodel import Session

from bot.github_standin import GitHubStandIn
from bot.slack_standin import SlackStandIn
from storage.models import Person, Status
from storage.roster import get_person_by_github
from tests.conftest import RunningBot, running_bot
from tests.test_github_hook import account_id, deliver, pr_payload

LABEL = "core contributor"


@pytest.fixture
def hooked(
    db_url: str,
    slack: SlackStandIn,
    github: GitHubStandIn,
    clock: list[dt.datetime],
    request: pytest.FixtureRequest,
) -> Iterator[RunningBot]:
    """The bot with the pilot roster, talking to the GitHub stand-in."""
    github.add_repo("openedx/edx-platform")
    github.add_repo("openedx/XBlock")
    yield from running_bot(
        db_url,
        slack,
        clock,
        request,
        in_process=True,
        GITHUB_API_URL=github.url,
        CCBOT_GITHUB_TOKEN=github.token,
    )


def _label_calls(github: GitHubStandIn) -> list[str]:
    return [c.path for c in github.writes() if c.path.endswith("/labels")]


def _change(bot: RunningBot, login: str, change: object) -> None:
    with bot.runtime.session_factory() as session:
        person = get_person_by_github(session, login)
        assert person is not None
        change(person)  # type: ignore[operator]
        session.add(person)
        session.commit()


def _person(session: Session, login: str) -> Person:
    found = get_person_by_github(session, login)
    assert found is not None
    return found


def test_an_active_committers_pull_request_on_their_repository_gets_the_label_once(
    hooked: RunningBot, github: GitHubStandIn
) -> None:
    answer = deliver(hooked, "pull_request", pr_payload("opened", 7001), delivery="open-1")
    assert answer.status_code == 200
    assert answer.json()["labels"] == "added", answer.json()
    repo = github.repos["openedx/edx-platform"]
    assert repo.issue_labels[7001] == [LABEL]
    assert LABEL in repo.labels, "GitHub's add-labels endpoint made the label the repository lacked"
    assert _label_calls(github) == ["/repos/openedx/edx-platform/issues/7001/labels"]
    # GitHub redelivers: the delivery id (and the signed body) was seen, so GitHub is not called again.
    again = deliver(hooked, "pull_request", pr_payload("opened", 7001), delivery="open-1")
    assert again.json()["status"] == "duplicate"
    assert len(_label_calls(github)) == 1
    # Reopened later: one more call, and still the one label.
    deliver(hooked, "pull_request", pr_payload("reopened", 7001), delivery="reopen-1")
    assert len(_label_calls(github)) == 2
    assert repo.issue_labels[7001] == [LABEL]


def test_the_label_is_the_one_the_setting_names(
    db_url: str,
    slack: SlackStandIn,
    github: GitHubStandIn,
    clock: list[dt.datetime],
    request: pytest.FixtureRequest,
) -> None:
    github.add_repo("openedx/edx-platform")
    bot = next(
        running_bot(
            db_url,
            slack,
            clock,
            request,
            in_process=True,
            GITHUB_API_URL=github.url,
            CCBOT_GITHUB_TOKEN=github.token,
            CCBOT_CC_LABEL="open source core",
        )
    )
    try:
        deliver(bot, "pull_request", pr_payload("opened", 7002), delivery="open-2")
        assert github.repos["openedx/edx-platform"].issue_labels[7002] == ["open source core"]
    finally:
        bot.stop()


@pytest.mark.parametrize(
    ("who", "repo", "arrange", "why"),
    [
        ("jbowman", "openedx/edx-platform", None, "a champion, not a committer"),
        ("somebody-else", "openedx/edx-platform", None, "not on the roster"),
        ("ziafazal", "openedx/XBlock", None, "no grant for that repository"),
        ("idegtiarov", "openedx/xblock-lti-consumer", None, "still onboarding (an agreement missing)"),
        ("ziafazal", "openedx/edx-platform", "lapsed", "lapsed"),
        ("ziafazal", "openedx/edx-platform", "alumni", "alumni"),
        ("ziafazal", "openedx/edx-platform", "other-account", "the login is another account's now"),
    ],
)
def test_nobody_else_gets_the_label(
    hooked: RunningBot, github: GitHubStandIn, who: str, repo: str, arrange: str | None, why: str
) -> None:
    if arrange == "lapsed":
        _change(hooked, who, lambda p: setattr(p, "status", Status.LAPSED))
    elif arrange == "alumni":
        _change(hooked, who, lambda p: setattr(p, "removed_on", dt.date(2026, 11, 1)))
    elif arrange == "other-account":
        _change(hooked, who, lambda p: setattr(p, "github_id", account_id(who) + 1))
    github.add_repo(repo) if repo.lower() not in github.repos else None
    answer = deliver(
        hooked, "pull_request", pr_payload("opened", 7003, author=who, repo=repo), delivery="o-3"
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "ignored", (why, answer.json())
    assert "labels" not in answer.json()
    assert _label_calls(github) == [], why


def test_a_pull_request_opened_by_the_same_login_is_matched_by_account_id(
    hooked: RunningBot, github: GitHubStandIn
) -> None:
    # The first delivery records ziafazal's account id; a later one carrying the same id under a new login
    # is still Zia (a rename), and is labelled.
    deliver(hooked, "pull_request", pr_payload("opened", 7004), delivery="o-4")
    renamed = pr_payload("opened", 7005, author="zia-renamed")
    renamed["pull_request"]["user"]["id"] = account_id("ziafazal")
    answer = deliver(hooked, "pull_request", renamed, delivery="o-5")
    assert answer.json()["labels"] == "added", answer.json()
    assert github.repos["openedx/edx-platform"].issue_labels[7005] == [LABEL]


def test_when_github_refuses_the_label_the_delivery_says_so_and_is_still_recorded(
    hooked: RunningBot, github: GitHubStandIn
) -> None:
    github.tokens.clear()
    answer = deliver(hooked, "pull_request", pr_payload("opened", 7006), delivery="o-6")
    assert answer.status_code == 200
    assert answer.json()["labels"].startswith("failed: GitHub refused the credentials"), answer.json()
