"""The outbox_delivery job: queued messages go out once, and the admins hear of any that had to be given up."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.assembly import Bot
from bot.services.outbox import commit, post
from bot.slack_standin import SlackStandIn
from bot.types.keys import Kind
from tests.conftest import NOW, load_pilot, run_at


def test_a_message_given_up_is_told_to_the_admins_once(
    session: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    load_pilot(session)
    slack.add_channel("C0NOTIN01", "private-team", member=False)
    commit(session, [post(Kind.DIGEST, ["2026-W48", "team"], "C0NOTIN01", "the digest")], now=NOW)
    commit(session, [post(Kind.DIGEST, ["2026-W48", "channel"], "C0COORD01", "the digest too")], now=NOW)
    run_at(job_bot, "outbox_delivery", NOW)
    run_at(job_bot, "outbox_delivery", NOW + dt.timedelta(minutes=1))
    assert [m["text"] for m in slack.messages("C0COORD01")] == ["the digest too"]
    for admin in ("U0ADMIN01", "U0ADMIN99"):  # on the roster, and bootstrapped by CCBOT_ADMINS
        told = slack.messages(admin)
        assert len(told) == 1, admin
        assert "digest:2026-W48:team" in told[0]["text"]
        assert "not_in_channel" in told[0]["text"]
