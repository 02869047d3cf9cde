"""Putting questions into Slack: the thread root, its updates and the notices around it (handlers and jobs share it)."""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.services.outbox import Outgoing, deliver_pending, enqueue
from bot.services.owners import IntroCard, record_intro_post
from bot.services.questions import QuestionCard, get_card, record_thread
from bot.settings import Settings
from bot.slack import SlackMessenger
from bot.views.owners import intro_confirmation, intro_text
from bot.views.questions import (
    ask_confirmation,
    post_failed_notice,
    question_blocks,
    question_text,
    urgent_notice,
)
from storage.models import Urgency

logger = logging.getLogger(__name__)


def post_question(
    client: WebClient, session: Session, card: QuestionCard, *, settings: Settings, now: dt.datetime
) -> QuestionCard:
    """Post a stored question as a thread root, then confirm to the asker and DM champions if urgent."""
    settings.require("coordination_channel")
    channel = settings.coordination_channel or ""
    blocks = [block.to_dict() for block in question_blocks(card)]
    try:
        response = client.chat_postMessage(
            channel=channel, text=question_text(card), blocks=blocks, unfurl_links=False
        )
    except SlackApiError as exc:
        reason = str(exc.response.get("error") or exc.response.status_code)
        logger.warning("question %s not posted: %s", card.id, reason)
        _notify(
            session,
            client,
            now,
            [
                _dm(
                    f"question-delayed:{card.id}",
                    card.committer.slack_user_id,
                    post_failed_notice(card, reason),
                )
            ],
        )
        return card
    ts = str(response["ts"])
    permalink = _permalink(client, channel, ts)
    record_thread(
        session, card.id, channel=str(response.get("channel") or channel), ts=ts, permalink=permalink
    )
    card = get_card(session, card.id)
    notices = [_dm(f"question-confirm:{card.id}", card.committer.slack_user_id, ask_confirmation(card))]
    if card.question.urgency == Urgency.URGENT.value:
        notices += [
            _dm(f"question-urgent:{card.id}:{p.id}", p.slack_user_id, urgent_notice(card))
            for p in card.responders
        ]
    _notify(session, client, now, notices)
    return card


def refresh_question(client: WebClient, card: QuestionCard) -> None:
    """Redraw a question's thread root to show its current state."""
    if not card.question.channel or not card.question.thread_ts:
        return
    blocks = [block.to_dict() for block in question_blocks(card)]
    client.chat_update(
        channel=card.question.channel, ts=card.question.thread_ts, text=question_text(card), blocks=blocks
    )


def post_in_thread(
    client: WebClient, session: Session, card: QuestionCard, *, key: str, text: str, now: dt.datetime
) -> None:
    """Post a note in a question's thread, once per key."""
    if card.question.channel and card.question.thread_ts:
        message = Outgoing(
            key=key,
            kind="question-note",
            channel=card.question.channel,
            text=text,
            thread_ts=card.question.thread_ts,
        )
        _notify(session, client, now, [message])


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
