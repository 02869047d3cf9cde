"""The Slack stand-in keeps Slack's rate limits when asked: tiers per method, chat.postMessage per channel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.slack_standin import SlackLimits, SlackStandIn, floor_seconds
from bot.types.outbox import POST_PER_CHANNEL, POST_PER_WORKSPACE, TIERS, Rate


class Clock:
    """A real-time clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(clock: Clock) -> Iterator[SlackStandIn]:
    stand_in = SlackStandIn(rate_limits=True, clock=clock).start()
    stand_in.add_user("U1", email="a@example.org")
    yield stand_in
    stand_in.stop()


def call(stand_in: SlackStandIn, method: str, **args: str) -> httpx.Response:
    return httpx.post(
        f"{stand_in.url}{method}", data=args, headers={"Authorization": "Bearer xoxb-test"}, timeout=5
    )


def test_a_burst_over_a_tier_gets_429_with_retry_after(limited: SlackStandIn) -> None:
    tier2 = TIERS[2]
    answers = [call(limited, "users.list") for _ in range(tier2.burst + 2)]
    assert [a.status_code for a in answers] == [200] * tier2.burst + [429, 429]
    # One token comes back every 3 s at 20 a minute.
    assert answers[-1].headers["Retry-After"] == "3"
    assert answers[-1].json() == {"ok": False, "error": "ratelimited"}
    assert limited.rate_limited("users.list") == 2
    assert limited.rate_limited() == 2
    # Tiers are per method: another method is untouched.
    assert call(limited, "users.lookupByEmail", email="a@example.org").status_code == 200


def test_a_tier_refills_at_its_rate(limited: SlackStandIn, clock: Clock) -> None:
    tier3 = TIERS[3]
    for _ in range(tier3.burst):
        assert call(limited, "chat.update", channel="C1", ts="1").status_code == 200
    assert call(limited, "chat.update", channel="C1", ts="1").status_code == 429
    clock.now += 60 / tier3.per_minute  # one token's worth
    assert call(limited, "chat.update", channel="C1", ts="1").status_code == 200
    assert call(limited, "chat.update", channel="C1", ts="1").status_code == 429
    clock.now += 3600  # never more than the burst
    statuses = [
        call(limited, "chat.update", channel="C1", ts="1").status_code for _ in range(tier3.burst + 1)
    ]
    assert statuses == [200] * tier3.burst + [429]


def test_posts_are_limited_per_channel(limited: SlackStandIn, clock: Clock) -> None:
    statuses = [
        call(limited, "chat.postMessage", channel="C1", text="hi").status_code
        for _ in range(POST_PER_CHANNEL.burst + 1)
    ]
    assert statuses == [200] * POST_PER_CHANNEL.burst + [429]
    # Another channel (and a DM) still takes posts; the first takes one again a second later.
    assert call(limited, "chat.postMessage", channel="C2", text="hi").status_code == 200
    assert call(limited, "chat.postMessage", channel="U1", text="hi").status_code == 200
    clock.now += 1
    assert call(limited, "chat.postMessage", channel="C1", text="hi").status_code == 200
    assert limited.rate_limited("chat.postMessage") == 1
    assert len(limited.messages("C1")) == POST_PER_CHANNEL.burst + 1


def test_posts_are_limited_per_workspace_across_channels(clock: Clock) -> None:
    limits = SlackLimits(post_per_workspace=Rate(per_minute=60, burst=2))
    stand_in = SlackStandIn(rate_limits=limits, clock=clock).start()
    try:
        statuses = [
            call(stand_in, "chat.postMessage", channel=f"U{i}", text="x").status_code for i in range(3)
        ]
    finally:
        stand_in.stop()
    assert statuses == [200, 200, 429]


def test_the_time_scale_makes_a_slack_minute_pass_in_a_real_second(clock: Clock) -> None:
    stand_in = SlackStandIn(rate_limits=True, time_scale=60, clock=clock).start()
    try:
        tier2 = TIERS[2]
        for _ in range(tier2.burst):
            call(stand_in, "users.list")
        refused = call(stand_in, "users.list")
        # Retry-After is in Slack seconds: 3 of them, a twentieth of a real second.
        assert (refused.status_code, refused.headers["Retry-After"]) == (429, "3")
        clock.now += 3 / 60
        assert call(stand_in, "users.list").status_code == 200
        clock.now += 1  # a Slack minute: the whole burst is back
        statuses = [call(stand_in, "users.list").status_code for _ in range(tier2.burst + 1)]
        assert statuses == [200] * tier2.burst + [429]
    finally:
        stand_in.stop()


def test_limits_are_off_by_default(slack: SlackStandIn) -> None:
    statuses = {call(slack, "users.list").status_code for _ in range(30)}
    assert statuses == {200}
    assert slack.rate_limited() == 0


def test_slack_sdk_retry_handler_waits_out_retry_after() -> None:
    stand_in = SlackStandIn(rate_limits=True).start()
    view = {"type": "home", "blocks": []}
    try:
        bare = WebClient(token="xoxb-test", base_url=stand_in.url)
        for _ in range(TIERS[4].burst):
            bare.views_publish(user_id="U1", view=view)
        with pytest.raises(SlackApiError) as refused:
            bare.views_publish(user_id="U1", view=view)
        client = WebClient(
            token="xoxb-test",
            base_url=stand_in.url,
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
        )
        # Over the tier too, but the handler waits Retry-After (1 s at 100 a minute) and gets through.
        assert client.views_publish(user_id="U1", view=view)["ok"]
    finally:
        stand_in.stop()
    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["Retry-After"] == "1"
    assert stand_in.rate_limited("views.publish") == 2
    assert len(stand_in.calls("views.publish")) == TIERS[4].burst + 3


def test_the_floor_of_a_mix_of_calls() -> None:
    # 1,000 DMs to 1,000 people: one post per DM channel, so only the workspace-wide limit counts.
    dms = {("chat.postMessage", f"U{i}"): 1 for i in range(1000)}
    assert floor_seconds(dms) == pytest.approx(
        (1000 - POST_PER_WORKSPACE.burst) / POST_PER_WORKSPACE.per_second
    )
    # 100 posts in one channel: one a second after the burst.
    one_channel = {("chat.postMessage", "C1"): 100}
    assert floor_seconds(one_channel) == pytest.approx(
        max(
            (100 - POST_PER_CHANNEL.burst) / POST_PER_CHANNEL.per_second,
            (100 - POST_PER_WORKSPACE.burst) / POST_PER_WORKSPACE.per_second,
        )
    )
    # Different methods draw on different budgets: the slowest decides.
    mix: dict[Any, int] = {**dms, "chat.update": 200}
    assert floor_seconds(mix) == pytest.approx(
        max(floor_seconds(dms), (200 - TIERS[3].burst) / TIERS[3].per_second)
    )
    assert floor_seconds({"auth.test": 10_000}) == 0.0
    assert floor_seconds({"users.list": 2}) == 0.0
