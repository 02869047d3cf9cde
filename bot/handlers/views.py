"""Modal submissions: a new question, a question handed off, an escalation raised, resolved or reassigned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.handlers.state import checked_values, metadata, selected_user, selected_value, text_value
from bot.ids import Input, ViewId
from bot.publish import (
    post_escalation,
    post_in_thread,
    post_question,
    refresh_question,
    tell_escalation_change,
)
from bot.services.errors import FieldErrors, UserError
from bot.services.escalations import (
    open_escalation,
    reassign_escalation,
    resolve_escalation,
    validate_escalation,
)
from bot.services.questions import ask_question, ask_refusal, hand_off, validate_question
from bot.services.retros import Feedback, submit_feedback
from bot.services.roster import find_person_by_slack_id
from bot.settings import Settings
from bot.views.questions import handed_off_text, notice_modal, refusal_text
from bot.views.retros import ANONYMOUS_VALUE
from storage.models import Person


def handle_ask_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Validate the question in the ack (field errors), then store it and post its thread."""
    try:
        draft = validate_question(
            pr_url=text_value(view, Input.PR_URL),
            text=text_value(view, Input.QUESTION),
            urgency=selected_value(view, Input.URGENCY),
        )
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    refusal = ask_refusal(session, person, today=now.date())
    if refusal is not None or person is None:
        ack(response_action="update", view=notice_modal("Not sent", refusal_text(refusal) if refusal else ""))
        return
    ack()
    card = ask_question(session, person, draft, now=now)
    post_question(client, session, card, settings=settings, now=now)


def handle_hand_off_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
) -> None:
    """Hand a question to the chosen person, then redraw its thread root and tell them in the thread."""
    question_id = int(metadata(view).get("question") or 0)
    target = find_person_by_slack_id(session, selected_user(view, Input.HAND_OFF_TO) or "")
    if target is None or target.id is None:
        ack(
            response_action="errors",
            errors={Input.HAND_OFF_TO.value: "Choose someone on the Core Committer roster."},
        )
        return
    try:
        card = hand_off(session, question_id, person, target.id, now=now)
    except UserError as exc:
        ack(response_action="errors", errors={Input.HAND_OFF_TO.value: str(exc)})
        return
    ack()
    assert person is not None
    refresh_question(client, card)
    post_in_thread(
        client,
        session,
        card,
        key=f"question-handoff:{card.id}:{target.id}:{now:%Y%m%d%H%M%S}",
        text=handed_off_text(card, person),
        now=now,
    )


def handle_escalate_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Validate the escalation in the ack (field errors), then store it and post it to management."""
    extra = metadata(view)
    committer = selected_value(view, Input.ESCALATION_COMMITTER)
    try:
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
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    ack()
    assert person is not None
    card = open_escalation(session, person, draft, now=now)
    post_escalation(client, session, card, settings=settings, now=now)


def handle_resolve_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
) -> None:
    """Resolve the escalation with the note, then redraw its post and tell the committer."""
    try:
        card = resolve_escalation(
            session,
            int(metadata(view).get("escalation") or 0),
            person,
            text_value(view, Input.RESOLUTION),
            now=now,
        )
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    ack()
    tell_escalation_change(client, session, card, "resolved", now=now)


def handle_reassign_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
) -> None:
    """Give the escalation to the chosen manager, then tell them and the committer."""
    chosen = selected_value(view, Input.REASSIGN_TO) or ""
    try:
        card = reassign_escalation(
            session,
            int(metadata(view).get("escalation") or 0),
            person,
            int(chosen) if chosen.isdigit() else 0,
            now=now,
        )
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    ack()
    tell_escalation_change(client, session, card, "reassigned", now=now, actor=person)


def handle_retro_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
) -> None:
    """Store the 4Ls (field errors in the ack) and thank the participant."""
    feedback = Feedback(
        liked=text_value(view, Input.LIKED),
        lacked=text_value(view, Input.LACKED),
        learned=text_value(view, Input.LEARNED),
        longed_for=text_value(view, Input.LONGED_FOR),
        anonymous=ANONYMOUS_VALUE in checked_values(view, Input.ANONYMOUS),
    )
    try:
        retro = submit_feedback(session, person, int(metadata(view).get("retro") or 0), feedback, now=now)
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    thanks = "Thank you! Your feedback is saved" + (" anonymously" if feedback.anonymous else "")
    ack(
        response_action="update",
        view=notice_modal(
            "Thank you", f"{thanks}; you can change it with `/cc-retro` until “{retro.name}” closes."
        ),
    )


def register(app: App) -> None:
    """Register the modal submissions."""
    app.view(ViewId.ASK.value)(handle_ask_submission)
    app.view(ViewId.HAND_OFF.value)(handle_hand_off_submission)
    app.view(ViewId.ESCALATE.value)(handle_escalate_submission)
    app.view(ViewId.RESOLVE_ESCALATION.value)(handle_resolve_submission)
    app.view(ViewId.REASSIGN_ESCALATION.value)(handle_reassign_submission)
    app.view(ViewId.RETRO.value)(handle_retro_submission)
