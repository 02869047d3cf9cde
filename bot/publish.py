"""Putting questions and escalations into Slack: posts, their updates and the notices around them.

Handlers and jobs share these; DMs go through the outbox under a key, so each is sent once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from sqlmodel import Session

from bot.services.deployments import DeploymentOutcome, NoticeCard
from bot.services.keys import Subject
from bot.services.nominations import NominationCard, record_nomination_post
from bot.services.outbox import Outgoing, deliver_pending, enqueue, posting_of
from bot.services.owners import IntroCard, record_intro_post
from bot.services.roster import list_admins
from bot.settings import Settings
from bot.slack import SlackMessenger
from bot.views.deployments import (
    answer_thread_text,
    champion_thread_text,
    notice_blocks,
    notice_text,
    unmatched_text,
)
from bot.views.nominations import nomination_blocks, nomination_text
from bot.views.owners import intro_confirmation, intro_text

logger = logging.getLogger(__name__)


def post_intro(client: WebClient, session: Session, card: IntroCard, *, settings: Settings) -> str:
    """Post an intro in the coordination channel unless it was already posted; return what to tell the committer."""
    intro = card.intro
    if intro.channel and intro.ts:
        return intro_confirmation(card, _permalink(client, intro.channel, intro.ts))
    settings.require("coordination_channel")
    channel = settings.coordination_channel or ""
    response = client.chat_postMessage(channel=channel, text=intro_text(card), unfurl_links=False)
    ts = str(response["ts"])
    assert intro.id is not None
    record_intro_post(session, intro.id, channel=channel, ts=ts)
    return intro_confirmation(card, _permalink(client, channel, ts))


def publish_deployment(
    client: WebClient, session: Session, outcome: DeploymentOutcome, *, settings: Settings, now: dt.datetime
) -> None:
    """DM each matched committer (with the revert buttons), open the champions' thread, tell admins of unmatched PRs."""
    messages: list[Outgoing | None] = []
    for card in outcome.to_notify:
        assert card.person is not None
        blocks = [block.to_dict() for block in notice_blocks(card)]
        if card.person.slack_user_id:
            messages.append(
                Outgoing(
                    key=f"deploy-dm:{card.id}",
                    kind="deploy-dm",
                    channel=card.person.slack_user_id,
                    text=notice_text(card),
                    blocks=blocks,
                )
            )
        if settings.coordination_channel:
            messages.append(
                Outgoing(
                    key=f"deploy-thread:{card.id}",
                    kind="deploy-thread",
                    channel=settings.coordination_channel,
                    text=champion_thread_text(card),
                )
            )
    admins = {p.slack_user_id for p in list_admins(session) if p.slack_user_id} | set(settings.admins)
    for card in outcome.unmatched:
        messages += [
            _dm(f"deploy-unmatched:{card.id}:{admin}", admin, unmatched_text(card))
            for admin in sorted(admins)
        ]
    _notify(session, client, now, messages)


def tell_notice_answer(
    client: WebClient,
    session: Session,
    card: NoticeCard,
    *,
    now: dt.datetime,
    channel: str | None,
    ts: str | None,
) -> None:
    """Redraw the committer's DM and note their answer in the champions' thread."""
    _redraw(client, channel, ts, notice_text(card), notice_blocks(card))
    posting = posting_of(session, Subject.notice_thread(card.id))
    thread = (posting.channel, posting.ts) if posting else None
    if thread is not None:
        message = Outgoing(
            key=f"deploy-answer:{card.id}:{card.notice.state}",
            kind="deploy-answer",
            channel=thread[0],
            text=answer_thread_text(card),
            thread_ts=thread[1],
        )
        _notify(session, client, now, [message])


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


def _dm(key: str, user_id: str | None, text: str) -> Outgoing | None:
    return Outgoing(key=key, kind="question-dm", channel=user_id, text=text) if user_id else None


def _notify(session: Session, client: WebClient, now: dt.datetime, messages: list[Outgoing | None]) -> None:
    """Queue messages in the outbox and deliver them now; a failed send stays queued for the jobs."""
    wanted = [m for m in messages if m is not None]
    if not wanted:
        return
    enqueue(session, wanted, now=now)
    session.commit()
    deliver_pending(session, SlackMessenger(client), now=now, keys=[m.key for m in wanted])


def _permalink(client: WebClient, channel: str, ts: str) -> str | None:
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink") or "") or None
    except SlackApiError:
        return None
