"""Blocks for `/cc-admin`: the menu of changes and one modal per change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import Action, Input, ViewId
from bot.views.status import AGREEMENT_NAMES
from bot.views.text import escape, person_ref
from storage.models import AgreementKind, Phase, RetroAudience, Role

if TYPE_CHECKING:
    from bot.services.admin import PhaseChange
    from bot.services.policy import PhasePolicy

MENU = [
    (ViewId.ADMIN_PHASE, "Set the phase"),
    (ViewId.ADMIN_AGREEMENT, "Record an agreement"),
    (ViewId.ADMIN_CHAMPIONS, "Assign champions"),
    (ViewId.ADMIN_PERSON, "Add or edit a person"),
    (ViewId.ADMIN_REMOVE, "Remove a committer"),
    (ViewId.ADMIN_AWAY, "Mark someone away"),
    (ViewId.ADMIN_RETRO, "Open a retro"),
]
PHASE_LABELS = {
    Phase.PILOT: "1. Pilot: named champions",
    Phase.ESTABLISH: "2. Establish: retro, selection, nominations",
    Phase.SCALE: "3. Scale: area channels and rotations",
}
NDA_VALUE = "nda"


def admin_menu_blocks(policy: PhasePolicy) -> list[Block]:
    """Return the `/cc-admin` menu: one button per change."""
    buttons = [
        ButtonElement(text=label, action_id=f"{Action.ADMIN_OPEN.value}:{view.value}", value=view.value)
        for view, label in MENU
    ]
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*Program admin* · phase *{policy.phase.value}* · NDA {'required' if policy.nda_required else 'not required'}"
            )
        ),
        ActionsBlock(block_id="admin-menu-1", elements=buttons[:4]),
        ActionsBlock(block_id="admin-menu-2", elements=buttons[4:]),
    ]


def _modal(view: ViewId, title: str, blocks: list[Block], submit: str = "Save") -> View:
    return View(
        type="modal",
        callback_id=view.value,
        title=PlainTextObject(text=title[:24]),
        submit=PlainTextObject(text=submit),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )


def _text(
    block: Input, label: str, *, optional: bool = False, multiline: bool = False, initial: str | None = None
) -> InputBlock:
    return InputBlock(
        block_id=block.value,
        label=label,
        optional=optional,
        element=PlainTextInputElement(
            action_id=block.value, multiline=multiline, initial_value=initial, max_length=1000
        ),
    )


def _date(block: Input, label: str, *, optional: bool = False) -> InputBlock:
    return InputBlock(
        block_id=block.value, label=label, optional=optional, element=DatePickerElement(action_id=block.value)
    )


def admin_modal(view: ViewId, policy: PhasePolicy) -> View:
    """Return the modal for one admin change."""
    if view is ViewId.ADMIN_PHASE:
        options = [Option(value=p.value, text=PHASE_LABELS[p]) for p in Phase]
        nda = Option(value=NDA_VALUE, text="The NDA / program agreement is required")
        return _modal(
            view,
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
                InputBlock(
                    block_id=Input.NDA.value,
                    label="Agreements",
                    optional=True,
                    element=CheckboxesElement(
                        action_id=Input.NDA.value,
                        options=[nda],
                        initial_options=[nda] if policy.nda_required else None,
                    ),
                ),
                _text(Input.MILESTONES, "Target milestones", optional=True, multiline=True),
            ],
        )
    if view is ViewId.ADMIN_AGREEMENT:
        kinds = [Option(value=k.value, text=AGREEMENT_NAMES[k]) for k in AgreementKind]
        return _modal(
            view,
            "Record an agreement",
            [
                _text(Input.HOLDER, "Committer (GitHub handle); entity: their organisation's"),
                InputBlock(
                    block_id=Input.KIND.value,
                    label="Agreement",
                    element=StaticSelectElement(action_id=Input.KIND.value, options=kinds),
                ),
                _date(Input.SIGNED, "Signed on"),
                _date(Input.EXPIRES, "Expires on", optional=True),
            ],
        )
    if view is ViewId.ADMIN_CHAMPIONS:
        return _modal(
            view,
            "Assign champions",
            [
                _text(Input.ESCALATION_COMMITTER, "Committer (GitHub handle)"),
                _text(Input.CHAMPIONS, "Champions in order (GitHub handles, comma-separated)"),
            ],
        )
    if view is ViewId.ADMIN_PERSON:
        roles = [Option(value=r.value, text=r.value) for r in Role]
        return _modal(
            view,
            "Add or edit a person",
            [
                _text(Input.GITHUB, "GitHub handle"),
                _text(Input.NAME, "Name", optional=True),
                InputBlock(
                    block_id=Input.SLACK_USER.value,
                    label="Slack user",
                    optional=True,
                    element=UserSelectElement(action_id=Input.SLACK_USER.value),
                ),
                _text(Input.ORGANIZATION, "Organisation", optional=True),
                InputBlock(
                    block_id=Input.ROLES.value,
                    label="Roles",
                    element=CheckboxesElement(action_id=Input.ROLES.value, options=roles),
                ),
                _text(Input.REPOS, "Repositories to grant (org/repo, space-separated)", optional=True),
            ],
        )
    if view is ViewId.ADMIN_REMOVE:
        return _modal(
            view,
            "Remove a committer",
            [_text(Input.ESCALATION_COMMITTER, "Committer (GitHub handle)")],
            submit="Remove",
        )
    if view is ViewId.ADMIN_AWAY:
        return _modal(
            view,
            "Mark someone away",
            [
                _text(Input.GITHUB, "Who (GitHub handle)"),
                _date(Input.AWAY_UNTIL, "Away until (empty: back now)", optional=True),
            ],
        )
    audiences = [Option(value=a.value, text=a.value) for a in RetroAudience]
    return _modal(
        ViewId.ADMIN_RETRO,
        "Open a retro",
        [
            _text(Input.RETRO_NAME, "Name"),
            _date(Input.RETRO_CLOSES, "Last day for feedback"),
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


def phase_announcement(change: PhaseChange) -> str:
    """Return the coordination-channel announcement of a phase change."""
    nda = "required" if change.nda_required else "no longer required"
    milestones = f"\nTarget milestones: {escape(change.milestones)}" if change.milestones else ""
    return (
        f":mega: {person_ref(change.actor)} moved the Core Committer program from *{change.old.value}* to "
        f"*{change.new.value}*. The NDA / program agreement is {nda}.{milestones}"
    )


def done_modal(text: str) -> View:
    """Return the modal that confirms an admin change."""
    return View(
        type="modal",
        title=PlainTextObject(text="Done"),
        close=PlainTextObject(text="Close"),
        blocks=[SectionBlock(text=MarkdownTextObject(text=text[:3000]))],
    )
