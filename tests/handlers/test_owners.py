"""End to end over HTTP: `/cc-owners` answers from synced metadata; Request an intro posts once."""

from __future__ import annotations

import json

import pytest

from bot.ids import Action
from bot.services.owners import sync_owners
from tests.conftest import NOW, ROOT, RunningBot, wait_until
from tests.slack_requests import block_action


@pytest.fixture
def owners_bot(bot: RunningBot) -> RunningBot:
    with bot.runtime.session_factory() as session:
        sync_owners(session, ROOT / "examples" / "owners", now=NOW, actor="test")
    return bot


def test_owners_of_a_path_with_an_intro_button(owners_bot: RunningBot) -> None:
    response = owners_bot.sender.command(
        "/cc-owners", "openedx/edx-platform lms/djangoapps/certificates/", user_id="U0PILOT01"
    )
    body = response.json()
    text = json.dumps(body["blocks"])
    assert "<@U0CHAMP02>" in text, "feanil owns certificates by CODEOWNERS"
    assert "openedx/aperture" in text
    assert "CODEOWNERS line 3" in text
    button = next(b for b in body["blocks"] if b["type"] == "actions")["elements"][0]
    assert button["action_id"] == Action.REQUEST_INTRO

    message = {"channel": "C0GENERAL", "ts": "0", "blocks": body["blocks"]}
    for _ in range(2):
        click = block_action(
            Action.REQUEST_INTRO,
            button["value"],
            user_id="U0PILOT01",
            message=message,
            response_url=owners_bot.slack.response_url("intro"),
        )
        assert owners_bot.sender.interaction(click).status_code == 200
        wait_until(lambda: owners_bot.slack.state.responses, what="intro confirmation")
    wait_until(lambda: len(owners_bot.slack.state.responses) == 2, what="second confirmation")
    intros = owners_bot.slack.messages("C0COORD01")
    assert len(intros) == 1, "a second click does not post a second intro"
    assert "<@U0CHAMP02>" in intros[0]["text"]
    assert "<@U0PILOT01>" in intros[0]["text"]
    assert "<@U0CHAMP01>" in intros[0]["text"], "the committer's champions are in the intro"
    assert "already asked" in owners_bot.slack.state.responses[1]["text"]


def test_an_unknown_repo_gets_a_clear_answer(owners_bot: RunningBot) -> None:
    response = owners_bot.sender.command("/cc-owners", "openedx/unknown-repo", user_id="U0PILOT01")
    assert "I know no owners for `openedx/unknown-repo`" in response.json()["text"]


def test_no_argument_gets_the_usage(owners_bot: RunningBot) -> None:
    assert (
        "Usage: `/cc-owners org/repo [path]`"
        in owners_bot.sender.command("/cc-owners", user_id="U0PILOT01").json()["text"]
    )
