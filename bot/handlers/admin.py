"""Program admin: `/cc-admin`, its menu buttons, and one form per change (its modal, how its submission
is read, and the service that applies it) in the table `FORMS`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_sdk.models.views import View
from sqlmodel import Session

from bot.handlers.answer import answer_command, decides, opens
from bot.handlers.state import (
    checked_values,
    selected_choice,
    selected_date,
    selected_user,
    text_value,
)
from bot.ids import Action, Command, Input, ViewId
from bot.services import admin as service
from bot.services.agreements import change_agreement
from bot.services.errors import FieldErrors, UserError
from bot.services.membership import reinstate
from bot.services.policy import current_policy
from bot.types.decided import Decided
from bot.types.mrkdwn import Mrkdwn
from bot.types.policy import Channels, PhasePolicy
from bot.views import admin as views
from bot.views import agreements as agreement_views
from bot.views import membership as membership_views
from bot.views.blocks import notice_modal
from bot.views.text import mrkdwn
from storage.models import AgreementAction, AgreementKind, Person, Phase, RetroAudience

Fields = dict[str, Any]


@dataclass(frozen=True)
class AdminForm:
    """One admin change: its menu label, its modal, how a submission is read, and the service applying it.

    `parse(view)` returns the service's keyword arguments (FieldErrors for what cannot be read);
    `apply(session, actor, now=, channels=, **fields)` commits the change with its messages.
    """

    view: ViewId
    label: str
    modal: Callable[[PhasePolicy], View]
    parse: Callable[[dict[str, Any]], Fields]
    apply: Callable[..., Decided[Mrkdwn]]


def _handles(view: dict[str, Any], block: Input) -> list[str]:
    return text_value(view, block).replace(",", " ").split()


def _phase_fields(view: dict[str, Any]) -> Fields:
    return {
        "phase": selected_choice(view, Input.PHASE, Phase, Phase.PILOT),
        "nda_required": views.NDA_VALUE in checked_values(view, Input.NDA),
        "milestones": text_value(view, Input.MILESTONES),
    }


def _agreement_fields(view: dict[str, Any]) -> Fields:
    return {
        "holder": text_value(view, Input.HOLDER),
        "kind": selected_choice(view, Input.KIND, AgreementKind, AgreementKind.INDIVIDUAL),
        "signed_on": selected_date(view, Input.SIGNED),
        "expires_on": selected_date(view, Input.EXPIRES),
    }


def _champions_fields(view: dict[str, Any]) -> Fields:
    return {
        "committer": text_value(view, Input.ESCALATION_COMMITTER),
        "champions": _handles(view, Input.CHAMPIONS),
    }


def _person_fields(view: dict[str, Any]) -> Fields:
    return {
        "github": text_value(view, Input.GITHUB),
        "name": text_value(view, Input.NAME),
        "slack_user_id": selected_user(view, Input.SLACK_USER),
        "organization": text_value(view, Input.ORGANIZATION),
        "roles": sorted(checked_values(view, Input.ROLES)),
        "repos": _handles(view, Input.REPOS),
    }


def _remove_fields(view: dict[str, Any]) -> Fields:
    return {"committer": text_value(view, Input.ESCALATION_COMMITTER)}


def _away_fields(view: dict[str, Any]) -> Fields:
    return {"github": text_value(view, Input.GITHUB), "until": selected_date(view, Input.AWAY_UNTIL)}


def _reinstate_fields(view: dict[str, Any]) -> Fields:
    return {"github": text_value(view, Input.GITHUB), "reason": text_value(view, Input.REASON)}


def _agreement_change_fields(view: dict[str, Any]) -> Fields:
    return {
        "action": selected_choice(view, Input.AGREEMENT_ACTION, AgreementAction, AgreementAction.RENEWED),
        "holder": text_value(view, Input.HOLDER),
        "kind": selected_choice(view, Input.KIND, AgreementKind, AgreementKind.INDIVIDUAL),
        "signed_on": selected_date(view, Input.SIGNED),
        "expires_on": selected_date(view, Input.EXPIRES),
        "effective_on": selected_date(view, Input.EFFECTIVE),
        "reason": text_value(view, Input.REASON),
    }


def _retro_fields(view: dict[str, Any]) -> Fields:
    closes = selected_date(view, Input.RETRO_CLOSES)
    if closes is None:
        raise FieldErrors({Input.RETRO_CLOSES.value: "Choose the last day for feedback."})
    return {
        "name": text_value(view, Input.RETRO_NAME),
        "closes_on": closes,
        "audience": selected_choice(view, Input.RETRO_AUDIENCE, RetroAudience, RetroAudience.ALL),
    }


FORMS: dict[ViewId, AdminForm] = {
    form.view: form
    for form in [
        AdminForm(ViewId.ADMIN_PHASE, "Set the phase", views.phase_modal, _phase_fields, service.set_phase),
        AdminForm(
            ViewId.ADMIN_AGREEMENT,
            "Record an agreement",
            views.agreement_modal,
            _agreement_fields,
            service.record_agreement,
        ),
        AdminForm(
            ViewId.ADMIN_CHAMPIONS,
            "Assign champions",
            views.champions_modal,
            _champions_fields,
            service.assign_champions,
        ),
        AdminForm(
            ViewId.ADMIN_PERSON,
            "Add or edit a person",
            views.person_modal,
            _person_fields,
            service.upsert_person,
        ),
        AdminForm(
            ViewId.ADMIN_REMOVE,
            "Remove a committer",
            views.remove_modal,
            _remove_fields,
            service.remove_committer,
        ),
        AdminForm(ViewId.ADMIN_AWAY, "Mark someone away", views.away_modal, _away_fields, service.mark_away),
        AdminForm(
            ViewId.ADMIN_RETRO, "Open a retro", views.open_retro_modal, _retro_fields, service.open_retro_for
        ),
        AdminForm(
            ViewId.ADMIN_AGREEMENT_CHANGE,
            "Renew, revoke or invalidate an agreement",
            agreement_views.change_modal,
            _agreement_change_fields,
            change_agreement,
        ),
        AdminForm(
            ViewId.ADMIN_REINSTATE,
            "Reinstate an alumnus",
            membership_views.reinstate_modal,
            _reinstate_fields,
            reinstate,
        ),
    ]
}


def answer_admin_command(
    ack: Callable[..., None], session: Session, person: Person | None, channels: Channels
) -> None:
    """Show admins the menu of changes; refuse everyone else."""
    service.check_admin(session, person, channels.admins)
    menu = [(form.view, form.label) for form in FORMS.values()]
    blocks = views.admin_menu_blocks(current_policy(session), menu)
    answer_command(ack, mrkdwn("Program admin"), blocks, response_type="ephemeral")


def handle_admin_open_action(
    action: dict[str, Any], session: Session, person: Person | None, channels: Channels
) -> View:
    """Open the modal of the admin change the button names."""
    service.check_admin(session, person, channels.admins)
    try:
        form = FORMS[ViewId(str(action.get("value")))]
    except (ValueError, KeyError):
        raise UserError("This admin button is out of date; run `/cc-admin` again.") from None
    return form.modal(current_policy(session))


def handle_admin_submission(
    view: dict[str, Any], session: Session, person: Person | None, now: dt.datetime, channels: Channels
) -> service.Decided:
    """Apply one admin change (field errors in the ack); the modal confirms it."""
    actor = service.check_admin(session, person, channels.admins)
    form = FORMS[ViewId(str(view.get("callback_id")))]
    return form.apply(session, actor, now=now, channels=channels, **form.parse(view))


def _done(decided: service.Decided) -> View:
    return notice_modal("Done", decided.confirmation)


def register(app: App) -> None:
    """Register everything of the admin feature."""
    app.command(Command.ADMIN.value)(answer_admin_command)
    app.action(re.compile(f"^{Action.ADMIN_OPEN.value}:"))(opens(handle_admin_open_action))
    submission = decides(handle_admin_submission, update=_done)
    for view_id in FORMS:
        app.view(view_id.value)(submission)
