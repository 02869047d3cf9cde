"""Status and home: signed `/cc` requests and App Home events, answered by the real app."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import RunningBot, wait_until


def _text(response_json: dict) -> str:
    return json.dumps(response_json["blocks"])


def test_cc_shows_a_committers_status_with_champions_and_agreements(bot: RunningBot) -> None:
    started = time.monotonic()
    response = bot.sender.command("/cc", user_id="U0PILOT01")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 1.5, "an ack must come well inside Slack's 3 s"
    body = response.json()
    text = _text(body)
    assert "Zia Fazal" in text
    assert "active" in text
    assert "<@U0CHAMP01>" in text
    assert "<@U0CHAMP02>" in text
    assert "openedx/edx-platform" in text
    assert "Individual contributor agreement" in text
    assert "2027-01-31" in text
    assert "Entity contributor agreement (held by Edly by Arbisoft)" in text
    assert body.get("response_type", "ephemeral") == "ephemeral"


def test_cc_tells_an_onboarding_committer_exactly_what_is_missing(bot: RunningBot) -> None:
    text = _text(bot.sender.command("/cc", user_id="U0PILOT09").json())
    assert "onboarding" in text
    assert "NDA / program agreement: not signed yet" in text


def test_cc_tells_a_stranger_how_to_get_added(bot: RunningBot) -> None:
    text = _text(bot.sender.command("/cc", user_id="U0NOBODY1").json())
    assert "not on the Core Committer roster" in text
    assert "<@U0ADMIN01>" in text
    assert "<@U0ADMIN99>" in text


def test_cc_links_a_roster_member_by_email_on_first_contact(bot: RunningBot) -> None:
    with bot.runtime.session_factory() as session:
        from storage.roster import get_person_by_github

        person = get_person_by_github(session, "regisb")
        assert person is not None
        person.slack_user_id = None
        person.timezone = None
        session.commit()
    bot.slack.add_user("U0REGIS77", email="Regis.Behmo@example.org", tz="Europe/Paris")
    text = _text(bot.sender.command("/cc", user_id="U0REGIS77").json())
    assert "Regis Behmo" in text
    with bot.runtime.session_factory() as session:
        linked = get_person_by_github(session, "regisb")
        assert linked is not None
        assert linked.slack_user_id == "U0REGIS77"
        assert linked.timezone == "Europe/Paris"


def test_cc_help_lists_every_command(bot: RunningBot) -> None:
    from bot.ids import Command

    text = _text(bot.sender.command("/cc", "help", user_id="U0PILOT01").json())
    for command in Command:
        assert f"`{command.value}" in text


def test_an_unknown_subcommand_gets_help_not_silence(bot: RunningBot) -> None:
    text = _text(bot.sender.command("/cc", "frobnicate", user_id="U0PILOT01").json())
    assert "`/cc frobnicate` is not something I know" in text


def test_a_champion_sees_the_committers_they_champion(bot: RunningBot) -> None:
    text = _text(bot.sender.command("/cc", user_id="U0CHAMP03").json())
    assert "You champion" in text
    for committer in ("U0PILOT02", "U0PILOT03", "U0PILOT07"):
        assert f"<@{committer}>" in text


@pytest.mark.parametrize(
    ("sign", "timestamp_offset", "secret"),
    [(False, 0, None), (True, 0, "wrong-secret"), (True, -400, None), (True, 400, None)],
    ids=["unsigned", "wrong-secret", "stale", "future"],
)
def test_requests_not_signed_by_slack_get_401(
    bot: RunningBot, sign: bool, timestamp_offset: int, secret: str | None
) -> None:
    from tests.slack_requests import SlackSender

    sender = SlackSender(bot.url, secret=secret) if secret else bot.sender
    response = sender.command(
        "/cc", user_id="U0PILOT01", sign=sign, timestamp=int(time.time()) + timestamp_offset
    )
    assert response.status_code == 401
    assert "Zia" not in response.text


def test_an_error_in_a_handler_becomes_an_actionable_ephemeral_message(bot: RunningBot, caplog) -> None:
    def explode(ack):
        raise RuntimeError("database password is hunter2")

    bot.bot.app.command("/cc-explode")(explode)
    response = bot.sender.command("/cc-explode", user_id="U0PILOT01")
    assert response.status_code == 200
    message = response.json()["text"]
    assert "something went wrong" in message
    assert "error id" in message
    assert "hunter2" not in message


def test_thirty_two_requests_at_once_are_all_answered_well_inside_three_seconds(
    served_bot: RunningBot,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    bot = served_bot
    users = [
        "U0PILOT01",
        "U0PILOT02",
        "U0PILOT03",
        "U0PILOT04",
        "U0CHAMP01",
        "U0MGR0001",
        "U0NOBODY3",
        "U0ADMIN01",
    ]

    def timed(index: int) -> tuple[int, float]:
        started = time.monotonic()
        response = bot.sender.command("/cc", user_id=users[index % len(users)])
        return response.status_code, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(timed, range(32)))
    assert {status for status, _ in results} == {200}
    assert max(elapsed for _, elapsed in results) < 3.0


def test_a_committer_whose_agreement_expired_is_shown_as_lapsed(bot: RunningBot, clock) -> None:
    import datetime as dt

    clock[0] = dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC)
    text = _text(bot.sender.command("/cc", user_id="U0PILOT01").json())
    assert "lapsed" in text
    assert "Individual contributor agreement: expired on 2027-01-31. Renew it" in text


# -- App Home ----------------------------------------------------------------------------------------


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
    wait_until(lambda: "U0PILOT02" in bot.slack.state.home_views)
    view = bot.slack.state.home_views["U0PILOT02"]
    assert view["type"] == "home"
    text = json.dumps(view["blocks"])
    assert "Braden MacDonald" in text
    assert "<@U0CHAMP03>" in text


def test_a_stranger_gets_a_home_tab_that_says_how_to_join(bot: RunningBot) -> None:
    _open_home(bot, "U0NOBODY2", "Ev0002")
    wait_until(lambda: "U0NOBODY2" in bot.slack.state.home_views)
    assert "not on the Core Committer roster" in json.dumps(bot.slack.state.home_views["U0NOBODY2"])


def test_a_retried_event_has_no_second_effect(bot: RunningBot) -> None:
    assert _open_home(bot, "U0PILOT03", "Ev0003").status_code == 200
    wait_until(lambda: len(bot.slack.calls("views.publish")) == 1)
    for retry in (1, 2, 3):
        assert _open_home(bot, "U0PILOT03", "Ev0003", retry=retry).status_code == 200
    assert len(bot.slack.calls("views.publish")) == 1
    assert _open_home(bot, "U0PILOT03", "Ev0004").status_code == 200
    wait_until(lambda: len(bot.slack.calls("views.publish")) == 2)


def test_a_429_from_slack_is_retried_after_retry_after_and_delivered_once(bot: RunningBot) -> None:
    bot.slack.fail("views.publish", status=429, count=1, retry_after=1)
    _open_home(bot, "U0PILOT04", "Ev0005")
    wait_until(lambda: "U0PILOT04" in bot.slack.state.home_views, timeout=8)
    calls = bot.slack.calls("views.publish")
    assert len(calls) == 2, "one 429, then one success"
    assert len(bot.slack.state.home_views) == 1
