"""App Home over HTTP: the dashboard is published, and Slack's retries publish nothing twice."""

from __future__ import annotations

import json
import time

from tests.conftest import RunningBot


def _wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def _open_home(bot: RunningBot, user: str, event_id: str, retry: int = 0):
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME001",
        "tab": "home",
        "event_ts": "1.2",
    }
    return bot.sender.event(event, event_id=event_id, retry=retry)


def test_opening_home_publishes_the_callers_dashboard(bot: RunningBot) -> None:
    assert _open_home(bot, "U0PILOT02", "Ev0001").status_code == 200
    _wait_for(lambda: "U0PILOT02" in bot.slack.state.home_views)
    view = bot.slack.state.home_views["U0PILOT02"]
    assert view["type"] == "home"
    text = json.dumps(view["blocks"])
    assert "Braden MacDonald" in text
    assert "<@U0CHAMP03>" in text


def test_a_stranger_gets_a_home_tab_that_says_how_to_join(bot: RunningBot) -> None:
    _open_home(bot, "U0NOBODY2", "Ev0002")
    _wait_for(lambda: "U0NOBODY2" in bot.slack.state.home_views)
    assert "not on the Core Committer roster" in json.dumps(bot.slack.state.home_views["U0NOBODY2"])


def test_a_retried_event_has_no_second_effect(bot: RunningBot) -> None:
    assert _open_home(bot, "U0PILOT03", "Ev0003").status_code == 200
    _wait_for(lambda: len(bot.slack.calls("views.publish")) == 1)
    for retry in (1, 2, 3):
        assert _open_home(bot, "U0PILOT03", "Ev0003", retry=retry).status_code == 200
    time.sleep(0.3)
    assert len(bot.slack.calls("views.publish")) == 1
    assert _open_home(bot, "U0PILOT03", "Ev0004").status_code == 200
    _wait_for(lambda: len(bot.slack.calls("views.publish")) == 2)


def test_a_429_from_slack_is_retried_after_retry_after_and_delivered_once(bot: RunningBot) -> None:
    bot.slack.fail("views.publish", status=429, count=1, retry_after=1)
    _open_home(bot, "U0PILOT04", "Ev0005")
    _wait_for(lambda: "U0PILOT04" in bot.slack.state.home_views, timeout=8)
    calls = bot.slack.calls("views.publish")
    assert len(calls) == 2, "one 429, then one success"
    assert len(bot.slack.state.home_views) == 1
