"""Putting questions and escalations into Slack: posts, their updates and the notices around them.

Handlers and jobs share these; DMs go through the outbox under a key, so each is sent once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from slack_sdk import WebClient
from slack_sdk.models.blocks import Block
from sqlmodel import Session

from bot.services.nominations import NominationCard, record_nomination_post
from bot.services.outbox import Outgoing, deliver_pending, enqueue
from bot.settings import Settings
from bot.slack import SlackMessenger
from bot.views.nominations import nomination_blocks, nomination_text

logger = logging.getLogger(__name__)


def post_nomination(client: WebClient, session: Session, card: NominationCard, *, settings: Settings) -> None:
    """Post a nomination with its vote buttons in the coordination channel."""
    settings.require("coordination_channel")
    channel = settings.coordination_channel or ""
    blocks = [block.to_dict() for block in nomination_blocks(card)]
    response = client.chat_postMessage(channel=channel, text=nomination_text(card), blocks=blocks)
    record_nomination_post(
        session, card.id, channel=str(response.get("channel") or channel), ts=str(response["ts"])
    )


def refresh_nomination(client: WebClient, card: NominationCard) -> None:
    """Redraw a nomination's post with its tally (and, once closed, its result)."""
    _redraw(
        client, card.nomination.channel, card.nomination.ts, nomination_text(card), nomination_blocks(card)
    )


def announce(
    client: WebClient, session: Session, *, key: str, channel: str | None, text: str, now: dt.datetime
) -> None:
    """Post an announcement once per key (nothing when the channel is not configured)."""
    if channel:
        _notify(session, client, now, [Outgoing(key=key, kind="announcement", channel=channel, text=text)])


def _redraw(
    client: WebClient, channel: str | None, ts: str | None, text: str, blocks: Sequence[Block]
) -> None:
    """Replace a posted message's text and blocks (nothing when it was never posted)."""
    if channel and ts:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=[block.to_dict() for block in blocks])


def _notify(session: Session, client: WebClient, now: dt.datetime, messages: list[Outgoing | None]) -> None:
    """Queue messages in the outbox and deliver them now; a failed send stays queued for the jobs."""
    wanted = [m for m in messages if m is not None]
    if not wanted:
        return
    enqueue(session, wanted, now=now)
    session.commit()
    deliver_pending(session, SlackMessenger(client), now=now, keys=[m.key for m in wanted])
