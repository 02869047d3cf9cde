"""The shapes of Slack's request bodies: what Slack sends passes, what Bolt or a handler would trip on is named."""

from __future__ import annotations

from typing import Any

import pytest

from bot.ids import Action, ViewId
from bot.slack_shapes import shape_problem
from tests.slack_requests import block_action, view_submission

ZIA = "U0PILOT01"
MODAL = {"id": "V0SHAPE01", "type": "modal", "callback_id": ViewId.ASK.value}
SUBMISSION = view_submission(MODAL, {"pr_url": {"type": "plain_text_input", "value": None}}, user_id=ZIA)
CLICK = block_action(Action.CLAIM_QUESTION.value, "1", user_id=ZIA, message={"channel": "C0A", "ts": "1.2"})
COMMAND = {"command": "/cc", "text": "", "user_id": ZIA, "trigger_id": "1.2", "response_url": ""}
EVENT = {
    "type": "event_callback",
    "event_id": "Ev1",
    "event": {"type": "message", "channel": "C0A", "ts": "1.2"},
}


@pytest.mark.parametrize(
    "body",
    [
        SUBMISSION,
        {**SUBMISSION, "enterprise": None, "team": None},  # Slack sends null for these
        CLICK,
        {**CLICK, "message": {**CLICK["message"], "thread_ts": None}},
        COMMAND,
        EVENT,
        {
            "type": "event_callback",
            "event_id": "Ev2",
            "event": {"type": "message", "subtype": "message_deleted"},
        },
        {"type": "url_verification", "challenge": "abc"},
        {"ssl_check": "1", "token": "x"},
    ],
)
def test_what_slack_sends_passes(body: dict[str, Any]) -> None:
    assert shape_problem(body) is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({**SUBMISSION, "view": {"callback_id": ViewId.ASK.value}}, "view.type is missing"),
        ({**SUBMISSION, "view": None}, "view is not an object"),
        ({**SUBMISSION, "view": {**MODAL, "state": {"values": []}}}, "view.state.values is not an object"),
        ({**CLICK, "actions": []}, "actions is empty"),
        ({**CLICK, "actions": [{"value": "1"}]}, "actions[0].action_id is missing"),
        ({**CLICK, "user": {"id": ""}}, "user.id is not a Slack id"),
        ({**CLICK, "response_url": "javascript:alert(1)"}, "response_url is not an http(s) URL"),
        ({**COMMAND, "trigger_id": 7}, "trigger_id is not a string"),
        ({**EVENT, "event_id": "x" * 65}, "event_id is not an event id"),
        ({**EVENT, "event": {"type": "app_home_opened"}}, "event.user is missing"),
        ([1, 2], "the body is not an object"),
    ],
)
def test_what_would_trip_bolt_or_a_handler_is_named(body: Any, problem: str) -> None:
    found = shape_problem(body)
    assert found is not None
    assert found.startswith(problem), found
