"""POST /hooks/deployments end to end: signatures, validation, redacted notices, buttons, duplicates, reverts."""

from __future__ import annotations

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

from bot.ids import Action
from bot.services.deployments import payload_schema
from storage.models import DeploymentEvent, DeploymentNotice
from tests.conftest import ROOT, WEBHOOK_SECRET, RunningBot, wait_until
from tests.slack_requests import block_action

ZIA, JBOWMAN, FEANIL, ADMIN = "U0PILOT01", "U0CHAMP01", "U0CHAMP02", "U0ADMIN01"
SECRETS = ["jane.doe@example.com", "203.0.113.42", "xoxb-1234567890-abcdefghijkl", "48213", "token=abc"]
ESCAPED = {
    "event": "escaped_issue",
    "environment": "production",
    "repo": "openedx/edx-platform",
    "pull_requests": [{"url": "https://github.com/openedx/edx-platform/pull/35120", "author": "ziafazal"}],
    "sha_range": "a1b2c3..d4e5f6",
    "pipeline_url": "https://ci.example.org/runs/981?token=abc",
    "incident_id": "INC-2041",
    "summary": "Grades page 500s for some learners since the 14:00 deploy",
    "details": (
        "IntegrityError for user_id=48213 (jane.doe@example.com) from 203.0.113.42; "
        "worker env SLACK_BOT_TOKEN=xoxb-1234567890-abcdefghijkl"
    ),
}


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
    ],
)
def test_malformed_bodies_get_400_with_the_reason_and_store_nothing(
    bot: RunningBot, raw: bytes, reason: str
) -> None:
    response = _post(bot, None, raw=raw, headers=_sign(raw))
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert _count(bot, DeploymentEvent) == 0


def test_a_body_over_a_megabyte_gets_413(bot: RunningBot) -> None:
    raw = json.dumps({**ESCAPED, "details": "x" * 1_100_000}).encode()
    assert _post(bot, None, raw=raw, headers=_sign(raw)).status_code == 413


def test_need_help_pulls_in_the_champions_and_reverting_then_deploying_the_revert_is_timed(
    bot: RunningBot,
) -> None:
    _post(bot, ESCAPED)
    dm = wait_until(lambda: next(iter(bot.slack.messages(ZIA)), None), what="notice DM")
    assert isinstance(dm, dict)
    with bot.runtime.session_factory() as session:
        notice_id = str(session.exec(select(DeploymentNotice.id)).one())
    refused = block_action(
        Action.NOTICE_HELP,
        notice_id,
        user_id="U0PILOT02",
        message=dm,
        response_url=bot.slack.response_url("other"),
    )
    bot.sender.interaction(refused)
    wait_until(lambda: [r for r in bot.slack.state.responses if r["key"] == "other"], what="refusal")
    bot.sender.interaction(block_action(Action.NOTICE_HELP, notice_id, user_id=ZIA, message=dm))
    help_note = wait_until(
        lambda: [
            m for m in bot.slack.messages("C0COORD01") if m.get("thread_ts") and "needs help" in m["text"]
        ],
        what="help in the thread",
    )
    assert isinstance(help_note, list)
    assert f"<@{JBOWMAN}>" in help_note[0]["text"]
    bot.sender.interaction(block_action(Action.NOTICE_REVERTING, notice_id, user_id=ZIA, message=dm))
    wait_until(
        lambda: "You are reverting" in json.dumps(bot.slack.messages(ZIA)[0]["blocks"]), what="DM redrawn"
    )
    revert = {
        "event": "deployed_production",
        "environment": "production",
        "repo": "openedx/edx-platform",
        "pull_requests": [{"number": 35177, "author": "ziafazal", "reverts": 35120}],
        "sha_range": "d4e5f6..0a0b0c",
    }
    assert _post(bot, revert).json()["reverted"] == 1
    with bot.runtime.session_factory() as session:
        notice = session.exec(select(DeploymentNotice).where(DeploymentNotice.pr_number == 35120)).one()
    assert notice.reverting_at is not None
    assert notice.reverted_at is not None
    assert len(bot.slack.messages(ZIA)) == 1, "a deployment reaching production is recorded, not DMed"
    assert "your PR openedx/edx-platform#35177 reached production" in json.dumps(
        bot.sender.command("/cc", user_id=ZIA).json()["blocks"]
    )


def test_unmatched_prs_go_to_admins_and_non_cc_authors_are_only_stored(bot: RunningBot) -> None:
    payload = {
        **ESCAPED,
        "incident_id": "INC-7",
        "pull_requests": [35001, {"number": 35002, "author": "some-edx-employee"}],
    }
    assert _post(bot, payload).json()["unmatched"] == 1
    note = wait_until(lambda: bot.slack.messages(ADMIN), what="admin note")
    assert isinstance(note, list)
    assert "#35001" in note[0]["text"]
    assert "#35002" not in json.dumps(bot.slack.messages())
    assert _count(bot, DeploymentNotice) == 2


def test_a_pr_the_bot_has_seen_in_a_question_is_matched_to_its_asker(bot: RunningBot) -> None:
    from tests.handlers.test_ask import _ask

    _ask(bot)  # Zia asked about openedx/edx-platform#31337
    payload = {**ESCAPED, "incident_id": "INC-8", "pull_requests": [31337]}
    assert _post(bot, payload).json()["notified"] == 1
    wait_until(
        lambda: [m for m in bot.slack.messages(ZIA) if "31337" in m["text"] and "production" in m["text"]],
        what="DM",
    )


def test_the_schema_file_is_the_one_the_code_enforces() -> None:
    path = Path(ROOT / "docs" / "deployment-notice.schema.json")
    assert json.loads(path.read_text()) == payload_schema(), "regenerate docs/deployment-notice.schema.json"
    jsonschema.validate(ESCAPED, payload_schema())
    jsonschema.validate({**ESCAPED, "pull_requests": [1, "https://github.com/o/r/pull/2"]}, payload_schema())
