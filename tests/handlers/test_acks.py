"""Answering Slack: the ack goes out the moment a listener acks; a failure before it is answered with words.

These run the production runner (work after the ack in a thread, `bot.middleware.IdentifyingRunner`),
dispatching signed requests in-process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from slack_bolt.listener import thread_runner

from tests.conftest import RunningBot, wait_until
from tests.slack_requests import SlackSender


def _add_command(bot: RunningBot, name: str, listener: Callable[..., None]) -> SlackSender:
    app = bot.bot.app
    app.command(name)(listener)
    return SlackSender(app=app)


def test_the_ack_is_answered_while_the_listener_still_works_and_without_polling_for_it(
    served_bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Bolt's own runner looks for the ack every 10 ms with time.sleep; this one must never need to.
    monkeypatch.setattr(
        thread_runner, "time", SimpleNamespace(time=time.time, sleep=_refuse_to_poll), raising=True
    )
    gate, finished = threading.Event(), threading.Event()

    def slow_after_ack(ack: Callable[..., None]) -> None:
        ack(text="on it")
        gate.wait(timeout=5)
        finished.set()

    sender = _add_command(served_bot, "/cc-slow", slow_after_ack)
    answer = sender.command("/cc-slow", user_id="U0PILOT01")

    assert answer.status_code == 200
    assert answer.text == "on it"
    assert not finished.is_set(), "Slack's answer came back before the work after the ack ended"
    gate.set()
    assert finished.wait(timeout=5)


def test_a_listener_failing_before_its_ack_answers_sorry_and_after_it_keeps_its_ack(
    served_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    def fails_first(ack: Callable[..., None]) -> None:
        raise RuntimeError("broken before the ack")

    def fails_after(ack: Callable[..., None]) -> None:
        ack(text="accepted")
        raise RuntimeError("broken after the ack")

    sender = _add_command(served_bot, "/cc-fails-first", fails_first)
    _add_command(served_bot, "/cc-fails-after", fails_after)
    with caplog.at_level(logging.ERROR):
        first = sender.command("/cc-fails-first", user_id="U0PILOT01")
        after = sender.command("/cc-fails-after", user_id="U0PILOT01")
        wait_until(lambda: "broken after the ack" in caplog.text, what="the failure after the ack logged")
    # Not acked: the error handler's answer is the ack (a command's is an ephemeral apology with an error id).
    assert first.status_code == 200
    assert first.json()["response_type"] == "ephemeral"
    assert "something went wrong" in first.json()["text"]
    # Acked: Slack keeps the ack; the failure is only logged.
    assert after.status_code == 200
    assert after.text == "accepted"
    assert "broken before the ack" in caplog.text


def test_a_listener_that_never_acks_is_given_up_on_at_its_ack_timeout(
    served_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    released = threading.Event()

    def never_acks(**_: Any) -> None:
        released.wait(timeout=5)

    sender = _add_command(served_bot, "/cc-silent", never_acks)
    served_bot.bot.app._listeners[-1].ack_timeout = 0.2
    with caplog.at_level(logging.WARNING):
        answer = sender.command("/cc-silent", user_id="U0PILOT01")
    released.set()
    assert answer.status_code == 404, "no ack: Bolt's answer for an unhandled request"
    assert "did not call ack()" in caplog.text


def _refuse_to_poll(_seconds: float) -> None:
    raise AssertionError("the runner polled for the ack")


def test_work_after_an_ack_waits_for_earlier_acks_and_never_for_later_ones() -> None:
    from bot.middleware import AckGate

    gate = AckGate()
    started: list[float] = []
    earlier = gate.pending()
    earlier.__enter__()

    def work() -> None:
        gate.wait_for_earlier(5.0)
        started.append(time.monotonic())

    worker = threading.Thread(target=work)
    worker.start()
    time.sleep(0.2)
    assert started == [], "an earlier request still waits for its ack"
    with gate.pending():  # a later request does not hold the work back
        released = time.monotonic()
        earlier.__exit__(None, None, None)
        worker.join(2)
        assert started, "the work went on while a later request still waited"
    assert started[0] - released < 1.0
    before = time.monotonic()
    gate.wait_for_earlier(0.2)
    assert time.monotonic() - before < 0.1, "nothing pending: no wait"
