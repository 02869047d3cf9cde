"""Blocks for retros: the 4Ls modal, the invitation and reminders, and the closing report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
)
from slack_sdk.models.views import View

from bot.ids import Action, Input, ViewId
from bot.types.limits import FIELD_MAX
from bot.views.blocks import checkbox_field, context, modal, section
from bot.views.text import Mrkdwn, escape, mrkdwn, person_ref
from storage.models import Retro

if TYPE_CHECKING:
    from bot.types.retros import Feedback, RetroReport

LABELS = {
    Input.LIKED: ("Liked", "What went well?"),
    Input.LACKED: ("Lacked", "What was missing or got in the way?"),
    Input.LEARNED: ("Learned", "What did you learn?"),
    Input.LONGED_FOR: ("Longed for", "What do you wish the program had?"),
}
ANONYMOUS_VALUE = "anonymous"
# Entries shown per L in the report message (the rest are counted).
MAX_ENTRIES = 12


def retro_modal(retro: Retro, feedback: Feedback) -> View:
    """Return the 4Ls modal, pre-filled with what the person already said."""
    anonymous = Option(value=ANONYMOUS_VALUE, text="Share anonymously (your name is left out of the report)")
    blocks: list[Block] = [
        section(
            f"*Retro “{escape(retro.name)}”*, open until {retro.closes_at:%Y-%m-%d %H:%M} UTC. "
            "Fill in any of the four; you can change your answers until it closes."
        )
    ]
    for block, (label, hint) in LABELS.items():
        blocks.append(
            InputBlock(
                block_id=block.value,
                label=label,
                hint=hint,
                optional=True,
                element=PlainTextInputElement(
                    action_id=block.value,
                    multiline=True,
                    max_length=FIELD_MAX,
                    initial_value=getattr(feedback, block.value) or None,
                ),
            )
        )
    blocks.append(checkbox_field(Input.ANONYMOUS, "Anonymity", anonymous, checked=feedback.anonymous))
    return modal(
        ViewId.RETRO,
        "Retro feedback",
        blocks,
        submit="Share",
        metadata={"retro": retro.id},
    )


def invitation_blocks(retro: Retro, stage: str) -> list[Block]:
    """Return the invitation (or a reminder) with the Share feedback button."""
    lead = {
        "invite": f":speech_balloon: The program's retro *“{escape(retro.name)}”* is open: what did you like, lack, learn and long for?",
        "midpoint": f":speech_balloon: Halfway through the retro *“{escape(retro.name)}”*: your feedback is not in yet.",
        "last_day": f":hourglass: The retro *“{escape(retro.name)}”* closes in a day and your feedback is not in yet.",
    }[stage]
    return [
        section(f"{lead} It closes {retro.closes_at:%Y-%m-%d %H:%M} UTC."),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Share feedback",
                    action_id=Action.SHARE_FEEDBACK.value,
                    value=str(retro.id),
                    style="primary",
                )
            ]
        ),
        context("`/cc-retro` opens the same form. You may answer anonymously."),
    ]


def invitation_text(retro: Retro) -> Mrkdwn:
    """Return the notification text of an invitation or reminder."""
    return mrkdwn("Retro “{name}”: share your feedback", name=retro.name)


def report_blocks(report: RetroReport) -> list[Block]:
    """Return the closing report: response rate, then each of the four Ls (anonymous entries unattributed)."""
    retro = report.retro
    blocks: list[Block] = [
        HeaderBlock(text=f"Retro “{retro.name}”: the results"[:150]),
        section(f"{report.responses} of {report.participants} participants responded ({report.rate:.0%})."),
    ]
    for block, (label, _hint) in LABELS.items():
        entries = report.entries.get(block.value, [])
        lines = []
        for author, text in entries[:MAX_ENTRIES]:
            who = person_ref(author) if author else "_anonymous_"
            lines.append(f"• {escape(text[:400])} ({who})")
        more = f"\n…and {len(entries) - MAX_ENTRIES} more" if len(entries) > MAX_ENTRIES else ""
        body = "\n".join(lines) or "nothing"
        blocks.append(section(f"*{label}* ({len(entries)})\n{body}{more}"))
    return blocks


def report_text(report: RetroReport) -> Mrkdwn:
    """Return the notification text of the report."""
    return mrkdwn(
        "Retro “{name}” closed: {responses} of {participants} responded",
        name=report.retro.name,
        responses=report.responses,
        participants=report.participants,
    )
