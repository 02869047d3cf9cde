"""Modal submissions: a new question, a question handed off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.handlers.state import metadata, selected_user, selected_value, text_value
from bot.ids import Input, ViewId
from bot.publish import post_in_thread, post_question, refresh_question
from bot.services.errors import UserError
from bot.services.questions import FieldErrors, ask_question, ask_refusal, hand_off, validate_question
from bot.services.roster import find_person_by_slack_id
from bot.settings import Settings
from bot.views.questions import handed_off_text, notice_modal, refusal_text
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


def register(app: App) -> None:
    """Register the modal submissions."""
    app.view(ViewId.ASK.value)(handle_ask_submission)
    app.view(ViewId.HAND_OFF.value)(handle_hand_off_submission)
