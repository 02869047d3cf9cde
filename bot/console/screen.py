"""The console's screen: lines read from the prompt (echoed when piped), text wrapped to the terminal, and
messages shown numbered with their buttons."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, TextIO

from rich.cells import cell_len
from rich.console import Console as RichConsole
from rich.text import Text

from bot.console.render import BOLD, DIM, Button, mrkdwn, render_blocks

PLAIN_WIDTH = 100
# A line starting with a bullet or a number wraps under its text, not under the bullet.
LIST_ITEM = re.compile(r"(?:[^\w\s]{1,2}|\d+[.)]|\[\d+\])\s+")


@dataclass
class Shown:
    """What the screen numbers: the last output's buttons [n], and every message shown, #n for as long as the
    console runs (a number is never reused, and `reply n` reaches message #n wherever it was shown)."""

    buttons: list[Button] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    numbers: dict[tuple[str, str], int] = field(default_factory=dict)

    def number(self, message: dict[str, Any]) -> int:
        """Return the message's number: the one it was first shown with, or the next (an edit keeps its number)."""
        key = (str(message.get("channel")), str(message.get("ts")))
        if key in self.numbers:
            self.messages[self.numbers[key] - 1] = message
        else:
            self.messages.append(message)
            self.numbers[key] = len(self.messages)
        return self.numbers[key]

    def message(self, text: str) -> dict[str, Any] | None:
        """Return message #N (`text` is N or #N), or None when no message was shown with that number."""
        number = text.lstrip("#")
        if not number.isdigit() or not 1 <= int(number) <= len(self.messages):
            return None
        return self.messages[int(number) - 1]


class Screen:
    """The terminal side of the console: what is read, what is said, and what the screen numbers."""

    def __init__(self, *, stdin: TextIO, stdout: TextIO) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.echo = not stdin.isatty()
        self.out = screen_for(stdout)
        self.names: dict[str, str] = {}
        self.shown = Shown()

    def read(self, prompt: str) -> str | None:
        """Read one line, echoing it when input is piped so a transcript reads like a session."""
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            self.stdout.write("\n")
            return None
        if self.echo:
            self.stdout.write(line if line.endswith("\n") else line + "\n")
        return line.rstrip("\n")

    def say(self, text: str | Text = "", *, prefix: str = "") -> None:
        """Print text after `prefix`, wrapped to the screen, continuation lines indented under the text."""
        text = Text(text) if isinstance(text, str) else text
        width = max(20, self.out.width - len(prefix))
        for line in text.split("\n", allow_blank=True):
            plain = line.plain
            start = len(plain) - len(plain.lstrip(" "))
            bullet = LIST_ITEM.match(plain, start)
            split = bullet.end() if bullet else start
            # Continuation lines go under the text of a list item, else two columns in from the line.
            hang = min(cell_len(plain[:split]) if bullet else start + 2, width // 2)
            body = line[split:]
            pieces = body.wrap(self.out, width - hang) if body.plain.strip() else [body]
            for index, piece in enumerate(pieces):
                piece.rstrip()
                lead = line[:split] if index == 0 else Text(" " * hang)
                self.out.print(Text(prefix).append_text(lead).append_text(piece), soft_wrap=True)
        self.stdout.flush()

    def new_output(self) -> None:
        """Start a command's output: its buttons are numbered from [1]; the screen's messages keep their #n."""
        self.shown.buttons = []

    def _print_private(self, body: dict[str, Any]) -> None:
        """Print a reply only the acting person sees (an ack, a response_url post, an ephemeral)."""
        self.say(Text("── only visible to you ──", DIM))
        message = {
            "channel": body.get("channel") or "C0CONSOLE",
            "ts": "0",
            "text": body.get("text", ""),
            "blocks": body.get("blocks") or [],
        }
        container = {"type": "message", "message": message}
        lines = render_blocks(message["blocks"], self.names, self.shown.buttons, container)
        if not lines and body.get("text"):
            lines = [mrkdwn(str(body["text"]), self.names)]
        for line in lines:
            self.say(line, prefix="  ")

    def _show_messages(self, messages: list[dict[str, Any]], title: str | None = None) -> None:
        if title:
            self.say(Text(f"── {title} ──", BOLD))
        for message in messages:
            number = self.shown.number(message)
            where = self._where(message["channel"])
            thread = (
                " (in a thread)" if message.get("thread_ts") and message["thread_ts"] != message["ts"] else ""
            )
            author = self.names.get(message.get("user") or "", "ccbot")
            self.say(Text(f"── #{number} {where}{thread} · {author} ──", BOLD))
            lines = render_blocks(
                message.get("blocks") or [],
                self.names,
                self.shown.buttons,
                {"type": "message", "message": message},
            )
            for line in lines or [mrkdwn(message.get("text") or "", self.names)]:
                self.say(line, prefix="  ")
            for shared in message.get("files") or []:
                self.say(Text(self.describe_file(shared), DIM), prefix="  ")

    def describe_file(self, shared: dict[str, Any]) -> str:
        """Return a line about a file shared with a message (the stage writes pictures where they can be seen)."""
        return f"[file: {shared.get('name') or 'unnamed'}]"

    def _where(self, channel: str) -> str:
        if channel.startswith("D"):
            return f"DM to @{self.names.get('U' + channel[1:], channel)}"
        return f"#{self.names.get(channel, channel)}"


def screen_for(stdout: TextIO) -> RichConsole:
    """Return a rich console on `stdout`: styled on a terminal, plain text (and 100 columns) otherwise."""
    try:
        terminal = stdout.isatty()
    except (AttributeError, ValueError):
        terminal = False
    return RichConsole(
        file=stdout,
        force_terminal=terminal,
        width=None if terminal else PLAIN_WIDTH,
        highlight=False,
        markup=False,
        emoji=False,
    )
