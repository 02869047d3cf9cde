"""Logs an operator can use: JSON lines with the request or job run id, nothing secret or personal in them."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import json
import logging
import re
import time
from typing import Any

import pytest
from slack_bolt import BoltRequest
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.assembly import build_bot, slack_client
from bot.errors import user_message
from bot.hooks import DeploymentHook
from bot.logs import (
    ContextThreadPoolExecutor,
    configure_logging,
    job_run_context,
    payload_shape,
    request_context,
)
from bot.scheduler import run_scheduled_job
from bot.services.outbox import DeliveryFailed, Outgoing, deliver_pending, enqueue
from bot.settings import ConfigError, Settings, load_settings
from bot.slack_standin import SlackStandIn
from tests.conftest import NOW, WEBHOOK_SECRET, wait_until
from tests.slack_requests import SIGNING_SECRET, command_body, signed_headers

SECRET_TEXT = "password=hunter2, write to jane@example.com"
# What people type reaches the log only as a length, whatever it holds.
PRIVATE_WORDS = "Private words of a committer: hunter2 (do not log me)"


class TtyStream(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _json_logs(restore_logging: None, settings: Settings | None = None) -> io.StringIO:
    stream = io.StringIO()
    chosen = configure_logging(settings or load_settings(CCBOT_LOG_FORMAT="json"), stream=stream)
    assert chosen == "json"
    return stream


def _entries(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_time_level_logger_message_and_the_ids(restore_logging: None) -> None:
    stream = _json_logs(restore_logging)
    log = logging.getLogger("ccbot.test")
    log.info("outside any work")
    with request_context() as request_id:
        log.warning("inside a request")
    with job_run_context("weekly_digest") as run_id:
        log.info("inside a job run")
    outside, request, job = _entries(stream)
    assert set(outside) == {"time", "level", "logger", "message"}
    assert dt.datetime.fromisoformat(outside["time"]).tzinfo is not None
    assert (outside["level"], outside["logger"], outside["message"]) == (
        "INFO",
        "ccbot.test",
        "outside any work",
    )
    assert request["request_id"] == request_id
    assert request_id.startswith("req-")
    assert request["level"] == "WARNING"
    assert job["job_run_id"] == run_id
    assert run_id.startswith("weekly_digest-")
    assert "request_id" not in job


def test_secrets_and_personal_data_never_appear(restore_logging: None) -> None:
    stream = _json_logs(restore_logging)
    log = logging.getLogger("ccbot.test")
    log.info(
        "calling with xoxb-1234567890-abcdefghij for jane@example.com from 203.0.113.9",
        extra={
            "password": "hunter2",
            "Authorization": "Bearer abc.def",
            "user_email": "jane@example.com",
            "question_text": SECRET_TEXT,
            "note": "token=abcdef123456",
            "shape": {"keys": ["channel", "text"], "lengths": {"text": 54}},
        },
    )
    try:
        raise ValueError(f"bad value {SECRET_TEXT}")
    except ValueError:
        log.exception("failed for jane@example.com")
    raw = stream.getvalue()
    for secret in (
        "xoxb-1234567890",
        "hunter2",
        "jane@example.com",
        "203.0.113.9",
        "abc.def",
        "abcdef123456",
    ):
        assert secret not in raw
    first, failure = _entries(stream)
    assert first["password"] == first["Authorization"] == first["user_email"] == "[redacted]"
    assert first["question_text"] == "[redacted]"
    assert first["note"] == "token=[redacted]"
    assert first["shape"] == {"keys": ["channel", "text"], "lengths": {"text": 54}}
    assert "ValueError: bad value password=[redacted], write to [redacted]" in failure["exception"]
    assert "Traceback" in failure["exception"]


def test_loopback_and_bind_addresses_stay_readable_while_other_addresses_go(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(load_settings(CCBOT_LOG_FORMAT="json"), stream=stream, bind_host="10.1.2.3")
    log = logging.getLogger("ccbot.test")  # uvicorn's own logger is held at WARNING once a test server ran
    running = "Uvicorn running on %s (Press CTRL+C to quit)"
    for address in ("http://127.0.0.1:3000", "http://0.0.0.0:3000", "http://[::1]:3000", "http://[::]:3000"):
        log.info(running, address)
    log.info(running, "http://10.1.2.3:3000")
    log.info("connect to localhost:5432 and 127.0.0.53, not from 203.0.113.9 or [2001:db8::5] or 10.9.8.7")
    log.info("postgresql://app:pw@127.0.0.1:5432/ccbot?password=x and mail to root@localhost")
    messages = [entry["message"] for entry in _entries(stream)]
    assert messages[:5] == [
        "Uvicorn running on http://127.0.0.1:3000 (Press CTRL+C to quit)",
        "Uvicorn running on http://0.0.0.0:3000 (Press CTRL+C to quit)",
        "Uvicorn running on http://[::1]:3000 (Press CTRL+C to quit)",
        "Uvicorn running on http://[::]:3000 (Press CTRL+C to quit)",
        "Uvicorn running on http://10.1.2.3:3000 (Press CTRL+C to quit)",
    ]
    assert messages[5] == (
        "connect to localhost:5432 and 127.0.0.53, not from [redacted] or [[redacted]] or [redacted]"
    )
    assert messages[6] == "postgresql://[redacted]@127.0.0.1:5432/ccbot?[redacted] and mail to [redacted]"


def test_the_configured_secrets_never_appear_whatever_their_shape(restore_logging: None) -> None:
    settings = load_settings(
        CCBOT_LOG_FORMAT="text",
        CCBOT_WEBHOOK_SECRET="plain words nobody would redact",
        CCBOT_DATABASE_URL="postgresql://ccbot:DbWordpass@db.internal/ccbot",
    )
    stream = io.StringIO()
    configure_logging(settings, stream=stream)
    logging.getLogger("ccbot.test").warning(
        "echoed plain words nobody would redact and DbWordpass", extra={"note": "DbWordpass"}
    )
    assert "plain words nobody" not in stream.getvalue()
    assert "DbWordpass" not in stream.getvalue()


def test_the_format_follows_the_setting_or_the_terminal(restore_logging: None) -> None:
    assert configure_logging(load_settings(), stream=io.StringIO()) == "json"
    terminal = TtyStream()
    assert configure_logging(load_settings(), stream=terminal) == "text"
    with request_context("req-cafe0001"):
        logging.getLogger("ccbot.test").warning("on a terminal", extra={"slack_error": "not_in_channel"})
    line = terminal.getvalue().strip()
    assert ' WARNING ccbot.test [req-cafe0001]: on a terminal slack_error="not_in_channel"' in line
    forced = io.StringIO()
    assert configure_logging(load_settings(CCBOT_LOG_FORMAT="TEXT"), stream=forced) == "text"
    logging.getLogger("ccbot.test").warning("text in a pipe")
    assert forced.getvalue().rstrip().endswith(" WARNING ccbot.test: text in a pipe")
    with pytest.raises(ConfigError, match=r"^CCBOT_LOG_FORMAT: must be text or json$"):
        load_settings(CCBOT_LOG_FORMAT="yaml")
    assert sum(h.get_name() == "ccbot" for h in logging.getLogger().handlers) == 1, (
        "configuring twice replaces"
    )


def test_library_chatter_stays_below_the_line(restore_logging: None) -> None:
    stream = _json_logs(restore_logging)
    logging.getLogger("apscheduler.scheduler").info("Adding job tentatively")
    logging.getLogger("slack_sdk.web.base_client").debug("Sending a request - body: %s", SECRET_TEXT)
    logging.getLogger("ccbot.bolt").warning("As you gave `client` as well, `token` will be unused.")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade")
    assert stream.getvalue() == ""


def test_worker_threads_keep_the_id_of_the_work_that_started_them(restore_logging: None) -> None:
    stream = _json_logs(restore_logging)
    log = logging.getLogger("ccbot.test")
    with job_run_context("question_nudges") as run_id, ContextThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda n: log.info("worker %d", n), range(6)))
    entries = _entries(stream)
    assert len(entries) == 6
    assert {entry["job_run_id"] for entry in entries} == {run_id}


class RefusingMessenger:
    """Slack refuses every message for good (logged by the outbox from its delivery threads)."""

    def post(self, **_kwargs: Any) -> str:
        raise DeliveryFailed("not_in_channel", permanent=True)

    def find_sent(self, **_kwargs: Any) -> str | None:
        return None

    def upload(self, **_kwargs: Any) -> str:
        raise DeliveryFailed("not_in_channel", permanent=True)


def test_outbox_delivery_threads_log_with_the_job_run_id(restore_logging: None, session: Session) -> None:
    stream = _json_logs(restore_logging)
    messages = [Outgoing(key=f"k{n}", kind="test", channel="C0COORD01", text=PRIVATE_WORDS) for n in range(4)]
    enqueue(session, messages, now=NOW)
    session.commit()
    with job_run_context("weekly_digest") as run_id:
        report = deliver_pending(session, RefusingMessenger(), now=NOW, workers=4)
    assert len(report.failed) == 4
    failures = [e for e in _entries(stream) if e["message"].endswith("failed for good: not_in_channel")]
    assert len(failures) == 4
    assert {entry["job_run_id"] for entry in failures} == {run_id}
    assert "hunter2" not in stream.getvalue()


@pytest.fixture
def settings(db_url: str, slack: SlackStandIn) -> Settings:
    """Settings for an app against the stand-in, on the test database."""
    return load_settings(
        SLACK_BOT_TOKEN="xoxb-logs",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.url,
        CCBOT_DATABASE_URL=db_url,
        CCBOT_COORDINATION_CHANNEL="C0COORD01",
        CCBOT_WEBHOOK_SECRET=WEBHOOK_SECRET,
        CCBOT_LOG_FORMAT="json",
    )


def test_a_slack_request_and_its_listener_after_the_ack_log_with_one_request_id(
    restore_logging: None, settings: Settings, slack: SlackStandIn
) -> None:
    stream = _json_logs(restore_logging, settings)
    slack.add_channel("C0COORD01", "cc-coordination", member=False)
    app = build_bot(settings).app

    def shout(ack: Any, client: Any) -> None:
        ack()
        logging.getLogger("ccbot.test").info("listener runs after the ack")
        with contextlib.suppress(SlackApiError):
            client.chat_postMessage(channel="C0COORD01", text=PRIVATE_WORDS, blocks=[{"type": "divider"}] * 3)

    app.command("/shout")(shout)
    body = command_body("/shout", "hello", user_id="U0PILOT01")
    headers = {key.lower(): [value] for key, value in signed_headers(body).items()}
    request = BoltRequest(
        body=body, headers={**headers, "content-type": ["application/x-www-form-urlencoded"]}
    )
    response = app.dispatch(request)
    assert response.status == 200
    wait_until(lambda: "Slack refused chat.postMessage" in stream.getvalue(), what="the refusal")
    entries = {e["message"]: e for e in _entries(stream)}
    ran = entries["listener runs after the ack"]
    refused = entries["Slack refused chat.postMessage: not_in_channel"]
    assert ran["request_id"].startswith("req-")
    assert refused["request_id"] == ran["request_id"]
    assert refused["level"] == "WARNING"
    assert refused["slack_method"] == "chat.postMessage"
    assert refused["slack_error"] == "not_in_channel"
    assert refused["shape"]["blocks"] == 3
    assert refused["shape"]["lengths"]["text"] == len(PRIVATE_WORDS)
    assert "hunter2" not in stream.getvalue()
    assert "jane@example.com" not in stream.getvalue()
    logging.getLogger("ccbot.test").info("after the request")
    assert "request_id" not in _entries(stream)[-1], "the id does not outlive its request"


def test_an_unexpected_slack_error_is_logged_with_the_payload_shape_only(
    restore_logging: None, settings: Settings, slack: SlackStandIn
) -> None:
    stream = _json_logs(restore_logging, settings)
    client = slack_client(settings)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": PRIVATE_WORDS}}] * 51
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C0ELSEWHERE", text=PRIVATE_WORDS, blocks=blocks)
    message = user_message(refused.value)
    assert "error id" in message
    error = next(e for e in _entries(stream) if e["logger"] == "ccbot.errors")
    assert error["slack_error"] == "invalid_blocks"
    assert error["shape"]["blocks"] == 51
    assert sorted(error["shape"]["keys"]) == ["blocks", "channel", "text"]
    assert "hunter2" not in stream.getvalue()
    slack.state.oversize.clear()  # sent over the limit on purpose


def test_payload_shape_counts_blocks_of_json_strings_and_views() -> None:
    shape = payload_shape(
        {"channel": "C1", "blocks": json.dumps([{"type": "divider"}] * 2), "view": {"blocks": [{}] * 4}}
    )
    assert shape == {
        "keys": ["blocks", "channel", "view"],
        "blocks": 2,
        "view_blocks": 4,
        "lengths": {"channel": 2},
    }


def test_each_webhook_delivery_and_each_job_run_has_its_own_id(
    restore_logging: None, settings: Settings, slack: SlackStandIn
) -> None:
    stream = _json_logs(restore_logging, settings)
    runtime = build_bot(settings, clock=lambda: NOW).runtime
    hook = DeploymentHook(runtime)
    stale = {"x-ccbot-timestamp": str(int(time.time()) - 3600), "x-ccbot-signature": "sha256=00"}
    assert hook.handle(stale, b"{}").status == 401
    assert hook.handle(stale, b"{}").status == 401
    run_scheduled_job("question_nudges", runtime)
    entries = _entries(stream)
    refusals = [e for e in entries if e["message"].startswith("deployment hook refused")]
    assert len(refusals) == 2
    assert refusals[0]["request_id"] != refusals[1]["request_id"]
    assert not [e for e in entries if "question_nudges" in e["message"]], "an idle run writes nothing at INFO"
    with runtime.session_factory() as session:
        enqueue(session, [Outgoing(key="hello", kind="test", channel="C0COORD01", text="Hello")], now=NOW)
        session.commit()
    run_scheduled_job("outbox_delivery", runtime)
    runs = [e for e in _entries(stream) if e["logger"] == "bot.jobs.registry"]
    assert len(runs) == 1
    assert runs[0]["message"].startswith("job outbox_delivery ok in ")
    assert runs[0]["job_run_id"].startswith("outbox_delivery-")
    assert "request_id" not in runs[0]


def test_each_job_run_logs_one_line_and_idle_runs_none_at_info(
    restore_logging: None, settings: Settings, slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    stream = _json_logs(restore_logging, settings)
    runtime = build_bot(settings, clock=lambda: NOW).runtime
    caplog.set_level(logging.DEBUG)
    for name in ("outbox_delivery", "question_nudges", "escalation_reminders", "outbox_delivery"):
        run_scheduled_job(name, runtime)
    assert [r for r in caplog.records if r.levelno >= logging.INFO] == [], (
        "idle minutes write nothing at INFO"
    )
    idle = [r for r in caplog.records if r.name == "bot.jobs.registry"]
    assert len(idle) == 4, "each idle run still has its line, at DEBUG"
    assert len({r.job_run_id for r in idle}) == 4  # type: ignore[attr-defined]

    caplog.clear()
    with runtime.session_factory() as session:
        enqueue(
            session,
            [Outgoing(key=f"k{n}", kind="test", channel="C0COORD01", text="Hi") for n in range(2)],
            now=NOW,
        )
        session.commit()
    run_scheduled_job("outbox_delivery", runtime)
    lines = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    line = lines[0]
    run_id = line.job_run_id  # type: ignore[attr-defined]
    assert run_id.startswith("outbox_delivery-")
    assert re.fullmatch(
        r"job outbox_delivery ok in \d+ ms: 2 message\(s\) sent, 0 to retry, 0 failed", line.getMessage()
    )
    entry = _entries(stream)[-1]
    assert entry["level"] == "INFO"
    assert entry["message"] == line.getMessage()
    assert entry["job_run_id"] == run_id, "the JSON line carries the run's id, as a request's line does"
    assert len(slack.messages("C0COORD01")) == 2


def test_a_failed_job_run_is_one_error_line_with_its_traceback(
    restore_logging: None,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.jobs import registry

    runtime = build_bot(settings, clock=lambda: NOW).runtime

    def broken(_ctx: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setitem(
        registry.JOBS, "question_nudges", dataclasses.replace(registry.JOBS["question_nudges"], func=broken)
    )
    caplog.set_level(logging.DEBUG)
    run_scheduled_job("question_nudges", runtime)
    lines = [r for r in caplog.records if r.name.startswith("bot.")]
    assert len(lines) == 1
    assert lines[0].levelno == logging.ERROR
    assert re.fullmatch(r"job question_nudges failed in \d+ ms", lines[0].getMessage())
    assert lines[0].exc_info is not None
