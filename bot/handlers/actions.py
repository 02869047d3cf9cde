"""Buttons: questions (claim, answer, hand off, escalate), owner intros, escalations (acknowledge, resolve, reassign).

Each button does its database work before the ack, so a refusal is answered before Slack's response
goes out (Bolt drops the response of a listener that fails right after acking).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.ids import Action, ViewId
from bot.publish import (
    post_intro,
    refresh_nomination,
    refresh_question,
    tell_escalation_change,
    tell_notice_answer,
)
from bot.services.admin import check_admin
from bot.services.deployments import answer_notice
from bot.services.errors import UserError
from bot.services.escalations import (
    acknowledge_escalation,
    check_can_resolve,
    prefill_from_question,
    reassign_candidates,
)
from bot.services.nominations import cast_vote, nomination_rules
from bot.services.owners import request_intro
from bot.services.policy import current_policy
from bot.services.questions import claim_question, get_card, hand_off_candidates, mark_answered
from bot.services.retros import feedback_form
from bot.settings import Settings
from bot.views.admin import admin_modal
from bot.views.escalations import escalate_modal, reassign_modal, resolve_modal
from bot.views.questions import hand_off_modal
from bot.views.retros import retro_modal
from storage.models import NoticeState, Person


def _button_id(action: dict[str, Any], what: str) -> int:
    """Return the id a button carries; a stale or tampered button is told to start over."""
    value = str(action.get("value") or "")
    if not value.isdigit():
        raise UserError(f"This button no longer points at {what}. Open it again from its latest message.")
    return int(value)


def _question_id(action: dict[str, Any]) -> int:
    return _button_id(action, "a question")


def handle_claim_action(
    ack: Callable[..., None],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
) -> None:
    """Claim a question for the clicker and redraw its thread root."""
    card = claim_question(session, _question_id(action), person, now=now)
    ack()
    refresh_question(client, card)


def handle_answered_action(
    ack: Callable[..., None],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
) -> None:
    """Close a question as answered and redraw its thread root."""
    card = mark_answered(session, _question_id(action), person, now=now)
    ack()
    refresh_question(client, card)


def handle_hand_off_action(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
) -> None:
    """Open the hand-off modal, suggesting the other champion."""
    question_id = _question_id(action)
    candidates = hand_off_candidates(session, question_id, person)
    card = get_card(session, question_id)
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=hand_off_modal(card, candidates))


def handle_request_intro_action(
    ack: Callable[..., None],
    action: dict[str, Any],
    respond: Callable[..., Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Post an intro to the owners in the coordination channel (once a week at most) and tell the committer."""
    try:
        target = json.loads(action.get("value") or "{}")
    except ValueError:
        target = {}
    if not isinstance(target, dict) or not target.get("repo"):
        raise UserError("This button no longer points at a repository. Run `/cc-owners` again.")
    card = request_intro(session, person, str(target["repo"]), str(target.get("path") or ""), now=now)
    ack()
    respond(
        text=post_intro(client, session, card, settings=settings),
        response_type="ephemeral",
        replace_original=False,
    )


def _escalation_id(action: dict[str, Any]) -> int:
    return _button_id(action, "an escalation")


def handle_escalate_question_action(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
) -> None:
    """Open the escalate modal pre-filled from an unanswered question."""
    form, prefill = prefill_from_question(session, _question_id(action), person)
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=escalate_modal(form, prefill))


def handle_acknowledge_action(
    ack: Callable[..., None],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
) -> None:
    """Acknowledge an escalation (managers and admins), redraw it and tell the committer."""
    card = acknowledge_escalation(session, _escalation_id(action), person, now=now)
    ack()
    tell_escalation_change(client, session, card, "acknowledged", now=now)


def handle_resolve_action(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
) -> None:
    """Open the resolution-note modal (managers and admins)."""
    card = check_can_resolve(session, _escalation_id(action), person)
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=resolve_modal(card))


def handle_reassign_action(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
) -> None:
    """Open the modal to choose the next owner (managers and admins)."""
    card, candidates = reassign_candidates(session, _escalation_id(action), person)
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=reassign_modal(card, candidates))


def handle_share_feedback_action(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
) -> None:
    """Open the 4Ls modal of the retro the button belongs to."""
    value = str(action.get("value") or "")
    retro, feedback = feedback_form(
        session, person, now=now, retro_id=int(value) if value.isdigit() else None
    )
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=retro_modal(retro, feedback))


NOTICE_ANSWERS = {
    Action.NOTICE_REVERTING.value: NoticeState.REVERTING,
    Action.NOTICE_NOT_MINE.value: NoticeState.NOT_MINE,
    Action.NOTICE_HELP.value: NoticeState.HELP,
}


def handle_notice_action(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
) -> None:
    """Record the committer's answer to a production notice, redraw the DM and tell the champions' thread."""
    notice_id = _button_id(action, "a production notice")
    card = answer_notice(session, notice_id, person, NOTICE_ANSWERS[str(action.get("action_id"))], now=now)
    ack()
    container = body.get("container") or {}
    tell_notice_answer(
        client, session, card, now=now, channel=container.get("channel_id"), ts=container.get("message_ts")
    )


def handle_vote_action(
    ack: Callable[..., None],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Record an active committer's vote (changeable until close) and redraw the tally."""
    rules = nomination_rules(settings)
    card = cast_vote(
        session,
        _button_id(action, "a nomination"),
        person,
        yes=action.get("action_id") == Action.VOTE_YES.value,
        now=now,
        rules=rules,
    )
    ack()
    refresh_nomination(client, card)


def handle_admin_open_action(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    settings: Settings,
) -> None:
    """Open the modal of the admin change the button names."""
    check_admin(session, person, settings.admins)
    try:
        view = ViewId(str(action.get("value")))
    except ValueError:
        raise UserError("This admin button is out of date; run `/cc-admin` again.") from None
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=admin_modal(view, current_policy(session)))


def register(app: App) -> None:
    """Register the buttons."""
    app.action(Action.CLAIM_QUESTION.value)(handle_claim_action)
    app.action(Action.ANSWER_QUESTION.value)(handle_answered_action)
    app.action(Action.HAND_OFF_QUESTION.value)(handle_hand_off_action)
    app.action(Action.REQUEST_INTRO.value)(handle_request_intro_action)
    app.action(Action.ESCALATE_QUESTION.value)(handle_escalate_question_action)
    app.action(Action.ACKNOWLEDGE_ESCALATION.value)(handle_acknowledge_action)
    app.action(Action.RESOLVE_ESCALATION.value)(handle_resolve_action)
    app.action(Action.REASSIGN_ESCALATION.value)(handle_reassign_action)
    app.action(Action.SHARE_FEEDBACK.value)(handle_share_feedback_action)
    for action_id in NOTICE_ANSWERS:
        app.action(action_id)(handle_notice_action)
    app.action(Action.VOTE_YES.value)(handle_vote_action)
    app.action(Action.VOTE_NO.value)(handle_vote_action)
    app.action(re.compile(f"^{Action.ADMIN_OPEN.value}:"))(handle_admin_open_action)
