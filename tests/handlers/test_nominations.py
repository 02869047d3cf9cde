"""Nominations through Slack: `/cc-nominate` and its modal, votes that redraw the tally, closing approved
(or rejected on a single no) with the result in the post's thread and the admins' checklist."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from sqlmodel import select

from bot.ids import Action, Input
from bot.jobs.registry import run_job
from bot.services.admin import set_phase
from bot.services.logins import LOGIN_RULE
from bot.types.policy import Channels
from storage.models import Nomination, Phase
from storage.roster import get_person_by_github
from tests.conftest import NOW, RunningBot, wait_until
from tests.slack_requests import block_action, text_input, user_input, view_submission

ZIA = "U0PILOT01"
VOTERS = ["U0PILOT02", "U0PILOT03", "U0PILOT04", "U0PILOT05"]  # with Zia's own yes: five
COORDINATION = "C0COORD01"
ADMIN = "U0ADMIN01"
BOOTSTRAP_ADMIN = "U0ADMIN99"  # CCBOT_ADMINS in the test settings


def _establish(bot: RunningBot) -> None:
    with bot.runtime.session_factory() as session:
        admin = get_person_by_github(session, "cc-coordinator")
        assert admin is not None
        set_phase(
            session,
            admin,
            phase=Phase.ESTABLISH,
            nda_required=True,
            milestones="",
            now=NOW,
            channels=Channels(),
        )


def _nominate(bot: RunningBot, github: str, *, text: str = "") -> dict[str, Any]:
    before = len(bot.slack.calls("views.open"))
    assert bot.sender.command("/cc-nominate", text, user_id=ZIA).status_code == 200
    wait_until(lambda: len(bot.slack.calls("views.open")) > before, what="nomination modal")
    view = bot.slack.calls("views.open")[-1].args["view"]
    values = {
        Input.GITHUB.value: text_input(github),
        Input.NAME.value: text_input(github.title()),
        Input.ORGANIZATION.value: text_input("Newbie Inc"),
        Input.REPOS.value: text_input("openedx/edx-platform"),
        Input.REASON.value: text_input("Forty merged PRs and steady reviews"),
    }
    # Slack submits a pre-filled select's initial value as the state.
    slack_field = next(b for b in view["blocks"] if b["block_id"] == Input.SLACK_USER.value)
    if slack_field["element"].get("initial_user"):
        values[Input.SLACK_USER.value] = user_input(slack_field["element"]["initial_user"])
    assert bot.sender.interaction(view_submission(view, values, user_id=ZIA)).status_code == 200
    return wait_until(  # type: ignore[return-value]
        lambda: next((m for m in bot.slack.messages(COORDINATION) if github in m["text"]), None),
        what="nomination post",
    )


def _vote(bot: RunningBot, post: dict[str, Any], user: str, yes: bool = True, key: str = "") -> None:
    nomination_id = next(e["value"] for b in post["blocks"] if b["type"] == "actions" for e in b["elements"])
    action = Action.VOTE_YES if yes else Action.VOTE_NO
    payload = block_action(
        action, nomination_id, user_id=user, message=post, response_url=bot.slack.response_url(key or user)
    )
    assert bot.sender.interaction(payload).status_code == 200


def _close(bot: RunningBot, when: dt.datetime) -> None:
    bot.bot.run_job("nomination_results", now=when)


def test_nominations_wait_for_the_establish_phase(bot: RunningBot) -> None:
    text = bot.sender.command("/cc-nominate", user_id=ZIA).json()["text"]
    assert "establish" in text


def test_a_nomination_collects_votes_and_closes_approved_with_an_onboarding_nominee(bot: RunningBot) -> None:
    _establish(bot)
    post = _nominate(bot, "newbie", text="<@U0NEWBIE1|newbie> openedx/edx-platform great reviews")
    prefilled = bot.slack.calls("views.open")[-1].args["view"]
    slack_field = next(b for b in prefilled["blocks"] if b["block_id"] == Input.SLACK_USER.value)
    assert slack_field["element"]["initial_user"] == "U0NEWBIE1"
    assert "1 yes · 0 no" in json.dumps(post["blocks"], ensure_ascii=False), "the sponsor's yes counts"
    _vote(bot, post, VOTERS[0], yes=False)
    for voter in VOTERS:
        _vote(bot, post, voter)  # the first voter changes their no to yes
    _vote(bot, post, "U0CHAMP01", key="champion")
    refusal = wait_until(
        lambda: [r for r in bot.slack.state.responses if r["key"] == "champion"], what="refusal"
    )
    assert "Only active core committers vote" in refusal[0]["text"]  # type: ignore[index]
    wait_until(
        lambda: (
            "5 yes · 0 no" in json.dumps(bot.slack.messages(COORDINATION)[-1]["blocks"], ensure_ascii=False)
        ),
        what="tally",
    )

    _close(bot, NOW + dt.timedelta(days=13))
    with bot.runtime.session_factory() as session:
        assert session.exec(select(Nomination.state)).one() == "open", "the comment period is fourteen days"
    _close(bot, NOW + dt.timedelta(days=14, minutes=1))
    _close(bot, NOW + dt.timedelta(days=14, minutes=2))
    with bot.runtime.session_factory() as session:
        newbie = get_person_by_github(session, "newbie")
        assert newbie is not None
        assert newbie.status == "onboarding"
        assert newbie.slack_user_id == "U0NEWBIE1"
    thread = [m for m in bot.slack.messages(COORDINATION) if m.get("thread_ts")]
    assert len(thread) == 1
    assert thread[0]["thread_ts"] == post["ts"], "the result goes in the nomination's thread"
    assert "Approved with 5 yes" in thread[0]["text"]
    for admin in (ADMIN, BOOTSTRAP_ADMIN):
        checklist = [m for m in bot.slack.messages(admin) if "Onboarding checklist" in m["text"]]
        assert len(checklist) == 1, admin
        assert "Assign 2 champions" in checklist[0]["text"]
    redrawn = json.dumps(bot.slack.messages(COORDINATION)[0]["blocks"], ensure_ascii=False)
    assert "Approved" in redrawn
    assert Action.VOTE_YES.value not in redrawn, "a closed nomination has no vote buttons"


def test_a_single_no_vote_rejects(bot: RunningBot) -> None:
    _establish(bot)
    post = _nominate(bot, "contested")
    for voter in VOTERS:
        _vote(bot, post, voter)
    _vote(bot, post, "U0PILOT06", yes=False)
    wait_until(
        lambda: (
            "5 yes · 1 no" in json.dumps(bot.slack.messages(COORDINATION)[-1]["blocks"], ensure_ascii=False)
        ),
        what="tally",
    )
    _close(bot, NOW + dt.timedelta(days=15))
    thread = [m for m in bot.slack.messages(COORDINATION) if m.get("thread_ts")]
    assert "Not approved: 1 no vote" in thread[0]["text"]
    with bot.runtime.session_factory() as session:
        assert get_person_by_github(session, "contested") is None


def test_the_digest_counts_pending_nominations(bot: RunningBot) -> None:
    _establish(bot)
    _nominate(bot, "pending-one")
    channels = dataclasses.replace(bot.runtime.channels, digest="C0DIGEST1")
    with bot.runtime.session_factory() as session:
        context = bot.runtime.job_context(session, now=NOW + dt.timedelta(days=1))
        run_job("weekly_digest", dataclasses.replace(context, channels=channels))
    digest = json.dumps(bot.slack.messages("C0DIGEST1"), ensure_ascii=False)
    assert "*Pending nominations:* 1 open for votes" in digest


def _nomination_errors(bot: RunningBot, github: str) -> dict[str, str]:
    assert bot.sender.command("/cc-nominate", "", user_id=ZIA).status_code == 200
    view = bot.slack.calls("views.open")[-1].args["view"]
    values = {
        Input.GITHUB.value: text_input(github),
        Input.NAME.value: text_input("Mallory"),
        Input.REPOS.value: text_input("openedx/edx-platform"),
        Input.REASON.value: text_input("Forty merged PRs and steady reviews"),
    }
    answer = bot.sender.interaction(view_submission(view, values, user_id=ZIA)).json()
    assert answer["response_action"] == "errors", answer
    errors: dict[str, str] = answer["errors"]
    return errors


@pytest.mark.parametrize(
    ("github", "problem"),
    [
        ("x/../../../admins/memberships/mallory", "it contains '/'"),
        ("<!channel>", "it contains '<'"),
        ("<@U0PILOT02>", "it contains '<'"),
        ("<https://evil.example|Vote here>", "it contains '<'"),
        ("dou--ble", "it has two hyphens in a row"),
        ("-mallory", "it starts with a hyphen"),
        ("m" * 40, "it is 40 characters long"),
    ],
)
def test_a_nominee_handle_github_would_not_allow_is_a_field_error_and_nothing_is_posted(
    bot: RunningBot, github: str, problem: str
) -> None:
    _establish(bot)
    errors = _nomination_errors(bot, github)
    assert errors == {
        Input.GITHUB.value: f"Not a GitHub handle: {problem} ({LOGIN_RULE}).",
    }
    assert bot.slack.messages(COORDINATION) == []
    with bot.runtime.session_factory() as session:
        assert session.exec(select(Nomination)).all() == []
