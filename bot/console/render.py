"""Renders Block Kit and mrkdwn (as the bot sends them) as rich terminal text, numbering the buttons."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rich.emoji import Emoji, NoEmoji
from rich.style import Style
from rich.text import Text

CODE_BLOCK = re.compile(r"```\n?(.*?)```", re.S)
# One alternative per mrkdwn token; at each position the first that matches wins, so code stays literal.
INLINE = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|(?P<angle><[^<>\s][^<>]*>)"
    r"|(?P<bold>(?<![\w*])\*(?!\s)[^*\n]+?(?<!\s)\*(?![\w*]))"
    r"|(?P<italic>(?<![\w_])_(?!\s)[^_\n]+?(?<!\s)_(?![\w_]))"
    r"|(?P<strike>(?<![\w~])~(?!\s)[^~\n]+?(?<!\s)~(?![\w~]))"
    r"|(?P<emoji>(?<![\w:]):[a-z0-9_+'-]+:)"
)
EMOJI_CODE = re.compile(r"(?<![\w:]):([a-z0-9_+'-]+):")
# Slack's names that rich knows by another.
EMOJI_ALIASES = {
    "large_green_circle": "green_circle",
    "large_yellow_circle": "yellow_circle",
    "large_blue_circle": "blue_circle",
    "large_orange_circle": "orange_circle",
    "large_purple_circle": "purple_circle",
    "ballot_box": "ballot_box_with_ballot",
    "thumbsup": "+1",
    "thumbsdown": "-1",
    "simple_smile": "slightly_smiling_face",
}
ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))

BOLD = Style(bold=True)
ITALIC = Style(italic=True)
STRIKE = Style(strike=True)
CODE = Style(color="magenta")
MENTION = Style(color="cyan", bold=True)
DIM = Style(dim=True)
QUOTE_BAR = "▌ "
BUTTON_STYLES = {"primary": Style(color="green", bold=True), "danger": Style(color="red", bold=True)}


@dataclass
class Button:
    """A button shown on screen: where it was, and what clicking it sends."""

    action: dict[str, Any]
    block_id: str | None
    container: dict[str, Any]


def emoji(name: str) -> str | None:
    """Return the character for a Slack emoji shortcode name (without colons), or None when unknown."""
    name = name.lower()
    try:
        return str(Emoji(EMOJI_ALIASES.get(name, name)))
    except NoEmoji:
        return None


def _decode(text: str) -> str:
    for entity, char in ENTITIES:
        text = text.replace(entity, char)
    return text


def with_emoji(text: str) -> str:
    """Return plain text with its known :shortcodes: turned into characters (as Slack does in plain_text)."""
    return EMOJI_CODE.sub(lambda m: emoji(m.group(1)) or m.group(0), text)


def mrkdwn(text: str, names: dict[str, str]) -> Text:
    """Return Slack mrkdwn as styled text: bold, italics, strike, code, links, mentions, emoji, quotes."""
    out = Text()
    position = 0
    for block in CODE_BLOCK.finditer(text):
        _lines(out, text[position : block.start()], names)
        out.append(_decode(block.group(1).rstrip("\n")), CODE)
        position = block.end()
    _lines(out, text[position:], names)
    return out


def unmrkdwn(text: str, names: dict[str, str]) -> str:
    """Return Slack mrkdwn as the plain text a reader sees (no markers, mentions by name, links with URLs)."""
    return mrkdwn(text, names).plain


def _lines(out: Text, text: str, names: dict[str, str]) -> None:
    for index, line in enumerate(text.split("\n")):
        if index:
            out.append("\n")
        if line.startswith(("&gt;", ">")) and not line.startswith("&gt;&gt;"):
            out.append(QUOTE_BAR, DIM)
            line = line.removeprefix("&gt;").removeprefix(">").removeprefix(" ")
            out.append_text(_inline(line, names, ITALIC))
        else:
            out.append_text(_inline(line, names, Style()))


def _inline(text: str, names: dict[str, str], style: Style) -> Text:
    out = Text()
    position = 0
    for match in INLINE.finditer(text):
        out.append(_decode(text[position : match.start()]), style)
        position = match.end()
        kind, token = match.lastgroup, match.group(0)
        if kind == "code":
            out.append(_decode(token[1:-1]), style + CODE)
        elif kind == "angle":
            out.append_text(_angle(token[1:-1], names, style))
        elif kind in {"bold", "italic", "strike"}:
            extra = {"bold": BOLD, "italic": ITALIC, "strike": STRIKE}[kind]
            out.append_text(_inline(token[1:-1], names, style + extra))
        else:
            out.append(emoji(token[1:-1]) or token, style)
    out.append(_decode(text[position:]), style)
    return out


def _angle(inner: str, names: dict[str, str], style: Style) -> Text:
    """A `<...>` token: a user, channel or group mention, a date, or a link."""
    target, _, label = inner.partition("|")
    label = _decode(label)
    if target.startswith("@"):
        return Text("@" + names.get(target[1:], label or target[1:]), style + MENTION)
    if target.startswith("#"):
        return Text("#" + (label or names.get(target[1:], target[1:])), style + MENTION)
    if target.startswith("!date^"):
        return Text(label or target, style)
    if target.startswith("!subteam^"):
        return Text(label or "@" + target.removeprefix("!subteam^"), style + MENTION)
    if target.startswith("!"):
        return Text("@" + (label or target[1:]), style + MENTION)
    url = _decode(target)
    if url.startswith("mailto:"):
        return Text(label or url.removeprefix("mailto:"), style + Style(underline=True, link=url))
    if not label or label == url:
        return Text(url, style + Style(underline=True, link=url))
    # The URL stays visible: not every terminal makes the label clickable.
    return Text().append(label, style + Style(underline=True, link=url)).append(f" ({url})", style + DIM)


def _text(obj: Any, names: dict[str, str]) -> Text:
    if isinstance(obj, dict):
        if obj.get("type") == "plain_text":
            raw = str(obj.get("text") or "")
            return Text(with_emoji(raw) if obj.get("emoji", True) else raw)
        return mrkdwn(str(obj.get("text") or ""), names)
    return mrkdwn(str(obj or ""), names)


def render_blocks(
    blocks: list[dict[str, Any]], names: dict[str, str], buttons: list[Button], container: dict[str, Any]
) -> list[Text]:
    """Return lines for `blocks` (a line may hold newlines); each button is added to `buttons`, shown as [n]."""
    lines: list[Text] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = _text(block.get("text"), names)
            lines.append(Text(title.plain.upper(), BOLD))
            lines.append(Text("=" * min(len(title.plain), 60), DIM))
        elif kind == "section":
            if block.get("text"):
                lines.append(_text(block["text"], names))
            for field in block.get("fields") or []:
                lines.append(Text("  ").append_text(_text(field, names)))
            accessory = block.get("accessory")
            if accessory and accessory.get("type") == "button":
                lines.append(_button(accessory, block, names, buttons, container))
        elif kind == "context":
            parts = [_text(element, names) for element in block.get("elements") or [] if "text" in element]
            line = Text("  ").append_text(Text(" · ").join(parts))
            line.stylize(DIM)
            lines.append(line)
        elif kind == "divider":
            lines.append(Text("─" * 40, DIM))
        elif kind == "actions":
            shown = [
                _button(element, block, names, buttons, container)
                for element in block.get("elements") or []
                if element.get("type") == "button"
            ]
            if shown:
                lines.append(Text("   ").join(shown))
        elif kind == "table":
            rows = [[_cell(cell, names) for cell in row] for row in block.get("rows") or []]
            widths = [max((len(row[i].plain) for row in rows if i < len(row)), default=0) for i in range(20)]
            for row in rows:
                padded = [cell + " " * (widths[i] - len(cell.plain)) for i, cell in enumerate(row)]
                line = Text(" │ ").join(padded)
                line.rstrip()
                lines.append(line)
        elif kind == "image":
            lines.append(Text(f"[image: {block.get('alt_text') or 'no description'}]", DIM))
        elif kind == "input":
            lines.append(_text(block.get("label"), names).append(": ..."))
    return lines


def _cell(cell: dict[str, Any], names: dict[str, str]) -> Text:
    """Return a table cell's text: raw text as typed, a user by name."""
    if cell.get("type") != "rich_text":
        return Text(str(cell.get("text", "")))
    out = Text()
    for section in cell.get("elements") or []:
        for element in section.get("elements") or []:
            if element.get("type") == "user":
                out.append("@" + names.get(str(element.get("user_id")), str(element.get("user_id"))), BOLD)
            else:
                out.append(str(element.get("text", "")))
    return out


def _button(
    element: dict[str, Any],
    block: dict[str, Any],
    names: dict[str, str],
    buttons: list[Button],
    container: dict[str, Any],
) -> Text:
    buttons.append(Button(action=element, block_id=block.get("block_id"), container=container))
    style = BUTTON_STYLES.get(str(element.get("style")), BOLD)
    return Text(f"[{len(buttons)}] ", style).append_text(_text(element.get("text"), names))
