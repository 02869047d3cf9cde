"""Reading what Slack sends back: modal state values by input block, and the ids buttons carry."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from bot.ids import Input
from bot.services.errors import UserError

# What handlers get as `deliver`: send the outbox messages a decision committed, by key.
Deliver = Callable[[Sequence[str]], None]


def _element(view: dict[str, Any], block: Input) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values") or {}
    element = (values.get(block.value) or {}).get(block.value)
    return element if isinstance(element, dict) else {}


# Control characters (a NUL above all, which PostgreSQL refuses in text) never reach a service.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_value(view: dict[str, Any], block: Input) -> str:
    """Return a text input's value ('' when empty), without control characters other than tab and newline."""
    return CONTROL.sub("", str(_element(view, block).get("value") or ""))


def selected_value(view: dict[str, Any], block: Input) -> str | None:
    """Return the value of a select's or radio group's chosen option."""
    option = _element(view, block).get("selected_option")
    return str(option.get("value")) if isinstance(option, dict) and option.get("value") else None


def selected_user(view: dict[str, Any], block: Input) -> str | None:
    """Return the Slack user id chosen in a users select."""
    user = _element(view, block).get("selected_user")
    return str(user) if user else None


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


def selected_date(view: dict[str, Any], block: Input) -> str | None:
    """Return a date picker's value (YYYY-MM-DD), or None."""
    value = _element(view, block).get("selected_date")
    return str(value) if value else None


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
