"""The buttons of a production notice's DM: only the committer answers; the DM is redrawn and the thread told."""

from __future__ import annotations

import json
from typing import Any

from bot.ids import Action
from bot.services.notices import parse_payload, record_deployment
from tests.conftest import RunningBot
from tests.services.test_notices import ESCAPED, REVERT
from tests.slack_requests import block_action

ZIA, JBOWMAN, COORDINATION = "U0PILOT01", "U0CHAMP01", "C0COORD01"


def _notified(bot: RunningBot) -> tuple[str, dict[str, Any]]:
    """Record the escaped issue as the webhook does and deliver it; return the notice id and Zia's DM."""
    with bot.runtime.session_factory() as session:
        outcome = record_deployment(
            session, parse_payload(ESCAPED), now=bot.runtime.clock(), channels=bot.runtime.channels
        )
        bot.runtime.deliver(session, outcome.keys)
    [dm] = bot.slack.messages(ZIA)
    return str(outcome.new[0].id), dm


def _thread_notes(bot: RunningBot) -> list[dict[str, Any]]:
    return [m for m in bot.slack.messages(COORDINATION) if m.get("thread_ts")]


def test_need_help_pulls_in_the_champions_and_reverting_then_deploying_the_revert_is_timed(
    bot: RunningBot,
) -> None:
    notice_id, dm = _notified(bot)
    [thread] = bot.slack.messages(COORDINATION)

    bot.sender.interaction(block_action(Action.NOTICE_HELP, notice_id, user_id=ZIA, message=dm))
    [help_note] = _thread_notes(bot)
    assert help_note["thread_ts"] == thread["ts"]
    assert "needs help" in help_note["text"]
    assert f"<@{JBOWMAN}>" in help_note["text"]

    bot.sender.interaction(block_action(Action.NOTICE_REVERTING, notice_id, user_id=ZIA, message=dm))
    [redrawn] = bot.slack.messages(ZIA)
    assert "You are reverting" in json.dumps(redrawn["blocks"])
    assert "is reverting" in _thread_notes(bot)[-1]["text"]
    updates = bot.slack.calls("chat.update")
    assert {c.args["ts"] for c in updates} == {dm["ts"]}, "the DM itself is redrawn"

    with bot.runtime.session_factory() as session:
        outcome = record_deployment(
            session, parse_payload(REVERT), now=bot.runtime.clock(), channels=bot.runtime.channels
        )
    assert outcome.reverted == 1
    assert len(bot.slack.messages(ZIA)) == 1, "a deployment reaching production is recorded, not DMed"
    assert "your PR openedx/edx-platform#35177 reached production" in json.dumps(
        bot.sender.command("/cc", user_id=ZIA).json()["blocks"]
    )


def test_someone_else_clicking_is_refused_and_nothing_is_sent(bot: RunningBot) -> None:
    notice_id, dm = _notified(bot)
    before = len(bot.slack.state.calls)
    click = block_action(
        Action.NOTICE_HELP,
        notice_id,
        user_id="U0PILOT02",
        message=dm,
        response_url=bot.slack.response_url("other"),
    )
    assert bot.sender.interaction(click).status_code == 200
    [refusal] = [r for r in bot.slack.state.responses if r["key"] == "other"]
    assert "Only the committer" in refusal["text"]
    assert [c.method for c in bot.slack.state.calls[before:] if c.method.startswith("chat.")] == []
    assert _thread_notes(bot) == []


def test_the_same_answer_twice_tells_the_thread_once(bot: RunningBot) -> None:
    notice_id, dm = _notified(bot)
    for _ in range(2):
        bot.sender.interaction(block_action(Action.NOTICE_NOT_MINE, notice_id, user_id=ZIA, message=dm))
    notes = _thread_notes(bot)
    assert len(notes) == 1
    assert "is not the cause" in notes[0]["text"]
    assert "not your change" in json.dumps(bot.slack.messages(ZIA)[0]["blocks"])
