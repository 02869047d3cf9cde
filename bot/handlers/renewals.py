"""Recommitment in Slack: Recommit for YEAR / Step down, and the admins' one-click Move to alumni / Extend a month
on those who did not answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.handlers.answer import Decide, Deliver, answer, register_admin_decisions, tell
from bot.handlers.home import republish_home
from bot.handlers.state import button_id
from bot.ids import Action
from bot.services.renewals import answer_renewal, decide_listed
from bot.types.policy import Channels, Policy
from storage.models import Person, RenewalAnswer


def handle_renewal_answer(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Callable[..., Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    policy: Policy,
    channels: Channels,
    deliver: Deliver,
) -> None:
    """Record a Recommit for YEAR or Step down, and confirm it to the person (or say why it is refused)."""
    recommit = action.get("action_id") == Action.RENEWAL_RECOMMIT.value
    member_id = button_id(action, "a recommitment")
    answer_given = RenewalAnswer.RECOMMITTED if recommit else RenewalAnswer.STEPPED_DOWN
    decided = answer(
        ack,
        deliver,
        body,
        lambda: answer_renewal(session, member_id, person, answer=answer_given, now=now, channels=channels),
    )
    if decided is None:
        return
    tell(respond, body, decided.confirmation)
    if (body.get("container") or {}).get("type") == "view" and person is not None:
        republish_home(client, body, session, person, now, policy)


# The admins' one-click buttons on a recommitment round's non-answerers
RENEWAL_DECISIONS: dict[str, tuple[str, Decide]] = {
    Action.RENEWAL_MOVE.value: (
        "a recommitment",
        lambda session, target, actor, now, policy, channels: decide_listed(
            session, target, actor, extend=False, now=now, policy=policy
        ),
    ),
    Action.RENEWAL_EXTEND.value: (
        "a recommitment",
        lambda session, target, actor, now, policy, channels: decide_listed(
            session, target, actor, extend=True, now=now, policy=policy
        ),
    ),
}


def register(app: App) -> None:
    """Register the recommitment answers and the admins' decisions on non-answerers."""
    app.action(Action.RENEWAL_RECOMMIT.value)(handle_renewal_answer)
    app.action(Action.RENEWAL_STEP_DOWN.value)(handle_renewal_answer)
    register_admin_decisions(app, RENEWAL_DECISIONS)
