"""POST /hooks/deployments: signatures, validation, size, redacted notices sent once, and a crash before delivery."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from sqlmodel import select

from bot.assembly import Bot
from bot.hooks import DeploymentHook, nesting_depth
from bot.ids import Action
from bot.runtime import Runtime
from bot.services.notices import parse_payload, payload_schema, record_deployment
from bot.services.outbox import CLAIM_LEASE, Messenger, posting_of
from bot.types.keys import Subject
from bot.views import notices as notice_views
from storage.models import DeploymentEvent, DeploymentNotice, HookDelivery, OutboxMessage
from tests.conftest import NOW, ROOT, WEBHOOK_SECRET, RunningBot, wait_until
from tests.services.test_notices import ESCAPED, LEAKS, LEAKY, SECRETS

ZIA, JBOWMAN, FEANIL = "U0PILOT01", "U0CHAMP01", "U0CHAMP02"


def _sign(body: bytes, *, timestamp: int | None = None, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "X-Ccbot-Timestamp": ts,
        "X-Ccbot-Signature": f"sha256={digest}",
        "Content-Type": "application/json",
    }


def _post(
    bot: RunningBot, payload: Any, *, headers: dict[str, str] | None = None, raw: bytes | None = None
) -> httpx.Response:
    body = raw if raw is not None else json.dumps(payload).encode()
    return httpx.post(
        f"{bot.url}/hooks/deployments", content=body, headers=headers if headers is not None else _sign(body)
    )


def _count(bot: RunningBot, model: type) -> int:
    with bot.runtime.session_factory() as session:
        return len(session.exec(select(model)).all())


def _everything_a_cc_sees(bot: RunningBot) -> str:
    dms = json.dumps(bot.slack.messages(ZIA))
    with bot.runtime.session_factory() as session:
        events = json.dumps([e.model_dump(mode="json") for e in session.exec(select(DeploymentEvent)).all()])
    return dms + events


def test_an_escaped_issue_reaches_the_committer_once_redacted_with_three_buttons(bot: RunningBot) -> None:
    response = _post(bot, ESCAPED)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"
    assert response.json()["notified"] == 1
    dm = wait_until(lambda: bot.slack.messages(ZIA), what="notice DM")
    assert isinstance(dm, list)
    assert len(dm) == 1
    actions = [e["action_id"] for b in dm[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions == [Action.NOTICE_REVERTING, Action.NOTICE_NOT_MINE, Action.NOTICE_HELP]
    text = json.dumps(dm[0]["blocks"])
    assert "use *Revert*" in text
    assert "INC-2041" in text
    seen = _everything_a_cc_sees(bot)
    for secret in SECRETS:
        assert secret not in seen, secret
    thread = [m for m in bot.slack.messages("C0COORD01") if "<@U0PILOT01>" in m["text"]]
    assert len(thread) == 1
    assert f"<@{JBOWMAN}>" in thread[0]["text"]
    assert f"<@{FEANIL}>" in thread[0]["text"]

    again = _post(bot, ESCAPED)
    assert again.json()["status"] == "duplicate"
    assert len(bot.slack.messages(ZIA)) == 1
    assert _count(bot, DeploymentEvent) == 1


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Content-Type": "application/json"}, "missing"),
        ("stale", "within 5 minutes"),
        ("future", "within 5 minutes"),
        ("wrong-secret", "does not match"),
    ],
)
def test_bad_signatures_get_401_and_store_nothing(bot: RunningBot, headers: Any, reason: str) -> None:
    body = json.dumps(ESCAPED).encode()
    if headers == "stale":
        headers = _sign(body, timestamp=int(time.time()) - 360)
    elif headers == "future":
        headers = _sign(body, timestamp=int(time.time()) + 360)
    elif headers == "wrong-secret":
        headers = _sign(body, secret="not-the-secret")
    response = _post(bot, None, headers=headers, raw=body)
    assert response.status_code == 401
    assert reason in response.json()["error"]
    assert _count(bot, DeploymentEvent) == 0


def test_a_github_style_signature_is_accepted(bot: RunningBot) -> None:
    body = json.dumps(ESCAPED).encode()
    digest = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = _post(bot, None, headers={"X-Hub-Signature-256": f"sha256={digest}"}, raw=body)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "not JSON"),
        (json.dumps({**ESCAPED, "event": "exploded"}).encode(), "event"),
        (json.dumps({**ESCAPED, "incident_id": None}).encode(), "incident_id"),
        (json.dumps({**ESCAPED, "repo": "not a repo"}).encode(), "repo"),
        (json.dumps({**ESCAPED, "pull_requests": ["https://example.org/x"]}).encode(), "pull request URL"),
        (json.dumps([1, 2]).encode(), "body"),
        (
            json.dumps({**ESCAPED, "pull_requests": [{"number": 7, "author": "dou--ble"}]}).encode(),
            "pull_requests.0.author: not a GitHub handle: it has two hyphens in a row",
        ),
        (
            json.dumps({**ESCAPED, "pull_requests": [{"number": 7, "merged_by": "@trailing-"}]}).encode(),
            "pull_requests.0.merged_by: not a GitHub handle: it ends with a hyphen",
        ),
    ],
)
def test_malformed_bodies_get_400_with_the_reason_and_store_nothing(
    job_bot: Bot, raw: bytes, reason: str
) -> None:
    answer = DeploymentHook(job_bot.runtime).handle({k.lower(): v for k, v in _sign(raw).items()}, raw)
    assert answer.status == 400
    assert reason in answer.body["error"]
    with job_bot.runtime.session_factory() as session:
        assert session.exec(select(DeploymentEvent)).all() == []


def test_control_characters_are_removed_before_a_notice_is_stored_on_either_database(job_bot: Bot) -> None:
    # A NUL is refused by PostgreSQL's text and stored by SQLite; a lone surrogate is valid JSON, not UTF-8.
    payload = {
        **ESCAPED,
        "environment": "produc\x00tion\x1b",
        "incident_id": "INC-\x002041",
        "summary": "Grades \ud800page\x07 500s",
        "details": "a\x00b\tc\nd\x7f",
    }
    raw = json.dumps(payload).encode()
    answer = DeploymentHook(job_bot.runtime).handle({k.lower(): v for k, v in _sign(raw).items()}, raw)
    assert answer.status == 200, answer.body
    with job_bot.runtime.session_factory() as session:
        (event,) = session.exec(select(DeploymentEvent)).all()
    assert (event.environment, event.incident_id) == ("production", "INC-2041")
    assert (event.summary, event.details) == ("Grades page 500s", "ab\tc\nd")


def test_a_body_over_a_megabyte_gets_413(bot: RunningBot) -> None:
    raw = json.dumps({**ESCAPED, "details": "x" * 1_100_000}).encode()
    assert _post(bot, None, raw=raw, headers=_sign(raw)).status_code == 413


class ProcessKilled(BaseException):
    """The process dies: nothing after this point runs, no handler catches it."""


class DiesAtSlack:
    """Slack as a process sees it that is killed at its first call: before Slack took the message, or just after."""

    def __init__(self, slack: Messenger, *, after_slack_took_it: bool) -> None:
        self.slack = slack
        self.after_slack_took_it = after_slack_took_it

    def post(self, **message: Any) -> Any:
        """Die sending (after Slack stored the message, when so told)."""
        if self.after_slack_took_it:
            self.slack.post(**message)
        raise ProcessKilled

    def __getattr__(self, name: str) -> Any:
        raise ProcessKilled


def _hook_call(runtime: Runtime, payload: Any) -> tuple[int, dict[str, Any]]:
    """Deliver a signed notice to the hook in this process, as the web app hands it over."""
    body = json.dumps(payload).encode()
    answer = DeploymentHook(runtime).handle({k.lower(): v for k, v in _sign(body).items()}, body)
    return answer.status, answer.body


def _outbox(bot: RunningBot) -> dict[str, str]:
    with bot.runtime.session_factory() as session:
        return {m.key: m.status for m in session.exec(select(OutboxMessage)).all()}


@pytest.mark.parametrize(
    "dies", ["after the commit", "sending, before Slack took it", "sending, after Slack took it"]
)
def test_a_crash_between_recording_a_notice_and_delivering_it_loses_nothing_and_sends_nothing_twice(
    bot: RunningBot, dies: str
) -> None:
    if dies == "after the commit":
        # The hook's decision, committed; the process dies before it delivers anything.
        with bot.runtime.session_factory() as session:
            outcome = record_deployment(
                session, parse_payload(ESCAPED), now=NOW, channels=bot.runtime.channels
            )
        notice_id = outcome.new[0].id
    else:
        dying = DiesAtSlack(bot.runtime.messenger, after_slack_took_it=dies.endswith("took it"))
        with pytest.raises(ProcessKilled):
            _hook_call(dataclasses.replace(bot.runtime, messenger=dying), ESCAPED)
        with bot.runtime.session_factory() as session:
            notice_id = session.exec(select(DeploymentNotice.id)).one() or 0
    queued = _outbox(bot)
    assert set(queued) == {f"deploy-dm:{notice_id}", f"deploy-thread:{notice_id}"}, (
        "decided with its messages"
    )
    assert "sent" not in queued.values()
    took_it = len(bot.slack.messages(ZIA))
    assert took_it == (1 if dies.endswith("took it") else 0)

    # The pipeline saw no answer and retries: the notice is known, so nothing is recorded or sent again...
    assert _hook_call(bot.runtime, ESCAPED)[1]["status"] == "duplicate"
    assert len(bot.slack.messages(ZIA)) == took_it
    # ...and the every-minute delivery job sends what the dead process left: a message it had claimed once
    # the claim has lapsed, and only after finding in Slack that it was not sent.
    lease = CLAIM_LEASE // dt.timedelta(minutes=1)
    for minutes in (1, 2, lease + 1, lease + 2):
        bot.bot.run_job("outbox_delivery", now=NOW + dt.timedelta(minutes=minutes))
    assert len(bot.slack.messages(ZIA)) == 1
    assert len([m for m in bot.slack.messages("C0COORD01") if "<@U0PILOT01>" in m["text"]]) == 1
    assert set(_outbox(bot).values()) == {"sent"}
    with bot.runtime.session_factory() as session:
        posting = posting_of(session, Subject.notice(notice_id))
    assert posting is not None, "its buttons can redraw it"
    assert posting.ts == bot.slack.messages(ZIA)[0]["ts"]


def test_the_schema_file_is_the_one_the_code_enforces() -> None:
    path = Path(ROOT / "docs" / "deployment-notice.schema.json")
    assert json.loads(path.read_text()) == payload_schema(), "regenerate docs/deployment-notice.schema.json"
    jsonschema.validate(ESCAPED, payload_schema())
    jsonschema.validate({**ESCAPED, "pull_requests": [1, "https://github.com/o/r/pull/2"]}, payload_schema())


def _hub(body: bytes, delivery: str | None = None) -> dict[str, str]:
    digest = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"x-hub-signature-256": f"sha256={digest}", "content-type": "application/json"}
    if delivery is not None:
        headers["x-github-delivery"] = delivery
    return headers


def test_a_committer_sees_structured_fields_only_in_the_dm_in_cc_and_in_app_home(bot: RunningBot) -> None:
    status, answer = _hook_call(bot.runtime, LEAKY)
    assert (status, answer["notified"]) == (200, 1)
    bot.sender.event(
        {"type": "app_home_opened", "user": ZIA, "channel": "D0HOME001", "tab": "home", "event_ts": "1.2"},
        event_id="EvLeaky01",
    )
    home = wait_until(lambda: bot.slack.state.home_views.get(ZIA), what="App Home")
    cc = bot.sender.command("/cc", user_id=ZIA).text
    assert "edx-platform#35120" in cc, "the committer's recent deployments list the notice"
    seen = json.dumps([bot.slack.messages(ZIA), home, cc])
    for leak in [*LEAKS, "IntegrityError"]:
        assert leak not in seen, leak


def test_a_failure_while_building_the_messages_keeps_nothing_and_the_retry_sends_once(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = notice_views.notice_blocks
    calls: list[int] = []

    def fails_once(card: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("building the DM failed")
        return real(card)

    monkeypatch.setattr(notice_views, "notice_blocks", fails_once)
    huge = {**ESCAPED, "details": "<&>" * 6000}
    status, answer = _hook_call(bot.runtime, huge)
    assert status == 500
    assert "retry" in answer["error"]
    for model in (DeploymentEvent, DeploymentNotice, OutboxMessage, HookDelivery):
        assert _count(bot, model) == 0, f"{model.__name__}: nothing is kept from a failed delivery"

    status, answer = _hook_call(bot.runtime, huge)
    assert (status, answer["status"], answer["notified"]) == (200, "accepted", 1)
    assert len(bot.slack.messages(ZIA)) == 1
    assert _hook_call(bot.runtime, huge)[1]["status"] == "duplicate"
    assert len(bot.slack.messages(ZIA)) == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested 100000 levels deep"),
        (b'{"pull_requests": ' + b"[" * 40 + b"]" * 40 + b"}", "nested 41 levels deep"),
        (b"\xff\xfe not utf-8", "not JSON"),
        (b'"' + b'\\"' * 100_000, "not JSON"),
    ],
)
def test_deep_or_undecodable_bodies_get_400_once_signed_and_401_unsigned(
    job_bot: Bot, raw: bytes, reason: str
) -> None:
    hook = DeploymentHook(job_bot.runtime)
    signed = hook.handle({k.lower(): v for k, v in _sign(raw).items()}, raw)
    assert signed.status == 400
    assert reason in signed.body["error"]
    assert hook.handle({"content-type": "application/json"}, raw).status == 401
    assert hook.handle({k.lower(): v for k, v in _sign(raw, secret="wrong").items()}, raw).status == 401


def test_brackets_inside_strings_do_not_count_toward_the_depth() -> None:
    assert nesting_depth(b'{"summary": "[[[[{{{{ \\"]]]]", "pull_requests": [{"number": 1}]}') == 3


def test_a_replayed_github_style_delivery_is_a_duplicate_by_its_id_or_its_body(job_bot: Bot) -> None:
    hook = DeploymentHook(job_bot.runtime)
    # No pull requests: nothing but the delivery itself can tell a replay from a new notice.
    body = json.dumps(
        {"event": "deployed_stage", "environment": "stage", "repo": "openedx/edx-platform"}
    ).encode()
    first = hook.handle(_hub(body, "72d3162e-cc78-11e3-81ab-4c9367dc0958"), body)
    assert first.body["status"] == "accepted"
    assert hook.handle(_hub(body, "72d3162e-cc78-11e3-81ab-4c9367dc0958"), body).body["status"] == "duplicate"
    # The delivery header is not signed: a replay under a fresh id is still known by its signed body.
    assert hook.handle(_hub(body, "00000000-0000-0000-0000-000000000000"), body).body["status"] == "duplicate"
    assert hook.handle(_hub(body), body).body["status"] == "duplicate"
    # A different notice under a delivery id already seen is a replayed delivery.
    other = json.dumps({"event": "deployed_stage", "environment": "stage", "repo": "openedx/XBlock"}).encode()
    assert (
        hook.handle(_hub(other, "72d3162e-cc78-11e3-81ab-4c9367dc0958"), other).body["status"] == "duplicate"
    )
    odd_id = "x" * 500
    assert hook.handle(_hub(other, odd_id), other).body["status"] == "accepted"
    with job_bot.runtime.session_factory() as session:
        assert len(session.exec(select(DeploymentEvent)).all()) == 2
        assert all(len(d.key) <= 100 for d in session.exec(select(HookDelivery)).all())


def test_a_timestamped_delivery_replayed_inside_its_window_is_a_duplicate(job_bot: Bot) -> None:
    hook = DeploymentHook(job_bot.runtime)
    body = json.dumps(
        {"event": "deployed_stage", "environment": "stage", "repo": "openedx/edx-platform"}
    ).encode()
    headers = {k.lower(): v for k, v in _sign(body).items()}
    assert hook.handle(headers, body).body["status"] == "accepted"
    assert hook.handle(headers, body).body["status"] == "duplicate"
    # The pipeline signing the same notice again later is a new delivery (a second deployment to stage).
    later = {k.lower(): v for k, v in _sign(body, timestamp=int(time.time()) + 1).items()}
    assert hook.handle(later, body).body["status"] == "accepted"
