"""Renders Block Kit (as the bot sends it) to readable terminal text, numbering the buttons."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MENTION = re.compile(r"<([@#!])([^>|]+)(?:\|([^>]+))?>")
DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]+)>")
LINK = re.compile(r"<(https?://[^>|]+)(?:\|([^>]+))?>")
EMOJI = {
    ":white_check_mark:": "✔",
    ":x:": "✘",
    ":large_green_circle:": "●",
    ":large_yellow_circle:": "◐",
    ":red_circle:": "○",
    ":white_circle:": "·",
    ":warning:": "!",
}


@dataclass
class Button:
    """A button shown on screen: where it was, and what clicking it sends."""

    action: dict[str, Any]
    block_id: str | None
    container: dict[str, Any]


def unmrkdwn(text: str, names: dict[str, str]) -> str:
    """Turn Slack mrkdwn into terminal text: mentions as @handle, links as 'label (url)', entities decoded."""

    def mention(match: re.Match[str]) -> str:
        kind, target, label = match.groups()
        if kind == "@":
            return "@" + names.get(target, target)
        if kind == "#":
            return "#" + (label or names.get(target, target))
        return "@" + (label or target)

    for code, symbol in EMOJI.items():
        text = text.replace(code, symbol)
    text = DATE.sub(lambda m: m.group(1), text)
    text = LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), text)
    text = MENTION.sub(mention, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: Any, names: dict[str, str]) -> str:
    if isinstance(obj, dict):
        return unmrkdwn(str(obj.get("text") or ""), names)
    return unmrkdwn(str(obj or ""), names)


def render_blocks(
    blocks: list[dict[str, Any]], names: dict[str, str], buttons: list[Button], container: dict[str, Any]
) -> list[str]:
    """Return lines for `blocks`; each button is appended to `buttons` and shown as [n]."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = _text(block.get("text"), names)
            lines += [title.upper(), "=" * min(len(title), 60)]
        elif kind == "section":
            if block.get("text"):
                lines += _text(block["text"], names).splitlines()
            for field in block.get("fields") or []:
                lines.append("  " + _text(field, names).replace("\n", " "))
            accessory = block.get("accessory")
            if accessory and accessory.get("type") == "button":
                lines.append(_button(accessory, block, names, buttons, container))
        elif kind == "context":
            lines.append(
                "  " + " · ".join(_text(e, names) for e in block.get("elements") or [] if "text" in e)
            )
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            shown = [
                _button(e, block, names, buttons, container)
                for e in block.get("elements") or []
                if e.get("type") == "button"
            ]
            if shown:
                lines.append("   ".join(shown))
        elif kind == "input":
            lines.append(f"{_text(block.get('label'), names)}: ...")
    return lines


def _button(
    element: dict[str, Any],
    block: dict[str, Any],
    names: dict[str, str],
    buttons: list[Button],
    container: dict[str, Any],
) -> str:
    buttons.append(Button(action=element, block_id=block.get("block_id"), container=container))
    return f"[{len(buttons)}] {_text(element.get('text'), names)}"
