"""Blocks for reminders' quiet: the Snooze buttons on every reminder, the App Home section and its settings modal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.ids import Action, Input, ViewId
from bot.views.blocks import (
    actions_json,
    button_json,
    context,
    date_field,
    modal,
    section_json,
    text_field,
)
from bot.views.text import Mrkdwn, day, mrkdwn, slack_date

if TYPE_CHECKING:
    from bot.types.quiet import QuietSummary

SNOOZE_BLOCK = "reminder-snooze"
SNOOZED_NOTE_BLOCK = "reminder-snoozed-note"
SNOOZE_CHOICES = (("1d", "Snooze 1 day"), ("3d", "Snooze 3 days"), ("monday", "Snooze until Monday"))
SECTION_MAX = 3000


def snooze_actions(key: str) -> ActionsBlock:
    """Return the Snooze buttons of a reminder whose outbox key is `key`."""
    return ActionsBlock(
        block_id=SNOOZE_BLOCK,
        elements=[
            ButtonElement(text=label, action_id=f"{Action.SNOOZE.value}:{choice}", value=key)
            for choice, label in SNOOZE_CHOICES
        ],
    )


def snooze_actions_json(key: str) -> dict[str, Any]:
    """Return `snooze_actions(key).to_dict()`, built directly (every reminder carries it)."""
    return actions_json(
        SNOOZE_BLOCK,
        [button_json(label, f"{Action.SNOOZE.value}:{choice}", key) for choice, label in SNOOZE_CHOICES],
    )


def _as_dicts(blocks: Sequence[Any]) -> list[dict[str, Any]]:
    return [b if isinstance(b, dict) else b.to_dict() for b in blocks]


def reminder_blocks(text: str, blocks: Sequence[Any] | None, key: str) -> list[dict[str, Any]]:
    """Return a reminder's blocks with its Snooze buttons (a text-only reminder shows its text in sections)."""
    shown = _as_dicts(blocks or [])
    if not shown:
        # With blocks present Slack shows them instead of the text, so the text becomes the blocks.
        shown = [
            section_json(text[start : start + SECTION_MAX])
            for start in range(0, max(len(text), 1), SECTION_MAX)
        ]
    return [*shown, snooze_actions_json(key)]


def snoozed_copy_blocks(
    blocks: Sequence[dict[str, Any]], key: str, snoozed_at: dt.datetime
) -> list[dict[str, Any]]:
    """Return the blocks of a reminder coming back after a snooze: a note, the content, new Snooze buttons."""
    content = [b for b in blocks if b.get("block_id") not in {SNOOZE_BLOCK, SNOOZED_NOTE_BLOCK}]
    note = ContextBlock(
        block_id=SNOOZED_NOTE_BLOCK,
        elements=[MarkdownTextObject(text=f":zzz: You snoozed this reminder {slack_date(snoozed_at)}.")],
    )
    return [note.to_dict(), *content, snooze_actions_json(key)]


def snoozed_confirmation(release: dt.datetime) -> Mrkdwn:
    """Tell the person when the snoozed reminder comes back."""
    return mrkdwn(":zzz: Snoozed. It comes back {when}, once.", when=slack_date(release))


def _hours_text(summary: QuietSummary) -> str:
    if summary.own_hours is None:
        start, end = summary.program_hours
        return f"the program's ({start:%H:%M}-{end:%H:%M}, {summary.timezone})"
    start, end = summary.own_hours
    return f"your own: {start:%H:%M}-{end:%H:%M} ({summary.timezone})"


def quiet_home_blocks(summary: QuietSummary) -> list[Block]:
    """Return the App Home section with the person's reminder preferences and what is held for them."""
    lines = []
    if summary.paused_until is not None:
        lines.append(f":double_vertical_bar: Reminders are *paused until {day(summary.paused_until)}*.")
    else:
        lines.append("Reminders are on.")
    lines.append(f"*Working hours for reminders:* {_hours_text(summary)}")
    if summary.held and summary.next_release is not None:
        plural = "s" if summary.held != 1 else ""
        lines.append(
            f"*Waiting for you:* {summary.held} reminder{plural}, the next {slack_date(summary.next_release)}"
        )
    return [
        HeaderBlock(text="Your reminders"),
        SectionBlock(
            text=MarkdownTextObject(text="\n".join(lines)),
            accessory=ButtonElement(text="Change", action_id=Action.QUIET_SETTINGS.value, value="open"),
        ),
        context("Every reminder has Snooze buttons; a snoozed or paused reminder comes back once."),
    ]


def quiet_settings_modal(summary: QuietSummary) -> View:
    """Return the modal that pauses reminders until a date and sets one's own working hours for them."""
    hours = f"{summary.own_hours[0]:%H:%M}-{summary.own_hours[1]:%H:%M}" if summary.own_hours else None
    pause = date_field(Input.PAUSE_UNTIL, "Pause all reminders until (empty: not paused)", optional=True)
    if summary.paused_until is not None:
        pause.element.initial_date = summary.paused_until.isoformat()  # type: ignore[union-attr]
    return modal(
        ViewId.QUIET_SETTINGS,
        "Your reminders",
        [
            pause,
            text_field(
                Input.OWN_HOURS,
                f"Your working hours for reminders, like 08:00-16:00 ({summary.timezone}; empty: the program's)",
                optional=True,
                initial=hours,
                max_length=20,
            ),
        ],
        submit="Save",
    )


def quiet_saved(summary: QuietSummary) -> Mrkdwn:
    """Return the confirmation of saved reminder preferences."""
    paused = (
        f"Reminders are paused until {day(summary.paused_until)}; whatever falls due meanwhile comes then, once."
        if summary.paused_until
        else "Reminders are on."
    )
    return mrkdwn("{paused} Working hours for reminders: {hours}.", paused=paused, hours=_hours_text(summary))
