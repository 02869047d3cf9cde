"""Faults injected for real: a worker killed mid fan-out (SIGKILL) and restarted; a claim abandoned after Slack took it."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlmodel import select

from bot.assembly import slack_client
from bot.services.outbox import CLAIM_LEASE, Outgoing, deliver_pending, enqueue
from bot.settings import load_settings
from bot.slack import SlackMessenger
from bot.slack_standin import SlackStandIn
from storage.db import make_engine, make_session_factory
from storage.models import OutboxMessage
from storage.outbox import claim_message
from tests.conftest import NOW, ROOT, wait_until


def _settings(db_url: str, slack: SlackStandIn):  # type: ignore[no-untyped-def]
    return load_settings(
        SLACK_BOT_TOKEN="xoxb-test-token", SLACK_API_URL=slack.url, CCBOT_DATABASE_URL=db_url
    )


def test_a_message_slack_took_before_the_worker_died_is_not_sent_again(
    db_url: str, slack: SlackStandIn
) -> None:
    settings = _settings(db_url, slack)
    engine = make_engine(db_url)
    messenger = SlackMessenger(slack_client(settings))
    with make_session_factory(engine)() as session:
        enqueue(
            session,
            [Outgoing(key="reminder:1:U0PILOT01", kind="reminder", channel="U0PILOT01", text="renew")],
            now=NOW,
        )
        session.commit()
        message_id = session.exec(select(OutboxMessage.id)).one()
        claimed = claim_message(session, message_id or 0, now=NOW, stale_before=NOW - CLAIM_LEASE)
        session.commit()
        assert claimed is not None
        # The dying worker's post reached Slack; its "sent" never reached the database.
        messenger.post(
            channel="U0PILOT01", text="renew", blocks=[], thread_ts=None, key="reminder:1:U0PILOT01"
        )
        later = NOW + CLAIM_LEASE + dt.timedelta(minutes=1)
        report = deliver_pending(session, messenger, now=later)
        assert report.sent == 1
        row = session.exec(select(OutboxMessage)).one()
        assert row.status == "sent"
        assert row.ts
    assert len(slack.messages("U0PILOT01")) == 1
    engine.dispose()


def test_sigkill_in_the_middle_of_a_fan_out_then_a_restart_loses_nothing_and_repeats_nothing(
    db_url: str, slack: SlackStandIn, tmp_path: Path
) -> None:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        messages = [
            Outgoing(key=f"fanout:{i}", kind="reminder", channel=f"U{i:09d}", text=f"reminder {i}")
            for i in range(150)
        ]
        enqueue(session, messages, now=NOW)
        session.commit()
    slack.delay = 0.02
    env = {
        **os.environ,
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_URL": slack.url,
        "CCBOT_DATABASE_URL": db_url,
    }
    run = [sys.executable, "-m", "bot", "jobs", "run", "question_nudges", "--now", NOW.isoformat()]
    worker = subprocess.Popen(
        run, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_until(lambda: len(slack.messages()) >= 40, timeout=30, what="half the fan-out")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    assert worker.returncode == -signal.SIGKILL
    delivered_before = len(slack.messages())
    assert delivered_before < 150, "the kill came mid fan-out"
    slack.delay = 0.0
    restart = [*run[:-1], (NOW + CLAIM_LEASE + dt.timedelta(minutes=1)).isoformat()]
    result = subprocess.run(restart, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    counts = Counter(m["text"] for m in slack.messages())
    assert len(counts) == 150, "nothing lost"
    assert max(counts.values()) == 1, "nothing twice"
    with make_session_factory(engine)() as session:
        assert set(session.exec(select(OutboxMessage.status)).all()) == {"sent"}
    engine.dispose()
