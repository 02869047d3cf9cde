"""Forms at the prompt: what each kind of modal input accepts when typed, and the state Slack would send for it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

FIELD_HINTS = {
    "datepicker": "YYYY-MM-DD",
    "static_select": "a number or a name",
    "radio_buttons": "a number or a name",
    "checkboxes": "numbers, like 1,3",
    "multi_static_select": "numbers, like 1,3",
    "users_select": "@handle",
    "multi_users_select": "@handles",
}


class FormCancelled(Exception):
    """The person closed the form (`cancel`, Ctrl-C or the end of input)."""


def parse_answer(
    kind: str, options: list[dict[str, Any]], answer: str, names: dict[str, str]
) -> tuple[dict[str, Any], str | None]:
    """Return the element's state for `answer`, or why the answer is not acceptable."""
    if kind in {"static_select", "radio_buttons"}:
        chosen = _choose(options, answer) if answer else None
        if answer and chosen is None:
            return (
                {},
                f"{answer!r} is not one of the choices: type its number (1-{len(options)}) or its name",
            )
        return {"type": kind, "selected_option": chosen}, None
    if kind in {"checkboxes", "multi_static_select"}:
        parts = [part.strip() for part in answer.split(",") if part.strip()]
        picked = [_choose(options, part) for part in parts]
        if any(option is None for option in picked):
            return {}, f"choose among 1-{len(options)}, separated by commas (like 1,3)"
        key = "selected_options"
        return {"type": kind, key: picked}, None
    if kind in {"users_select", "multi_users_select"}:
        handles = [part for part in re.split(r"[\s,]+", answer) if part]
        ids = [user_id_for(names, handle) for handle in handles]
        unknown = [handle for handle, user_id in zip(handles, ids, strict=True) if user_id is None]
        if unknown:
            return (
                {},
                f"no one called {', '.join(unknown)} on the roster: type GitHub handles like @ziafazal",
            )
        if kind == "users_select":
            if len(ids) > 1:
                return {}, "choose one person"
            return {"type": kind, "selected_user": ids[0] if ids else None}, None
        return {"type": kind, "selected_users": ids}, None
    if kind == "datepicker":
        if answer and not _is_date(answer):
            return {}, f"{answer!r} is not a date: type it as YYYY-MM-DD, like 2026-12-18"
        return {"type": kind, "selected_date": answer or None}, None
    return {"type": kind, "value": answer or None}, None


def user_id_for(names: dict[str, str], text: str) -> str | None:
    """Return the Slack user id a typed `@handle` (or a pre-filled user id) names, or None."""
    if text[:1] in "UW" and text in names:  # a pre-filled answer is a Slack user id
        return text
    handle = text.lstrip("@").lower()
    return next((uid for uid, name in names.items() if uid[:1] in "UW" and name.lower() == handle), None)


def _is_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _choose(options: list[dict[str, Any]], answer: str) -> dict[str, Any] | None:
    if answer.isdigit() and 1 <= int(answer) <= len(options):
        return options[int(answer) - 1]
    wanted = answer.strip().lower()
    return next(
        (o for o in options if wanted in (str(o.get("value")).lower(), o["text"]["text"].lower())), None
    )
