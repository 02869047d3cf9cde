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
