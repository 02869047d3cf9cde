"""GitHub review asks in Slack: Take it and Pass it on (the webhook itself is bot/github_hook.py).

Buttons do their database work before the ack, so a refusal is answered before Slack's response goes out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from slack_bolt import App
from sqlmodel import Session

from bot.handlers.answer import decides
from bot.handlers.state import button_id
from bot.ids import Action
from bot.services.github.work import pass_review, take_review
from bot.types.decided import Decided
from bot.types.github import ReviewAskCard
from bot.types.policy import Channels, Policy
from storage.models import Person


def handle_take_review_action(
    action: dict[str, Any], session: Session, person: Person | None, now: dt.datetime, policy: Policy
) -> Decided[ReviewAskCard]:
    """The asked committer takes the review: recorded, and their DM redrawn to show it."""
    ask_id = button_id(action, "a review request")
    return take_review(session, ask_id, person, now=now, web_url=policy.github.web_url)


def handle_pass_review_action(
    action: dict[str, Any],
    session: Session,
    person: Person | None,
    now: dt.datetime,
    policy: Policy,
    channels: Channels,
) -> Decided[ReviewAskCard]:
    """The asked committer passes the review on: the next committer is asked (or the coordination channel told)."""
    ask_id = button_id(action, "a review request")
    return pass_review(session, ask_id, person, now=now, channels=channels, web_url=policy.github.web_url)


def register(app: App) -> None:
    """Register the review-ask buttons."""
    app.action(Action.TAKE_REVIEW.value)(decides(handle_take_review_action))
    app.action(Action.PASS_REVIEW.value)(decides(handle_pass_review_action))
