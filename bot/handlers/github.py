"""GitHub review asks in Slack: Take it and Pass it on (the webhook itself is bot/github_hook.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.ids import Action
from bot.services.errors import UserError
from bot.services.github import GitHubOutcome, pass_review, take_review
from bot.services.outbox import deliver_pending, enqueue
from bot.settings import Settings
from bot.slack import SlackMessenger
from bot.views.github import outgoing_for, passed_blocks, review_ask_blocks, review_ask_text
from storage.models import Person


def _ask_id(action: dict[str, Any]) -> int:
    value = str(action.get("value") or "")
    if not value.isdigit():
        raise UserError("This button no longer points at a review request. Open the latest one in your DMs.")
    return int(value)


def _redraw(client: WebClient, body: dict[str, Any], text: str, blocks: list[dict[str, Any]]) -> None:
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if channel and ts:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


def handle_take_review_action(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """The asked committer takes the review: recorded, and their DM shows it."""
    card = take_review(session, _ask_id(action), person, now=now, web_url=settings.github_web_url)
    ack()
    _redraw(client, body, review_ask_text(card), [b.to_dict() for b in review_ask_blocks(card)])


def handle_pass_review_action(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """The asked committer passes the review on: the next committer is asked (or the coordination channel told)."""
    card = pass_review(session, _ask_id(action), person, now=now, web_url=settings.github_web_url)
    outcome = GitHubOutcome(
        status="passed",
        asks=[card] if card.reviewer is not None else [],
        unassigned=[] if card.reviewer is not None else [card],
    )
    messages = outgoing_for(outcome, coordination_channel=settings.coordination_channel)
    # The pass and the next ask commit together, so the review is never dropped nor asked twice.
    enqueue(session, messages, now=now)
    session.commit()
    ack()
    _redraw(client, body, "You passed the review on", [b.to_dict() for b in passed_blocks(card)])
    deliver_pending(session, SlackMessenger(client), now=now, keys=[m.key for m in messages])


def register(app: App) -> None:
    """Register the review-ask buttons."""
    app.action(Action.TAKE_REVIEW.value)(handle_take_review_action)
    app.action(Action.PASS_REVIEW.value)(handle_pass_review_action)
