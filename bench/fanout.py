"""Fan-out: 2,000 reminders through the outbox while the Slack stand-in answers 10% of posts with 429s.

Run: python -m bench.fanout [--messages 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.common import write_section
from bot.assembly import build_bot
from bot.services.outbox import Outgoing, deliver_pending, enqueue
from bot.settings import load_settings
from bot.slack_standin import SlackStandIn
from storage.db import upgrade

RETRY_AFTER = 1


def main() -> None:
    """Queue the reminders, deliver them, check each arrived once, and write the result."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    slack = SlackStandIn().start()
    slack.fail_every("chat.postMessage", 10, status=429, retry_after=RETRY_AFTER)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            SLACK_BOT_TOKEN="xoxb-bench",
            SLACK_API_URL=slack.url,
            CCBOT_DATABASE_URL=f"sqlite:///{Path(tmp) / 'f.db'}",
        )
        bot = build_bot(settings)
        upgrade(bot.runtime.engine)
        now = dt.datetime.now(dt.UTC)
        with bot.runtime.session_factory() as session:
            messages = [
                Outgoing(key=f"bench:{i}", kind="bench", channel=f"U{i:09d}", text=f"reminder {i}")
                for i in range(args.messages)
            ]
            enqueue(session, messages, now=now)
            session.commit()
            started = time.perf_counter()
            report = deliver_pending(
                session,
                bot.runtime.messenger,
                now=now,
                limit=args.messages,
                workers=args.workers,
                budget=bot.runtime.budget,
            )
            elapsed = time.perf_counter() - started
        bot.close()
    delivered = Counter(m["text"] for m in slack.messages())
    limited = sum(1 for c in slack.calls("chat.postMessage")) - len(delivered)
    slack.stop()
    duplicates = sum(1 for n in delivered.values() if n > 1)
    # Each 429 costs its Retry-After; the workers wait out theirs side by side.
    floor = limited * RETRY_AFTER / args.workers
    body = (
        f"{args.messages:,} DMs queued in the outbox and delivered by {args.workers} workers; the stand-in answered every tenth "
        f"`chat.postMessage` with 429 and `Retry-After: {RETRY_AFTER}`.\n\n"
        f"| delivered | distinct | duplicates | 429s | elapsed | floor (429s x Retry-After / workers) | ratio |\n"
        f"|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {report.sent} | {len(delivered)} | {duplicates} | {limited} | {elapsed:.1f} s | {floor:.1f} s | "
        f"{elapsed / floor if floor else float('nan'):.2f}x |"
    )
    write_section("Fan-out under rate limits", "python -m bench.fanout", body)
    print(body)


if __name__ == "__main__":
    main()
