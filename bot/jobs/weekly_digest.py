"""Mondays 09:00 (CCBOT_DIGEST_TIMEZONE): the week's digest to each manager by DM and to the digest channel."""

from __future__ import annotations

import logging

from bot.runtime import JobContext
from bot.services.digest import build_digest, digest_recipients
from bot.services.outbox import DeliveryReport, Outgoing, enqueue
from bot.views.digest import MAX_LOAD_ROWS, digest_blocks, digest_text, load_csv

logger = logging.getLogger(__name__)


def weekly_digest(ctx: JobContext) -> DeliveryReport:
    """Queue this week's digest once per recipient (and the CSV when the table does not fit), then deliver."""
    now, session = ctx.now, ctx.session
    digest = build_digest(session, now=now)
    blocks = [block.to_dict() for block in digest_blocks(digest)]
    text = digest_text(digest)
    channels = [(str(p.id), p.slack_user_id) for p in digest_recipients(session) if p.slack_user_id]
    if ctx.channels.digest:
        channels.append(("channel", ctx.channels.digest))
    messages = []
    for recipient, channel in channels:
        assert channel is not None
        key = f"digest:{digest.period}:{recipient}"
        messages.append(Outgoing(key=key, kind="digest", channel=channel, text=text, blocks=blocks))
        if len(digest.loads) > MAX_LOAD_ROWS:
            messages.append(
                Outgoing(
                    key=f"{key}:csv",
                    kind="digest-csv",
                    channel=channel,
                    text=load_csv(digest),
                    file_name=f"champion-load-{digest.period}.csv",
                )
            )
    queued = enqueue(session, messages, now=now)
    session.commit()
    report = ctx.deliver()
    logger.info("weekly_digest %s: %d queued; %s", digest.period, queued, report)
    return report
