"""What the features' forms share: the modal around them, and its input blocks (a text field, a date picker and a
single checkbox)."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.ids import Input, ViewId


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


def modal(view: ViewId, title: str, blocks: list[Block], submit: str = "Save") -> View:
    """Return a form's modal: its callback id, a title cut to Slack's 24 characters, Save (or `submit`) and Cancel."""
    return View(
        type="modal",
        callback_id=view.value,
        title=PlainTextObject(text=title[:24]),
        submit=PlainTextObject(text=submit),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )
