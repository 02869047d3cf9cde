"""Retros through Slack: `/cc-retro` and the Share feedback button open the same 4Ls form, kept until closing."""

from __future__ import annotations

import datetime as dt
import json

from bot.ids import Action, Input
from bot.services.retros import open_retro
from storage.models import RetroAudience
from tests.conftest import NOW, RunningBot, wait_until
from tests.slack_requests import block_action, text_input, view_submission


def test_cc_retro_and_the_share_button_open_the_same_form(bot: RunningBot) -> None:
    assert "no retro open" in bot.sender.command("/cc-retro", user_id="U0PILOT01").json()["text"]
    with bot.runtime.session_factory() as session:
        retro, _ = open_retro(
            session,
            name="pilot",
            closes_on=dt.date(2026, 12, 9),
            audience=RetroAudience.ALL,
            now=NOW,
            actor="t",
        )
    bot.sender.command("/cc-retro", user_id="U0PILOT01")
    wait_until(lambda: bot.slack.calls("views.open"), what="retro modal")
    view = bot.slack.calls("views.open")[-1].args["view"]
    empty = bot.sender.interaction(view_submission(view, {}, user_id="U0PILOT01")).json()
    assert empty["response_action"] == "errors"
    values = {
        Input.LIKED.value: text_input("The <!here> threads"),
        Input.ANONYMOUS.value: {"type": "checkboxes", "selected_options": [{"value": "anonymous"}]},
    }
    thanks = bot.sender.interaction(view_submission(view, values, user_id="U0PILOT01")).json()
    assert "saved anonymously" in json.dumps(thanks)
    bot.sender.interaction(block_action(Action.SHARE_FEEDBACK, str(retro.id), user_id="U0PILOT01"))
    wait_until(lambda: len(bot.slack.calls("views.open")) == 2, what="modal from the button")
    again = bot.slack.calls("views.open")[-1].args["view"]
    liked = next(b for b in again["blocks"] if b.get("block_id") == Input.LIKED.value)
    assert liked["element"]["initial_value"] == "The <!here> threads", "answers can be changed until closing"
    stranger = bot.sender.command("/cc-retro", user_id="U0NOBODY1").json()["text"]
    assert "roster" in stranger
