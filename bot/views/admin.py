"""Blocks for `/cc-admin`: the menu of changes, one modal per change, the confirmations and the announcement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    InputBlock,
    Option,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import Action, Input, ViewId
from bot.views.blocks import checkbox_field, date_field, modal, section, text_field
from bot.views.text import AGREEMENT_NAMES, Mrkdwn, join, mrkdwn, person_ref
from storage.models import AgreementKind, Person, Phase, Retro, RetroAudience, Role

if TYPE_CHECKING:
    from bot.types.admin import PhaseChange
    from bot.types.policy import PhasePolicy

PHASE_LABELS = {
    Phase.PILOT: "1. Pilot: named champions",
    Phase.ESTABLISH: "2. Establish: retro, selection, nominations",
    Phase.SCALE: "3. Scale: area channels and rotations",
}
NDA_VALUE = "nda"


def admin_menu_blocks(policy: PhasePolicy, menu: Sequence[tuple[ViewId, str]]) -> list[Block]:
    """Return the `/cc-admin` menu: one button per change, as (modal, label)."""
    buttons = [
        ButtonElement(text=label, action_id=f"{Action.ADMIN_OPEN.value}:{view.value}", value=view.value)
        for view, label in menu
    ]
    return [
        section(
            f"*Program admin* · phase *{policy.phase.value}* · NDA {'required' if policy.nda_required else 'not required'}"
        ),
        ActionsBlock(block_id="admin-menu-1", elements=buttons[:4]),
        ActionsBlock(block_id="admin-menu-2", elements=buttons[4:]),
    ]


def phase_modal(policy: PhasePolicy) -> View:
    """Return the modal that sets the phase, the NDA requirement and the target milestones."""
    options = [Option(value=p.value, text=PHASE_LABELS[p]) for p in Phase]
    nda = Option(value=NDA_VALUE, text="The NDA / program agreement is required")
    return modal(
        ViewId.ADMIN_PHASE,
        "Program phase",
        [
            InputBlock(
                block_id=Input.PHASE.value,
                label="Phase",
                element=StaticSelectElement(
                    action_id=Input.PHASE.value,
                    options=options,
                    initial_option=options[list(Phase).index(policy.phase)],
                ),
            ),
            checkbox_field(Input.NDA, "Agreements", nda, checked=policy.nda_required),
            text_field(Input.MILESTONES, "Target milestones", optional=True, multiline=True),
        ],
    )


def agreement_modal(policy: PhasePolicy) -> View:
    """Return the modal that records a signed agreement."""
    kinds = [Option(value=k.value, text=AGREEMENT_NAMES[k]) for k in AgreementKind]
    return modal(
        ViewId.ADMIN_AGREEMENT,
        "Record an agreement",
        [
            text_field(Input.HOLDER, "Committer (GitHub handle); entity: their organisation's"),
            InputBlock(
                block_id=Input.KIND.value,
                label="Agreement",
                element=StaticSelectElement(action_id=Input.KIND.value, options=kinds),
            ),
            date_field(Input.SIGNED, "Signed on"),
            date_field(Input.EXPIRES, "Expires on", optional=True),
        ],
    )


def champions_modal(policy: PhasePolicy) -> View:
    """Return the modal that assigns a committer's champions."""
    return modal(
        ViewId.ADMIN_CHAMPIONS,
        "Assign champions",
        [
            text_field(Input.ESCALATION_COMMITTER, "Committer (GitHub handle)"),
            text_field(Input.CHAMPIONS, "Champions in order (GitHub handles, comma-separated)"),
        ],
    )


def person_modal(policy: PhasePolicy) -> View:
    """Return the modal that adds or edits a person."""
    roles = [Option(value=r.value, text=r.value) for r in Role]
    return modal(
        ViewId.ADMIN_PERSON,
        "Add or edit a person",
        [
            text_field(Input.GITHUB, "GitHub handle"),
            text_field(Input.NAME, "Name", optional=True),
            InputBlock(
                block_id=Input.SLACK_USER.value,
                label="Slack user",
                optional=True,
                element=UserSelectElement(action_id=Input.SLACK_USER.value),
            ),
            text_field(Input.ORGANIZATION, "Organisation", optional=True),
            InputBlock(
                block_id=Input.ROLES.value,
                label="Roles",
                element=CheckboxesElement(action_id=Input.ROLES.value, options=roles),
            ),
            text_field(Input.REPOS, "Repositories to grant (org/repo, space-separated)", optional=True),
        ],
    )


def remove_modal(policy: PhasePolicy) -> View:
    """Return the modal that makes a committer an alumnus."""
    return modal(
        ViewId.ADMIN_REMOVE,
        "Remove a committer",
        [text_field(Input.ESCALATION_COMMITTER, "Committer (GitHub handle)")],
        submit="Remove",
    )


def away_modal(policy: PhasePolicy) -> View:
    """Return the modal that marks someone away (or back)."""
    return modal(
        ViewId.ADMIN_AWAY,
        "Mark someone away",
        [
            text_field(Input.GITHUB, "Who (GitHub handle)"),
            date_field(Input.AWAY_UNTIL, "Away until (empty: back now)", optional=True),
        ],
    )


def open_retro_modal(policy: PhasePolicy) -> View:
    """Return the modal that opens a retro."""
    audiences = [Option(value=a.value, text=a.value) for a in RetroAudience]
    return modal(
        ViewId.ADMIN_RETRO,
        "Open a retro",
        [
            text_field(Input.RETRO_NAME, "Name"),
            date_field(Input.RETRO_CLOSES, "Last day for feedback"),
            InputBlock(
                block_id=Input.RETRO_AUDIENCE.value,
                label="Participants",
                element=StaticSelectElement(
                    action_id=Input.RETRO_AUDIENCE.value, options=audiences, initial_option=audiences[0]
                ),
            ),
        ],
        submit="Open",
    )


def phase_announcement(change: PhaseChange) -> Mrkdwn:
    """Return the coordination-channel announcement of a phase change."""
    nda = "required" if change.nda_required else "no longer required"
    milestones = mrkdwn("\nTarget milestones: {m}", m=change.milestones) if change.milestones else ""
    return mrkdwn(
        ":mega: {actor} moved the Core Committer program from *{old}* to "
        "*{new}*. The NDA / program agreement is {nda}.{milestones}",
        actor=person_ref(change.actor),
        old=change.old.value,
        new=change.new.value,
        nda=nda,
        milestones=milestones,
    )


def phase_done(change: PhaseChange) -> Mrkdwn:
    """Return the confirmation of a phase change."""
    return mrkdwn("The program is now in the *{phase}* phase.", phase=change.new.value)


def agreement_done(holder: str, status: str) -> Mrkdwn:
    """Return the confirmation of a recorded agreement, with the holder's standing now."""
    return mrkdwn("Recorded for {holder}; their standing is now *{status}*.", holder=holder, status=status)


def champions_done(committer: Person, champions: Sequence[Person]) -> Mrkdwn:
    """Return the confirmation of a champions assignment."""
    return mrkdwn(
        "{github}'s champions: {champions}.",
        github=committer.github,
        champions=join(", ", [c.github for c in champions]),
    )


def person_done(person: Person, *, created: bool) -> Mrkdwn:
    """Return the confirmation of a person added or updated, with their standing."""
    return mrkdwn(
        "{verb} {github} ({status}).",
        verb="Added" if created else "Updated",
        github=person.github,
        status=person.status,
    )


def removed_done(person: Person) -> Mrkdwn:
    """Return the confirmation of a removal."""
    return mrkdwn("{github} is now an alumnus.", github=person.github)


def away_done(person: Person, until: dt.date | None) -> Mrkdwn:
    """Return the confirmation of an away date (or of a return)."""
    if until:
        return mrkdwn("{github} is away until {until}.", github=person.github, until=until)
    return mrkdwn("{github} is back in the rotations.", github=person.github)


def retro_done(retro: Retro, participants: int) -> Mrkdwn:
    """Return the confirmation of a retro opened."""
    return mrkdwn(
        "Retro “{name}” is open for {participants} participants; invitations go out within the hour.",
        name=retro.name,
        participants=participants,
    )
