"""Fuzzing the Slack surfaces with hypothesis: any text, any modal values, any webhook body -> a clear answer, never a 5xx."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlmodel import select

from bot.assembly import build_bot
from bot.hooks import DeploymentHook, signature_problem
from bot.ids import Command, Input, ViewId
from bot.runtime import Runtime
from bot.settings import load_settings
from bot.slack_standin import SlackStandIn
from storage.db import upgrade
from storage.models import DeploymentEvent, Escalation, Question
from tests.conftest import NOW, load_pilot

SECRET = secrets.token_hex(16)
HOOK_SECRET = "fuzz-hook-secret"
NASTY = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.sampled_from("<>&@!#|*_`~\n\t \u200b\u202e"), max_size=50),
    st.sampled_from(
        [
            "<!channel>",
            "<!here|here>",
            "<@U0PILOT01>",
            "<https://evil.example|click>",
            "\x00",
            "🚀" * 400,
            "a" * 5000,
        ]
    ),
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, Runtime, SlackStandIn]]:
    slack = SlackStandIn().start()
    path = Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.db"
    settings_ = load_settings(
        SLACK_BOT_TOKEN="xoxb-fuzz",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url,
        CCBOT_DATABASE_URL=f"sqlite:///{path}",
        CCBOT_COORDINATION_CHANNEL="C0COORD01",
        CCBOT_MANAGEMENT_CHANNEL="C0MGMT001",
        CCBOT_WEBHOOK_SECRET=HOOK_SECRET,
    )
    built = build_bot(settings_, clock=lambda: NOW, process_before_response=True)
    upgrade(built.runtime.engine)
    with built.runtime.session_factory() as session:
        load_pilot(session)
    yield built.app, built.runtime, slack
    slack.stop()
    built.close()


def _dispatch(app: App, body: str, content_type: str) -> Any:
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body) or ""
    headers = {
        "content-type": [content_type],
        "x-slack-request-timestamp": [ts],
        "x-slack-signature": [signature],
    }
    return app.dispatch(BoltRequest(body=body, headers=headers))


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(
    command=st.sampled_from(list(Command)),
    text=NASTY,
    user=st.sampled_from(["U0PILOT01", "U0CHAMP01", "U0ADMIN01", "U0NOBODY9"]),
)
def test_any_command_text_gets_an_answer_never_an_error(
    world: Any, command: Command, text: str, user: str
) -> None:
    app, _runtime, slack = world
    body = urlencode(
        {
            "command": command.value,
            "text": text,
            "user_id": user,
            "team_id": "T0",
            "trigger_id": "t.1",
            "response_url": slack.response_url("fuzz"),
            "channel_id": "C0X",
        }
    )
    response = _dispatch(app, body, "application/x-www-form-urlencoded")
    assert response.status == 200
    assert "Traceback" not in (response.body or "")
    if response.body:
        data = json.loads(response.body)
        assert data.get("text") or data.get("blocks"), "a refusal says something"
        assert "error id" not in json.dumps(data), f"an input should never reach the generic error: {text!r}"


def _view(callback: ViewId, values: dict[str, Any], metadata: str = "") -> str:
    state = {block: {block: value} for block, value in values.items()}
    payload = {
        "type": "view_submission",
        "user": {"id": "U0PILOT01"},
        "team": {"id": "T0"},
        "view": {
            "type": "modal",
            "callback_id": callback.value,
            "private_metadata": metadata,
            "state": {"values": state},
        },
    }
    return urlencode({"payload": json.dumps(payload)})


@FUZZ
@given(url=NASTY, question=NASTY, urgency=st.one_of(st.none(), NASTY))
def test_any_question_submission_is_a_field_error_or_a_stored_question(
    world: Any, url: str, question: str, urgency: str | None
) -> None:
    app, runtime, _slack = world
    with runtime.session_factory() as session:
        before = len(session.exec(select(Question.id)).all())
    values = {
        Input.PR_URL.value: {"type": "plain_text_input", "value": url},
        Input.QUESTION.value: {"type": "plain_text_input", "value": question},
        Input.URGENCY.value: {
            "type": "static_select",
            "selected_option": {"value": urgency} if urgency else None,
        },
    }
    response = _dispatch(app, _view(ViewId.ASK, values), "application/x-www-form-urlencoded")
    assert response.status == 200
    with runtime.session_factory() as session:
        after = len(session.exec(select(Question.id)).all())
    if response.body:
        assert json.loads(response.body)["response_action"] == "errors"
        assert after == before, "a refused submission stores nothing"
    else:
        assert after == before + 1


@FUZZ
@given(summary=NASTY, impact=NASTY, related=NASTY)
def test_any_escalation_submission_is_a_field_error_or_a_stored_escalation(
    world: Any, summary: str, impact: str, related: str
) -> None:
    app, runtime, _slack = world
    with runtime.session_factory() as session:
        before = len(session.exec(select(Escalation.id)).all())
    values = {
        Input.ESCALATION_SUMMARY.value: {"type": "plain_text_input", "value": summary},
        Input.ESCALATION_IMPACT.value: {"type": "plain_text_input", "value": impact},
        Input.ESCALATION_RELATED.value: {"type": "plain_text_input", "value": related},
        Input.URGENCY.value: {"type": "static_select", "selected_option": {"value": "normal"}},
    }
    response = _dispatch(app, _view(ViewId.ESCALATE, values), "application/x-www-form-urlencoded")
    assert response.status == 200
    with runtime.session_factory() as session:
        after = len(session.exec(select(Escalation.id)).all())
    assert after == (before if response.body else before + 1)


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=20,
)
BODIES = st.one_of(
    st.binary(max_size=200),
    JSON.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {
            "event": st.sampled_from(["escaped_issue", "deployed_production", "rolled_back", "nope"]),
            "environment": NASTY,
            "repo": NASTY,
        },
        optional={
            "pull_requests": JSON,
            "incident_id": NASTY,
            "details": NASTY,
            "summary": NASTY,
            "sha_range": NASTY,
        },
    ).map(lambda v: json.dumps(v).encode()),
)


@FUZZ
@given(body=BODIES)
def test_any_signed_webhook_body_gets_200_or_400_and_a_reason(world: Any, body: bytes) -> None:
    import hashlib
    import hmac

    _app, runtime, _slack = world
    hook = DeploymentHook(runtime)
    ts = str(int(time.time()))
    signature = (
        "sha256=" + hmac.new(HOOK_SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    headers = {"x-ccbot-timestamp": ts, "x-ccbot-signature": signature}
    assert signature_problem(HOOK_SECRET, headers, body) is None
    with runtime.session_factory() as session:
        before = len(session.exec(select(DeploymentEvent.id)).all())
    answer = hook.handle(headers, body)
    assert answer.status in {200, 400}, answer.body
    with runtime.session_factory() as session:
        after = len(session.exec(select(DeploymentEvent.id)).all())
    if answer.status == 400:
        assert answer.body["error"]
        assert after == before, "a refused body stores nothing"
