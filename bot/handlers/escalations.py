"""Escalations: `/cc-escalate`, the `escalate_message` shortcut, the Escalate button on a question, and the
managers' Acknowledge, Resolve and Reassign buttons with their modals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from sqlmodel import Session

from bot.handlers.answer import decides, opens
from bot.handlers.state import (
    button_id,
    metadata,
    metadata_id,
    selected_value,
    text_value,
)
from bot.ids import Action, Command, Input, Shortcut, ViewId
from bot.middleware import acks_first
from bot.services.errors import UserError
from bot.services.escalations import (
    acknowledge_escalation,
    check_can_resolve,
    earlier_escalation,
    escalation_form,
    open_escalation,
    prefill_from_question,
    reassign_candidates,
    reassign_escalation,
    resolve_escalation,
    submission_keys,
    validate_escalation,
)
from bot.types.decided import Decided
from bot.types.policy import Channels
from bot.views.blocks import notice_modal
from bot.views.escalations import already_raised_modal, escalate_modal, reassign_modal, resolve_modal
from storage.models import Person


def open_escalate_modal(session: Session, person: Person | None) -> View:
    """Open the escalate modal; a person who may not escalate is told why (before the ack)."""
    return escalate_modal(escalation_form(session, person))


def open_escalate_modal_from_message(
    ack: Callable[..., None],
    shortcut: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
) -> None:
    """Open the escalate modal pre-filled with the message's text and link."""
    ack()
    try:
        form = escalation_form(session, person)
    except UserError as exc:
        client.views_open(trigger_id=shortcut["trigger_id"], view=notice_modal("Cannot escalate", str(exc)))
        return
    message = shortcut.get("message") or {}
    channel = (shortcut.get("channel") or {}).get("id") or ""
    permalink = message_permalink(client, channel, str(message.get("ts") or ""))
    prefill = {"impact": str(message.get("text") or ""), "source": str(permalink or "")}
    client.views_open(trigger_id=shortcut["trigger_id"], view=escalate_modal(form, prefill))


def handle_escalate_submission(
    body: dict[str, Any],
    view: dict[str, Any],
    session: Session,
    person: Person | None,
    now: dt.datetime,
    channels: Channels,
) -> Decided:
    """Validate the escalation (field errors in the ack), then store it with its post and notices; a submission
    that repeats an earlier one (Slack's retry, or the same escalation sent again) shows that one instead."""
    extra = metadata(view)
    committer = selected_value(view, Input.ESCALATION_COMMITTER)
    draft = validate_escalation(
        session,
        person,
        committer_id=int(committer) if committer and committer.isdigit() else None,
        summary=text_value(view, Input.ESCALATION_SUMMARY),
        impact=text_value(view, Input.ESCALATION_IMPACT),
        related=text_value(view, Input.ESCALATION_RELATED),
        urgency=selected_value(view, Input.URGENCY),
        question_id=int(extra["question"]) if str(extra.get("question", "")).isdigit() else None,
        source_url=str(extra.get("source") or "")[:500] or None,
    )
    assert person is not None
    user_id = str((body.get("user") or {}).get("id") or "")
    keys = submission_keys(user_id, draft, view_id=str(view.get("id") or "") or None, now=now)
    earlier = earlier_escalation(session, keys)
    if earlier is not None:
        return Decided(earlier, repeated=True)
    # Written before the ack: a write that fails is told in the modal instead of being lost after it closed.
    return open_escalation(session, person, draft, now=now, channels=channels, submission=keys)


def _already_raised(decided: Decided) -> View | None:
    return already_raised_modal(decided.card) if decided.repeated else None


def handle_escalate_question_action(action: dict[str, Any], session: Session, person: Person | None) -> View:
    """Open the escalate modal pre-filled from an unanswered question."""
    form, prefill = prefill_from_question(session, button_id(action, "a question"), person)
    return escalate_modal(form, prefill)


def handle_acknowledge_action(
    action: dict[str, Any], session: Session, person: Person | None, now: dt.datetime
) -> Decided:
    """Acknowledge an escalation (managers and admins), redraw it and tell the committer."""
    return acknowledge_escalation(session, button_id(action, "an escalation"), person, now=now)


def handle_resolve_action(action: dict[str, Any], session: Session, person: Person | None) -> View:
    """Open the resolution-note modal (managers and admins)."""
    return resolve_modal(check_can_resolve(session, button_id(action, "an escalation"), person))


def handle_resolve_submission(
    view: dict[str, Any], session: Session, person: Person | None, now: dt.datetime
) -> Decided:
    """Resolve the escalation with the note (field errors in the ack), then redraw its post and tell the committer."""
    escalation_id = metadata_id(view, "escalation", "an escalation")
    return resolve_escalation(session, escalation_id, person, text_value(view, Input.RESOLUTION), now=now)


def handle_reassign_action(action: dict[str, Any], session: Session, person: Person | None) -> View:
    """Open the modal to choose the next owner (managers and admins)."""
    card, candidates = reassign_candidates(session, button_id(action, "an escalation"), person)
    return reassign_modal(card, candidates)


def handle_reassign_submission(
    view: dict[str, Any], session: Session, person: Person | None, now: dt.datetime
) -> Decided:
    """Give the escalation to the chosen manager (a select, or `@handle` typed), then tell them and the committer."""
    # A select of managers when there are some to offer, a handle typed in otherwise.
    chosen = selected_value(view, Input.REASSIGN_TO) or text_value(view, Input.REASSIGN_TO)
    escalation_id = metadata_id(view, "escalation", "an escalation")
    return reassign_escalation(session, escalation_id, person, chosen, now=now)


def message_permalink(client: WebClient, channel: str, ts: str) -> str | None:
    """Return a message's permalink; None when Slack will not give one (the modal opens without it)."""
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink") or "") or None
    except SlackApiError:
        return None


def register(app: App) -> None:
    """Register everything of the escalations feature."""
    app.command(Command.ESCALATE.value)(opens(open_escalate_modal))
    app.shortcut(Shortcut.ESCALATE_MESSAGE.value)(acks_first(open_escalate_modal_from_message))
    app.view(ViewId.ESCALATE.value)(decides(handle_escalate_submission, update=_already_raised))
    app.action(Action.ESCALATE_QUESTION.value)(opens(handle_escalate_question_action))
    app.action(Action.ACKNOWLEDGE_ESCALATION.value)(decides(handle_acknowledge_action))
    app.action(Action.RESOLVE_ESCALATION.value)(opens(handle_resolve_action))
    app.view(ViewId.RESOLVE_ESCALATION.value)(decides(handle_resolve_submission))
    app.action(Action.REASSIGN_ESCALATION.value)(opens(handle_reassign_action))
    app.view(ViewId.REASSIGN_ESCALATION.value)(decides(handle_reassign_submission))
