"""Mondays 09:00 (CCBOT_DIGEST_TIMEZONE): the week's digest to each manager by DM and to the digest channel."""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from sqlmodel import Session

from bot.services.digest import build_digest, digest_recipients
from bot.services.outbox import DELIVERY_WORKERS, DeliveryReport, Outgoing, deliver_pending, enqueue
from bot.settings import Settings, load_settings
from bot.slack import SlackMessenger
from bot.views.digest import MAX_LOAD_ROWS, digest_blocks, digest_text, load_csv

logger = logging.getLogger(__name__)


def weekly_digest(
    now: dt.datetime, session: Session, client: WebClient, *, settings: Settings | None = None
) -> DeliveryReport:
    """Queue this week's digest once per recipient (and the CSV when the table does not fit), then deliver."""
    settings = settings or load_settings()
    digest = build_digest(session, now=now)
    blocks = [block.to_dict() for block in digest_blocks(digest)]
    text = digest_text(digest)
    channels = [(str(p.id), p.slack_user_id) for p in digest_recipients(session) if p.slack_user_id]
    if settings.digest_channel:
        channels.append(("channel", settings.digest_channel))
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
    report = deliver_pending(session, SlackMessenger(client), now=now, workers=DELIVERY_WORKERS)
    logger.info("weekly_digest %s: %d queued; %s", digest.period, queued, report)
    return report
