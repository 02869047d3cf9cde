"""Fuzzing the Slack surfaces with hypothesis: any text, any modal values, any webhook body -> a clear answer, never a 5xx.

Each runs on SQLite and on PostgreSQL (which refuses a NUL in text that SQLite stores). A request whose shape is
not Slack's, however it was broken, gets a 400 or an ordinary refusal and at most one log line, a warning.
"""

from __future__ import annotations

import copy
import json
import logging
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier
from sqlmodel import select

from bot.assembly import build_bot
from bot.hooks import DeploymentHook, signature_problem
from bot.ids import Action, Command, Event, Input, Shortcut, ViewId
from bot.runtime import Runtime
from bot.server import read_slack_request
from bot.settings import load_settings
from bot.slack_standin import SlackStandIn
from storage.models import DeploymentEvent, Escalation, Question
from tests.conftest import NOW, load_pilot, module_database
from tests.slack_requests import block_action, command_body, event_body, interaction_body, view_submission

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


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[App, Runtime, SlackStandIn]]:
    slack = SlackStandIn().start()
    settings_ = load_settings(
        SLACK_BOT_TOKEN="xoxb-fuzz",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url,
        CCBOT_DATABASE_URL=module_database(request, tmp_path_factory.mktemp("fuzz")),
        CCBOT_COORDINATION_CHANNEL="C0COORD01",
        CCBOT_MANAGEMENT_CHANNEL="C0MGMT001",
        CCBOT_WEBHOOK_SECRET=HOOK_SECRET,
    )
    built = build_bot(settings_, clock=lambda: NOW, process_before_response=True)
    with built.runtime.session_factory() as session:
        load_pilot(session)
    yield built.app, built.runtime, slack
    slack.stop()
    built.close()


def _dispatch(app: App, body: str, content_type: str) -> Any:
    """Hand a signed body to the app as the server does: read (400 when it is not Slack's), then dispatched."""
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body) or ""
    headers = {"content-type": content_type, "x-slack-request-timestamp": ts, "x-slack-signature": signature}
    request = read_slack_request(body.encode(errors="surrogatepass"), headers)
    return BoltResponse(status=400, body="") if request is None else app.dispatch(request)


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
def test_any_question_submission_is_a_field_error_a_repeat_or_a_stored_question(
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
        answer = json.loads(response.body)
        # A refusal names the fields to fix; the same question sent again is shown the first one.
        assert answer["response_action"] == "errors" or "Already asked" in json.dumps(answer["view"])
        assert after == before, "a refused or repeated submission stores nothing"
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


class Records(logging.Handler):
    """Keeps the log records of warning level and above written while it is installed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _logged(call: Any) -> tuple[Any, list[logging.LogRecord]]:
    handler = Records()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        return call(), handler.records
    finally:
        root.removeHandler(handler)


# One well-formed request of each kind Slack sends; the fuzz breaks them.
ZIA = "U0PILOT01"
MESSAGE = {"channel": "C0COORD01", "ts": "1700000000.000100", "text": "a post"}
MODAL = {
    "id": "V0FUZZ001",
    "type": "modal",
    "callback_id": ViewId.ASK.value,
    "private_metadata": "",
    "hash": "1",
}
FORM = "application/x-www-form-urlencoded"


def _interaction(payload: dict[str, Any]) -> tuple[Any, str]:
    return payload, FORM


WELL_FORMED: dict[str, tuple[Any, str]] = {
    "view_submission": _interaction(
        view_submission(
            MODAL,
            {
                Input.PR_URL.value: {
                    "type": "plain_text_input",
                    "value": "https://github.com/openedx/edx-platform/pull/1",
                },
                Input.QUESTION.value: {"type": "plain_text_input", "value": "Why?"},
                Input.URGENCY.value: {"type": "static_select", "selected_option": {"value": "normal"}},
            },
            user_id=ZIA,
        )
    ),
    "view_submission (admin)": _interaction(
        view_submission(
            {**MODAL, "callback_id": ViewId.ADMIN_PHASE.value},
            {Input.PHASE.value: {"type": "static_select", "selected_option": {"value": "pilot"}}},
            user_id="U0ADMIN01",
        )
    ),
    "view_closed": _interaction({**view_submission(MODAL, {}, user_id=ZIA), "type": "view_closed"}),
    "block_actions (message)": _interaction(
        block_action(Action.CLAIM_QUESTION.value, "1", user_id=ZIA, message=MESSAGE)
    ),
    "block_actions (modal)": _interaction(
        {
            **block_action(Action.QUIET_SETTINGS.value, "open", user_id=ZIA),
            "view": MODAL,
            "container": {"type": "view", "view_id": "V0FUZZ001"},
        }
    ),
    "shortcut": _interaction(
        {
            "type": "shortcut",
            "callback_id": Shortcut.ASK_CHAMPIONS.value,
            "trigger_id": "1.2",
            "user": {"id": ZIA},
            "team": {"id": "T0"},
        }
    ),
    "message_action": _interaction(
        {
            "type": "message_action",
            "callback_id": Shortcut.ESCALATE_MESSAGE.value,
            "trigger_id": "1.2",
            "user": {"id": ZIA},
            "team": {"id": "T0"},
            "channel": {"id": "C0COORD01"},
            "message": MESSAGE,
            "response_url": "https://hooks.slack.com/actions/T0/1/x",
        }
    ),
    "event: thread reply": (
        json.loads(
            event_body(
                {
                    **MESSAGE,
                    "type": Event.MESSAGE.value,
                    "user": ZIA,
                    "thread_ts": "1700000000.000001",
                    "channel_type": "channel",
                },
                event_id="EvFuzz",
            )
        ),
        "application/json",
    ),
    "event: app home": (
        json.loads(
            event_body(
                {"type": Event.APP_HOME_OPENED.value, "user": ZIA, "channel": "D0HOME", "tab": "home"},
                event_id="EvFuzz",
            )
        ),
        "application/json",
    ),
    "url_verification": ({"type": "url_verification", "challenge": "abc", "token": "t"}, "application/json"),
}
JUNK = st.sampled_from(
    [
        None,
        True,
        0,
        -1,
        10**30,
        1.5,
        "",
        "x" * 3000,
        "\x00",
        "a\x00b",
        "\ud800",
        [],
        {},
        [None],
        [{}],
        {"type": None},
    ]
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value: dict keys and list indexes, depth first."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _break(payload: Any, path: tuple[Any, ...], junk: Any, delete: bool) -> None:
    parent = payload
    for part in path[:-1]:
        parent = parent[part]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(junk)  # a shared junk object could end up inside itself


def _body(payload: Any, content_type: str) -> str:
    if content_type == FORM:
        return interaction_body(payload)
    return json.dumps(payload)


def _no_error_and_one_warning_at_most(response: Any, records: list[logging.LogRecord], what: str) -> None:
    assert response.status < 500, (what, response.status, response.body)
    errors = [r.getMessage()[:200] for r in records if r.levelno >= logging.ERROR]
    assert errors == [], (what, errors)
    assert len(records) <= 1, (what, [r.getMessage()[:200] for r in records])


# Each broken request costs milliseconds: many more of them than of the other fuzz cases.
SHAPES = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SHAPES
@given(kind=st.sampled_from(list(WELL_FORMED)), data=st.data())
def test_any_broken_slack_request_is_refused_or_answered_never_an_error(
    world: Any, kind: str, data: Any
) -> None:
    app, _runtime, _slack = world
    base, content_type = WELL_FORMED[kind]
    payload = copy.deepcopy(base)
    for _ in range(data.draw(st.integers(1, 3), label="breaks")):
        paths = _paths(payload)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths), label="where")
        _break(payload, path, data.draw(JUNK, label="junk"), data.draw(st.booleans(), label="delete"))
    response, records = _logged(lambda: _dispatch(app, _body(payload, content_type), content_type))
    _no_error_and_one_warning_at_most(response, records, json.dumps(payload)[:300])


@FUZZ
@given(
    field=st.sampled_from(["command", "text", "user_id", "trigger_id", "channel_id", "response_url"]),
    data=st.data(),
)
def test_any_broken_command_is_refused_or_answered_never_an_error(world: Any, field: str, data: Any) -> None:
    app, _runtime, slack = world
    body = command_body(Command.CC.value, user_id=ZIA, response_url=slack.response_url("fuzz"))
    fields = {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}
    if data.draw(st.booleans(), label="delete"):
        del fields[field]
    else:
        fields[field] = data.draw(
            st.sampled_from(["", "\x00", "x" * 3000, "\ud800", "%", "&=&"]), label="junk"
        )
    body = urlencode(fields, errors="surrogatepass")
    response, records = _logged(lambda: _dispatch(app, body, FORM))
    _no_error_and_one_warning_at_most(response, records, f"{field}={fields.get(field)!r}")


# The shapes the red team sent: each is refused with a 400 and one warning.
MALFORMED: dict[str, tuple[Any, str]] = {
    "a view without a type": _interaction(
        {
            **view_submission(MODAL, {}, user_id=ZIA),
            "view": {"callback_id": ViewId.ASK.value, "state": {"values": {}}},
        }
    ),
    "a view that is null": _interaction({**view_submission(MODAL, {}, user_id=ZIA), "view": None}),
    "a view whose state is a string": _interaction(
        {**view_submission(MODAL, {}, user_id=ZIA), "view": {**MODAL, "state": "x"}}
    ),
    "values that are a list": _interaction(
        {**view_submission(MODAL, {}, user_id=ZIA), "view": {**MODAL, "state": {"values": []}}}
    ),
    "a callback id that is a number": _interaction(
        {**view_submission(MODAL, {}, user_id=ZIA), "view": {**MODAL, "callback_id": 7}}
    ),
    "actions without an id": _interaction(
        {**block_action("x", "1", user_id=ZIA), "actions": [{"value": "1"}]}
    ),
    "a user id that is a number": _interaction(
        {**block_action(Action.CLAIM_QUESTION.value, "1", user_id=ZIA, message=MESSAGE), "user": {"id": 7}}
    ),
    "a message action without its message": _interaction(
        {
            "type": "message_action",
            "callback_id": Shortcut.ESCALATE_MESSAGE.value,
            "trigger_id": "1.2",
            "user": {"id": ZIA},
        }
    ),
    "an event that is null": (
        {"type": "event_callback", "event_id": "Ev1", "event": None},
        "application/json",
    ),
    "an event without a type": (
        {"type": "event_callback", "event_id": "Ev2", "event": {"user": ZIA}},
        "application/json",
    ),
    "an app_home_opened without its user": (
        {"type": "event_callback", "event_id": "Ev3", "event": {"type": "app_home_opened", "tab": "home"}},
        "application/json",
    ),
}


@pytest.mark.parametrize("what", list(MALFORMED))
def test_a_malformed_shape_gets_400_and_one_warning(world: Any, what: str) -> None:
    app, _runtime, _slack = world
    payload, content_type = MALFORMED[what]
    response, records = _logged(lambda: _dispatch(app, _body(payload, content_type), content_type))
    assert response.status == 400, (response.status, response.body)
    assert [r.levelno for r in records] == [logging.WARNING], [r.getMessage() for r in records]
    # The app refuses it too when it comes another way (Socket Mode, the console): Bolt never reads it.
    request = BoltRequest(body=_body(payload, content_type), headers={"content-type": content_type})
    response, records = _logged(lambda: app.dispatch(request))
    assert response.status == 400, (response.status, response.body)
    assert [r.levelno for r in records] == [logging.WARNING], [r.getMessage() for r in records]


def test_control_characters_in_slack_requests_are_removed_the_same_on_either_database(world: Any) -> None:
    app, runtime, _slack = world
    # PostgreSQL refuses a NUL in any text, a query's parameters too; SQLite takes it.
    event = {
        **MESSAGE,
        "type": Event.MESSAGE.value,
        "user": "U0CHAMP01\x00",
        "channel": "C0COORD01\x00",
        "thread_ts": "1700000000.000001\x00",
        "channel_type": "channel",
    }
    answered, logged = _logged(
        lambda: _dispatch(app, event_body(event, event_id="EvNul1\x00"), "application/json")
    )
    home = {"type": Event.APP_HOME_OPENED.value, "user": f"{ZIA}\x00", "channel": "D0HOME", "tab": "home"}
    opened, more = _logged(lambda: _dispatch(app, event_body(home, event_id="EvNul2"), "application/json"))
    assert (answered.status, opened.status) == (200, 200)
    assert [r.getMessage()[:200] for r in logged + more if r.levelno >= logging.ERROR] == []
    question = "Does\x00 this\x1b need\ud800 a migration?\tYes."
    values = {
        Input.PR_URL.value: {
            "type": "plain_text_input",
            "value": "https://github.com/openedx/edx-platform/pull/77",
        },
        Input.QUESTION.value: {"type": "plain_text_input", "value": question},
        Input.URGENCY.value: {"type": "static_select", "selected_option": {"value": "normal"}},
    }
    response = _dispatch(app, _view(ViewId.ASK, values), FORM)
    assert response.status == 200
    with runtime.session_factory() as session:
        stored = session.exec(select(Question).where(Question.pr_number == 77)).one()
    assert stored.text == "Does this need a migration?\tYes."


@pytest.mark.parametrize("kind", ["view_submission", "view_closed"])
def test_a_null_type_and_view_is_refused_not_an_error(world: Any, kind: str) -> None:
    # Found by the fuzz case above: Bolt's own warning for an unhandled request read the null view and raised.
    app, _runtime, _slack = world
    base, content_type = WELL_FORMED[kind]
    payload = {**copy.deepcopy(base), "type": None, "view": None}
    response, records = _logged(lambda: _dispatch(app, _body(payload, content_type), content_type))
    _no_error_and_one_warning_at_most(response, records, json.dumps(payload)[:300])
