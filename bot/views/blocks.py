"""The Block Kit builders every view shares: a section, a context line, the modal skeleton, a modal that only
tells, and the input blocks forms share (a text field, a date picker and a single checkbox).

Text helpers (escaping, mentions, dates) live in bot/views/text.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.ids import Input, ViewId
from bot.types.mrkdwn import Mrkdwn
from bot.views.text import clip

# Slack's limits: a modal's title, its private_metadata, a section's text.
TITLE_MAX = 24
METADATA_MAX = 3000
SECTION_MAX = 3000


def section(text: str) -> SectionBlock:
    """Return a section of mrkdwn text, cut to Slack's limit (`Mrkdwn` never inside an entity or a token)."""
    cut = clip(text, SECTION_MAX) if isinstance(text, Mrkdwn) else text[:SECTION_MAX]
    return SectionBlock(text=MarkdownTextObject(text=cut))


# The same blocks as plain dicts, exactly as slack_sdk's `to_dict` gives them: a message sent to thousands at once
# (the yearly recommitment's invitations and reminders) is built thousands of times, and slack_sdk's validation
# and conversion of each block cost milliseconds. tests/views check the two agree.


def plain_json(text: str) -> dict[str, Any]:
    """Return `PlainTextObject(text=text).to_dict()` (emoji on, as slack_sdk sets it)."""
    return {"emoji": True, "text": text, "type": "plain_text"}


def section_json(text: str) -> dict[str, Any]:
    """Return `section(text).to_dict()`."""
    cut = clip(text, SECTION_MAX) if isinstance(text, Mrkdwn) else text[:SECTION_MAX]
    return {"text": {"text": cut, "type": "mrkdwn"}, "type": "section"}


def context_json(text: str) -> dict[str, Any]:
    """Return `context(text).to_dict()`."""
    return {"elements": [{"text": text, "type": "mrkdwn"}], "type": "context"}


def header_json(text: str) -> dict[str, Any]:
    """Return `HeaderBlock(text=text).to_dict()`."""
    return {"text": plain_json(text), "type": "header"}


def button_json(
    text: str, action_id: str, value: str, *, style: str | None = None, confirm: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Return `ButtonElement(text=..., action_id=..., value=..., style=..., confirm=...).to_dict()`."""
    button: dict[str, Any] = {"action_id": action_id}
    if confirm is not None:
        button["confirm"] = confirm
    if style is not None:
        button["style"] = style
    button.update(text=plain_json(text), type="button", value=value)
    return button


def confirm_json(*, title: str, text: str, confirm: str, deny: str) -> dict[str, Any]:
    """Return `ConfirmObject(title=..., text=..., confirm=..., deny=...).to_dict()` (its text is mrkdwn)."""
    return {
        "title": plain_json(title),
        "text": {"text": text, "type": "mrkdwn"},
        "confirm": plain_json(confirm),
        "deny": plain_json(deny),
    }


def actions_json(block_id: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    """Return `ActionsBlock(block_id=..., elements=...).to_dict()`."""
    return {"block_id": block_id, "elements": elements, "type": "actions"}


def context(text: str) -> ContextBlock:
    """Return a context line of mrkdwn text (the small grey print under a message)."""
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def modal(
    view: ViewId,
    title: str,
    blocks: Sequence[Block],
    *,
    submit: str = "Save",
    metadata: dict[str, Any] | None = None,
) -> View:
    """Return a form modal: its callback id, title, submit and Cancel buttons, and what it carries to its submission."""
    return View(
        type="modal",
        callback_id=view.value,
        private_metadata=json.dumps(metadata)[:METADATA_MAX] if metadata is not None else None,
        title=PlainTextObject(text=title[:TITLE_MAX]),
        submit=PlainTextObject(text=submit),
        close=PlainTextObject(text="Cancel"),
        blocks=list(blocks),
    )


def notice_modal(title: str, text: str) -> View:
    """Return a modal that only tells the person something (a refusal, a setup problem, a change done)."""
    return View(
        type="modal",
        title=PlainTextObject(text=title[:TITLE_MAX]),
        close=PlainTextObject(text="Close"),
        blocks=[section(text or "Nothing to do.")],
    )


def text_field(
    block: Input,
    label: str,
    *,
    optional: bool = False,
    multiline: bool = False,
    initial: str | None = None,
    max_length: int = 1000,
) -> InputBlock:
    """Return a plain-text input whose block and action share the input's id."""
    return InputBlock(
        block_id=block.value,
        label=label,
        optional=optional,
        element=PlainTextInputElement(
            action_id=block.value, multiline=multiline, initial_value=initial, max_length=max_length
        ),
    )


def date_field(block: Input, label: str, *, optional: bool = False) -> InputBlock:
    """Return a date picker whose block and action share the input's id."""
    return InputBlock(
        block_id=block.value, label=label, optional=optional, element=DatePickerElement(action_id=block.value)
    )


def checkbox_field(block: Input, label: str, option: Option, *, checked: bool) -> InputBlock:
    """Return an optional single checkbox, ticked when `checked`."""
    return InputBlock(
        block_id=block.value,
        label=label,
        optional=True,
        element=CheckboxesElement(
            action_id=block.value, options=[option], initial_options=[option] if checked else None
        ),
    )
