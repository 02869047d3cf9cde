"""Retros: `/cc-retro`, the Share feedback button and the 4Ls modal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from slack_bolt import App
from slack_sdk.models.views import View
from sqlmodel import Session

from bot.handlers.answer import decides, opens
from bot.handlers.state import (
    button_id,
    checked_values,
    metadata,
    text_value,
)
from bot.ids import Action, Command, Input, ViewId
from bot.services.retros import feedback_form, submit_feedback
from bot.types.retros import Feedback
from bot.views.blocks import notice_modal
from bot.views.retros import ANONYMOUS_VALUE, retro_modal
from storage.models import Person, Retro


def open_retro_modal(session: Session, person: Person | None, now: dt.datetime) -> View:
    """Open the open retro's 4Ls modal, pre-filled with the person's answers so far."""
    retro, feedback = feedback_form(session, person, now=now)
    return retro_modal(retro, feedback)


def handle_share_feedback_action(
    action: dict[str, Any], session: Session, person: Person | None, now: dt.datetime
) -> View:
    """Open the 4Ls modal of the retro the button belongs to."""
    # A button without a value opens the open retro; one with a value must name a retro.
    retro_id = button_id(action, "a retro") if action.get("value") else None
    retro, feedback = feedback_form(session, person, now=now, retro_id=retro_id)
    return retro_modal(retro, feedback)


def handle_retro_submission(
    view: dict[str, Any], session: Session, person: Person | None, now: dt.datetime
) -> tuple[Retro, Feedback]:
    """Store the 4Ls (field errors in the ack); the modal thanks the participant."""
    feedback = Feedback(
        liked=text_value(view, Input.LIKED),
        lacked=text_value(view, Input.LACKED),
        learned=text_value(view, Input.LEARNED),
        longed_for=text_value(view, Input.LONGED_FOR),
        anonymous=ANONYMOUS_VALUE in checked_values(view, Input.ANONYMOUS),
    )
    retro = submit_feedback(session, person, int(metadata(view).get("retro") or 0), feedback, now=now)
    return retro, feedback


def _thanks(saved: tuple[Retro, Feedback]) -> View:
    retro, feedback = saved
    thanks = "Thank you! Your feedback is saved" + (" anonymously" if feedback.anonymous else "")
    return notice_modal(
        "Thank you", f"{thanks}; you can change it with `/cc-retro` until “{retro.name}” closes."
    )


def register(app: App) -> None:
    """Register everything of the retros feature."""
    app.command(Command.RETRO.value)(opens(open_retro_modal))
    app.action(Action.SHARE_FEEDBACK.value)(opens(handle_share_feedback_action))
    app.view(ViewId.RETRO.value)(decides(handle_retro_submission, update=_thanks))
