"""Secrets never reach logs, error messages or Slack; user text cannot mention the whole channel."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import shutil
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.assembly import build_bot
from bot.doctor import diagnose
from bot.github_hook import sign
from bot.github_standin import GitHubStandIn
from bot.logs import configure_logging
from bot.settings import ConfigError, Settings, load_settings
from bot.slack_standin import SlackStandIn
from storage.db import DatabaseNotReady, check_ready, make_engine
from tests.conftest import (
    ROOT,
    WEBHOOK_SECRET,
    RunningBot,
    _free_socket,
    bot_settings,
    load_pilot,
    serve_in_thread,
    wait_until,
)
from tests.flows import ask_in_slack, open_modal, submit_question
from tests.handlers.test_questions import _ask
from tests.slack_requests import SIGNING_SECRET, SlackSender
from tests.test_hooks import _sign

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


# Every secret a deployment configures, each with a value no other text holds.
CONFIGURED = {
    "SLACK_BOT_TOKEN": "xoxb-grep-Sekr1t-bot-0001",
    "SLACK_SIGNING_SECRET": "signing-grep-Sekr1t-0002",
    "SLACK_APP_TOKEN": "xapp-grep-Sekr1t-0003",
    "CCBOT_WEBHOOK_SECRET": "webhook-grep-Sekr1t-0004",
    "CCBOT_GITHUB_WEBHOOK_SECRET": "ghhook-grep-Sekr1t-0005",
    "CCBOT_GITHUB_TOKEN": "ghp_grepSekr1t0006a1B2a1B2a1B2a1B2a1B2a1B2",
    "CCBOT_GITHUB_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\ngrep-Sekr1t-0007\n-----END RSA PRIVATE KEY-----",
}
DB_PASSWORD, URL_PASSWORD = "Db-grep-Sekr1t-0008", "Url-grep-Sekr1t-0009"
QUESTION = "Grep-Question-Text-0010 about my private branch"
ZIA = "U0PILOT01"


@pytest.fixture
def configured(
    db_url: str,
    slack: SlackStandIn,
    github: GitHubStandIn,
    request: pytest.FixtureRequest,
    restore_logging: None,
) -> Iterator[tuple[RunningBot, Settings, io.StringIO]]:
    """The bot served over HTTP with every secret set (PostgreSQL's URL with a password), logging JSON at DEBUG."""
    if db_url.startswith("sqlite:///"):
        shutil.copy(request.getfixturevalue("sqlite_pilot_template"), db_url.removeprefix("sqlite:///"))
    else:  # the test server trusts local connections, so a password in the URL is carried and never checked
        db_url = make_url(db_url).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    settings = bot_settings(
        db_url,
        slack,
        **CONFIGURED,
        GITHUB_API_URL=github.url.replace("http://", f"http://proxy:{URL_PASSWORD}@"),
        CCBOT_LOG_FORMAT="json",
    )
    stream = io.StringIO()
    configure_logging(settings, stream=stream, level=logging.DEBUG)
    built = build_bot(settings, clock=lambda: dt.datetime(2026, 11, 26, 15, tzinfo=dt.UTC))
    if not db_url.startswith("sqlite:///"):
        with built.runtime.session_factory() as session:
            load_pilot(session)
    running = RunningBot(
        bot=built, slack=slack, sender=SlackSender(secret=CONFIGURED["SLACK_SIGNING_SECRET"])
    )
    running.served = serve_in_thread(built.asgi())
    running.sender = SlackSender(running.url, secret=CONFIGURED["SLACK_SIGNING_SECRET"])
    yield running, settings, stream
    running.stop()


def test_no_configured_secret_appears_in_logs_endpoints_doctor_or_errors(
    configured: tuple[RunningBot, Settings, io.StringIO],
) -> None:
    bot, settings, stream = configured
    seen: list[str] = []
    # A request cycle: a command, a question, both webhooks, refused signatures, the endpoints.
    seen.append(bot.sender.command("/cc", user_id=ZIA).text)
    ask_in_slack(bot, ZIA, question="A question that reaches its thread")
    notice = json.dumps({"event": "deployed_stage", "environment": "stage", "repo": "openedx/edx-platform"})
    headers = _sign(notice.encode(), secret=CONFIGURED["CCBOT_WEBHOOK_SECRET"])
    seen.append(httpx.post(f"{bot.url}/hooks/deployments", content=notice, headers=headers).text)
    seen.append(httpx.post(f"{bot.url}/hooks/deployments", content=notice, headers=_sign(b"x")).text)
    ping = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    github_headers = {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": "grep-1",
        "X-Hub-Signature-256": sign(CONFIGURED["CCBOT_GITHUB_WEBHOOK_SECRET"], ping),
        "Content-Type": "application/json",
    }
    seen.append(httpx.post(f"{bot.url}/hooks/github", content=ping, headers=github_headers).text)
    seen.append(bot.sender.post("x=1", content_type="application/x-www-form-urlencoded", sign=False).text)
    for path in ("/metrics", "/readyz", "/healthz"):
        seen.append(httpx.get(f"{bot.url}{path}").text)
    # A database error in the middle of a request: its traceback is logged, the question's text is not.
    with bot.runtime.engine.begin() as connection:
        connection.execute(text("ALTER TABLE question RENAME TO question_away"))
    try:
        view = open_modal(bot, "/cc-ask", ZIA)
        seen.append(
            submit_question(
                bot, view, ZIA, url="https://github.com/openedx/edx-platform/pull/1", question=QUESTION
            ).text
        )
        wait_until(lambda: '"ERROR"' in stream.getvalue(), what="the error's log line")
    finally:
        with bot.runtime.engine.begin() as connection:
            connection.execute(text("ALTER TABLE question_away RENAME TO question"))
    # The doctor, and the errors that name a setting or an unreachable database.
    seen.extend(result.line() for result in diagnose(settings, manifest=ROOT / "app_manifest.yml"))
    sock = _free_socket()
    try:
        check_ready(make_engine(f"postgresql://ccbot:{DB_PASSWORD}@127.0.0.1:{sock.getsockname()[1]}/ccbot"))
    except DatabaseNotReady as exc:
        seen.append(str(exc))
    finally:
        sock.close()
    try:
        load_settings(SLACK_BOT_TOKEN="xoxp-" + CONFIGURED["SLACK_BOT_TOKEN"])
    except ConfigError as exc:
        seen.append(str(exc))
    seen.append(json.dumps(bot.slack.messages()))
    logged = stream.getvalue()
    assert "Traceback" in logged, "the database error was logged"
    everything = "\n".join([logged, *seen])
    for name, secret in [
        *CONFIGURED.items(),
        ("database password", DB_PASSWORD),
        ("URL password", URL_PASSWORD),
    ]:
        assert secret not in everything, name
    assert "Sekr1t" not in everything, "no part of a secret either"
    assert QUESTION not in logged, "SQL parameters stay out of the log"
    assert "hide_parameters" in logged


def test_the_security_policy_says_how_to_report_privately_with_no_placeholder() -> None:
    policy = (ROOT / "docs" / "SECURITY.md").read_text(encoding="utf-8")
    assert "REPLACE-ME" not in policy
    assert ".invalid" not in policy
    assert "placeholder" not in policy.lower()
    assert "Security tab → Report a vulnerability" in policy
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Security tab →" in readme, "the README's security section says where to report too"
