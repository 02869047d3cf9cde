"""`/cc-owners` answers from synced metadata; Request an intro posts once and says where, or that it is queued."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from bot.ids import Action
from bot.services.owners import sync_owners
from tests.conftest import NOW, ROOT, RunningBot
from tests.slack_requests import block_action


@pytest.fixture
def owners_bot(bot: RunningBot) -> RunningBot:
    with bot.runtime.session_factory() as session:
        sync_owners(session, ROOT / "examples" / "owners", now=NOW, actor="test")
    return bot


def _owners(bot: RunningBot) -> dict[str, Any]:
    """Ask for the owners of the certificates app; return the answer."""
    response = bot.sender.command(
        "/cc-owners", "openedx/edx-platform lms/djangoapps/certificates/", user_id="U0PILOT01"
    )
    return dict(response.json())


def _request_intro(bot: RunningBot, answer: dict[str, Any], key: str) -> str:
    """Click Request an intro under an answer; return what the committer was told."""
    button = next(b for b in answer["blocks"] if b["type"] == "actions")["elements"][0]
    click = block_action(
        Action.REQUEST_INTRO,
        button["value"],
        user_id="U0PILOT01",
        message={"channel": "C0GENERAL", "ts": "0", "blocks": answer["blocks"]},
        response_url=bot.slack.response_url(key),
    )
    assert bot.sender.interaction(click).status_code == 200
    [told] = [r for r in bot.slack.state.responses if r["key"] == key]
    return str(told["text"])


def test_owners_of_a_path_with_an_intro_button(owners_bot: RunningBot) -> None:
    body = _owners(owners_bot)
    text = json.dumps(body["blocks"])
    assert "<@U0CHAMP02>" in text, "feanil owns certificates by CODEOWNERS"
    assert "openedx/aperture" in text
    assert "CODEOWNERS line 3" in text
    button = next(b for b in body["blocks"] if b["type"] == "actions")["elements"][0]
    assert button["action_id"] == Action.REQUEST_INTRO

    first = _request_intro(owners_bot, body, "first")
    intros = owners_bot.slack.messages("C0COORD01")
    assert len(intros) == 1
    link = f"https://ccbot-standin.slack.com/archives/C0COORD01/p{intros[0]['ts'].replace('.', '')}"
    assert f"I posted your intro to the owners of openedx/edx-platform <{link}|" in first
    second = _request_intro(owners_bot, body, "second")
    assert len(owners_bot.slack.messages("C0COORD01")) == 1, "a second click does not post a second intro"
    assert "already asked" in second
    assert link in second
    assert "<@U0CHAMP02>" in intros[0]["text"]
    assert "<@U0PILOT01>" in intros[0]["text"]
    assert "<@U0CHAMP01>" in intros[0]["text"], "the committer's champions are in the intro"


def test_an_intro_slack_cannot_take_now_is_queued_and_posted_once_later(owners_bot: RunningBot) -> None:
    body = _owners(owners_bot)
    # A refusal the client does not retry itself (Slack's internal_error): the outbox retries it later.
    owners_bot.slack.fail("chat.postMessage", status=400, count=1)
    told = _request_intro(owners_bot, body, "first")
    assert "is queued" in told
    assert owners_bot.slack.messages("C0COORD01") == []
    again = _request_intro(owners_bot, body, "again")
    assert "already asked" in again
    assert "queued" in again
    owners_bot.bot.run_job("outbox_delivery", now=NOW + dt.timedelta(hours=1))
    owners_bot.bot.run_job("outbox_delivery", now=NOW + dt.timedelta(hours=2))
    [intro] = owners_bot.slack.messages("C0COORD01")
    assert "<@U0PILOT01>" in intro["text"]


def test_an_unknown_repo_gets_a_clear_answer(owners_bot: RunningBot) -> None:
    response = owners_bot.sender.command("/cc-owners", "openedx/unknown-repo", user_id="U0PILOT01")
    assert "I know no owners for `openedx/unknown-repo`" in response.json()["text"]


def test_no_argument_gets_the_usage(owners_bot: RunningBot) -> None:
    assert (
        "Usage: `/cc-owners org/repo [path]`"
        in owners_bot.sender.command("/cc-owners", user_id="U0PILOT01").json()["text"]
    )
