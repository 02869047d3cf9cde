"""Reading what Slack sends back: modal state values by input block, private metadata, the ids buttons carry."""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
from typing import Any, TypeVar

from bot.ids import Input
from bot.services.errors import FieldErrors, UserError
from bot.services.input_text import clean_text

# What a users select sends: a Slack user id, nothing else.
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,40}$")


def _element(view: dict[str, Any], block: Input) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values") or {}
    element = (values.get(block.value) or {}).get(block.value)
    return element if isinstance(element, dict) else {}


Choice = TypeVar("Choice", bound=enum.Enum)


def text_value(view: dict[str, Any], block: Input) -> str:
    """Return a text input's value ('' when empty), without control characters other than tab and newline."""
    # The app cleans every request already; a value that is not text (a forged one) is read as text here.
    return clean_text(str(_element(view, block).get("value") or ""))


def selected_value(view: dict[str, Any], block: Input) -> str | None:
    """Return the value of a select's or radio group's chosen option."""
    option = _element(view, block).get("selected_option")
    return str(option.get("value")) if isinstance(option, dict) and option.get("value") else None


def selected_user(view: dict[str, Any], block: Input) -> str | None:
    """Return the Slack user id chosen in a users select; anything else (a forged value) is a field error."""
    user = _element(view, block).get("selected_user")
    if not user:
        return None
    if not SLACK_USER_ID.match(str(user)):
        raise FieldErrors({block.value: "Choose a person in the picker."})
    return str(user)


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """Return the view's private_metadata as a dict ({} when absent or not JSON)."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def checked_values(view: dict[str, Any], block: Input) -> set[str]:
    """Return the values of the ticked checkboxes."""
    options = _element(view, block).get("selected_options") or []
    return {str(o.get("value")) for o in options if isinstance(o, dict)}


def selected_choice(view: dict[str, Any], block: Input, choices: type[Choice], default: Choice) -> Choice:
    """Return the chosen option as one of `choices` (`default` when none is chosen); a value the modal never
    offered (a forged submission) is a field error."""
    value = selected_value(view, block)
    if value is None:
        return default
    try:
        return choices(value)
    except ValueError:
        raise FieldErrors({block.value: "Choose one of the options offered."}) from None


def selected_date(view: dict[str, Any], block: Input) -> dt.date | None:
    """Return a date picker's date, or None; a value that is not a date (2026-02-31) is a field error."""
    value = _element(view, block).get("selected_date")
    if not value:
        return None
    text = str(value)
    try:
        if len(text) != len("YYYY-MM-DD"):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FieldErrors({block.value: "That is not a date: pick one in the date picker."}) from None


def button_id(action: dict[str, Any], what: str) -> int:
    """Return the id a button carries; a stale or tampered button is told to start over."""
    value = str(action.get("value") or "")
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        raise UserError(f"This button no longer points at {what}. Open it again from its latest message.")
    return int(value)


def metadata_id(view: dict[str, Any], key: str, what: str) -> int:
    """Return the id a modal carries in its private_metadata; forged or stale metadata is refused clearly."""
    value = str(metadata(view).get(key, ""))
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        raise UserError(
            f"This form no longer points at {what}. Close it and start again from the latest message."
        )
    return int(value)
