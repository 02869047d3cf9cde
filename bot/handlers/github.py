"""GitHub review asks in Slack: Take it and Pass it on (the webhook itself is bot/github_hook.py).

Buttons do their database work before the ack, so a refusal is answered before Slack's response goes out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from sqlmodel import Session

from bot.handlers.state import Deliver, button_id
from bot.ids import Action
from bot.services.github.work import pass_review, take_review
from bot.types.policy import Channels, Policy
from storage.models import Person


def handle_take_review_action(
    ack: Callable[..., None],
    action: dict[str, Any],
    session: Session,
    person: Person | None,
    now: dt.datetime,
    policy: Policy,
    deliver: Deliver,
) -> None:
    """The asked committer takes the review: recorded, and their DM redrawn to show it."""
    decided = take_review(
        session, button_id(action, "a review request"), person, now=now, web_url=policy.github.web_url
    )
    ack()
    deliver(decided.keys)


def handle_pass_review_action(
    ack: Callable[..., None],
    action: dict[str, Any],
    session: Session,
    person: Person | None,
    now: dt.datetime,
    policy: Policy,
    channels: Channels,
    deliver: Deliver,
) -> None:
    """The asked committer passes the review on: the next committer is asked (or the coordination channel told)."""
    decided = pass_review(
        session,
        button_id(action, "a review request"),
        person,
        now=now,
        channels=channels,
        web_url=policy.github.web_url,
    )
    ack()
    deliver(decided.keys)


def register(app: App) -> None:
    """Register the review-ask buttons."""
    app.action(Action.TAKE_REVIEW.value)(handle_take_review_action)
    app.action(Action.PASS_REVIEW.value)(handle_pass_review_action)
