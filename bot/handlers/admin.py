"""Program admin: `/cc-admin`, its menu buttons and the modal of each change."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.handlers.state import (
    checked_values,
    selected_date,
    selected_user,
    selected_value,
    text_value,
)
from bot.ids import Action, Command, Input, ViewId
from bot.publish import (
    announce,
)
from bot.services.admin import (
    assign_champions,
    check_admin,
    record_agreement,
    remove_committer,
    set_phase,
    upsert_person,
)
from bot.services.areas import set_away
from bot.services.errors import FieldErrors, UserError
from bot.services.policy import current_policy
from bot.services.retros import open_retro
from bot.services.roster import find_person
from bot.settings import Settings
from bot.views.admin import NDA_VALUE, admin_menu_blocks, admin_modal, done_modal, phase_announcement
from storage.models import AgreementKind, Person, Phase, RetroAudience

ADMIN_VIEWS = (
    ViewId.ADMIN_PHASE,
    ViewId.ADMIN_AGREEMENT,
    ViewId.ADMIN_CHAMPIONS,
    ViewId.ADMIN_PERSON,
    ViewId.ADMIN_REMOVE,
    ViewId.ADMIN_AWAY,
    ViewId.ADMIN_RETRO,
)


def answer_admin_command(
    ack: Callable[..., None], session: Session, person: Person | None, settings: Settings
) -> None:
    """Show admins the menu of changes; refuse everyone else."""
    check_admin(session, person, settings.admins)
    blocks = admin_menu_blocks(current_policy(session))
    ack(text="Program admin", blocks=blocks, response_type="ephemeral")


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


def _date_value(view: dict[str, Any], block: Input) -> dt.date | None:
    value = selected_date(view, block)
    return dt.date.fromisoformat(value) if value else None


def handle_admin_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Apply one admin change (field errors in the ack), confirm it, and announce a phase change."""
    actor = check_admin(session, person, settings.admins)
    kind = ViewId(str(view.get("callback_id")))
    announcement = None
    try:
        if kind is ViewId.ADMIN_PHASE:
            change = set_phase(
                session,
                actor,
                phase=Phase(selected_value(view, Input.PHASE) or Phase.PILOT.value),
                nda_required=NDA_VALUE in checked_values(view, Input.NDA),
                milestones=text_value(view, Input.MILESTONES),
                now=now,
            )
            announcement = phase_announcement(change)
            done = f"The program is now in the *{change.new.value}* phase."
        elif kind is ViewId.ADMIN_AGREEMENT:
            label, status = record_agreement(
                session,
                actor,
                holder=text_value(view, Input.HOLDER),
                kind=AgreementKind(selected_value(view, Input.KIND) or AgreementKind.INDIVIDUAL.value),
                signed_on=_date_value(view, Input.SIGNED),
                expires_on=_date_value(view, Input.EXPIRES),
                now=now,
            )
            done = f"Recorded for {label}; their standing is now *{status}*."
        elif kind is ViewId.ADMIN_CHAMPIONS:
            committer, champions = assign_champions(
                session,
                actor,
                committer=text_value(view, Input.ESCALATION_COMMITTER),
                champions=text_value(view, Input.CHAMPIONS).replace(",", " ").split(),
                now=now,
            )
            done = f"{committer.github}'s champions: {', '.join(c.github for c in champions)}."
        elif kind is ViewId.ADMIN_PERSON:
            added, created = upsert_person(
                session,
                actor,
                github=text_value(view, Input.GITHUB),
                name=text_value(view, Input.NAME),
                slack_user_id=selected_user(view, Input.SLACK_USER),
                organization=text_value(view, Input.ORGANIZATION),
                roles=sorted(checked_values(view, Input.ROLES)),
                repos=text_value(view, Input.REPOS).replace(",", " ").split(),
                now=now,
            )
            done = f"{'Added' if created else 'Updated'} {added.github} ({added.status})."
        elif kind is ViewId.ADMIN_REMOVE:
            removed = remove_committer(
                session, actor, committer=text_value(view, Input.ESCALATION_COMMITTER), now=now
            )
            done = f"{removed.github} is now an alumnus."
        elif kind is ViewId.ADMIN_AWAY:
            away = find_person(session, text_value(view, Input.GITHUB))
            if away is None:
                raise FieldErrors({Input.GITHUB.value: "That GitHub handle is not on the roster."})
            until = _date_value(view, Input.AWAY_UNTIL)
            set_away(session, away, until, now=now, actor=actor.github)
            done = (
                f"{away.github} is away until {until}."
                if until
                else f"{away.github} is back in the rotations."
            )
        else:
            closes = _date_value(view, Input.RETRO_CLOSES)
            if closes is None:
                raise FieldErrors({Input.RETRO_CLOSES.value: "Choose the last day for feedback."})
            try:
                retro, people = open_retro(
                    session,
                    name=text_value(view, Input.RETRO_NAME),
                    closes_on=closes,
                    audience=RetroAudience(
                        selected_value(view, Input.RETRO_AUDIENCE) or RetroAudience.ALL.value
                    ),
                    now=now,
                    actor=actor.github,
                )
            except FieldErrors:
                raise
            except UserError as exc:
                raise FieldErrors({Input.RETRO_NAME.value: str(exc)}) from None
            done = f"Retro “{retro.name}” is open for {len(people)} participants; invitations go out within the hour."
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    ack(response_action="update", view=done_modal(done))
    if announcement is not None:
        key = f"phase:{change.new.value}:{now:%Y%m%d%H%M%S}"
        announce(client, session, key=key, channel=settings.coordination_channel, text=announcement, now=now)


def register(app: App) -> None:
    """Register everything of the admin feature."""
    app.command(Command.ADMIN.value)(answer_admin_command)
    app.action(re.compile(f"^{Action.ADMIN_OPEN.value}:"))(handle_admin_open_action)
    for admin_view in ADMIN_VIEWS:
        app.view(admin_view.value)(handle_admin_submission)
