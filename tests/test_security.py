"""Secrets never reach logs, error messages or Slack; user text cannot mention the whole channel."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from tests.conftest import WEBHOOK_SECRET, RunningBot, wait_until
from tests.handlers.test_questions import _ask
from tests.slack_requests import SIGNING_SECRET

BOT_TOKEN = "xoxb-test-token"


def test_tokens_and_secrets_never_appear_in_logs_answers_or_messages(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answers = [bot.sender.command("/cc", user_id="U0PILOT01").text]
    bot.slack.fail("chat.postMessage", status=500, count=10)
    bot.sender.command("/cc-ask", user_id="U0PILOT01")
    answers.append(
        httpx.post(
            f"{bot.url}/hooks/deployments", content=b"{}", headers={"X-Ccbot-Signature": "sha256=00"}
        ).text
    )
    answers.append(bot.sender.post("x=1", content_type="application/x-www-form-urlencoded", sign=False).text)
    wait_until(lambda: bot.slack.calls("views.open"), what="the modal")
    seen = caplog.text + "".join(answers) + json.dumps(bot.slack.messages())
    for secret in (BOT_TOKEN, SIGNING_SECRET, WEBHOOK_SECRET):
        assert secret not in seen


def test_an_unexpected_error_tells_the_user_an_id_not_the_internals(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    with bot.runtime.session_factory() as session:
        from storage.models import Agreement
        from storage.roster import get_person_by_github

        zia = get_person_by_github(session, "ziafazal")
        assert zia is not None
        session.add(Agreement(kind="bogus_kind", person_id=zia.id))  # data no code path expects
        session.commit()
    answer = bot.sender.command("/cc", user_id="U0PILOT01").json()["text"]
    assert "error id" in answer
    assert "bogus_kind" not in answer
    assert "Traceback" not in answer
    assert "bogus_kind" in caplog.text, "the log keeps the details for the admins"


def test_channel_wide_mentions_in_user_text_are_neutralised(bot: RunningBot) -> None:
    root = _ask(bot)
    posted = json.dumps(root["blocks"])
    assert "<!channel>" not in posted
    assert "&lt;!channel&gt;" in posted
