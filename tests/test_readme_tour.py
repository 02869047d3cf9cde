"""The README's tour, typed into the console: every line the README shows is what the console prints.

The tour is read from README.md, so the README and the code cannot drift apart. In the tour's block a line
`HANDLE> command` (or `(nobody)> command`) is typed as that person (text after two spaces and `#` is a
comment); any other line is output the command must print, in that order, though the README may leave lines
out. `...` in a line stands for any text; dates, weeks and times of day are compared as placeholders, since the
demo's roster moves to the day it starts. Form fields are answered with Enter (each keeps its pre-filled value).
The console runs on a stopped clock that moves a minute after each command, today and a year from now: the
tour reads the same on any day.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.console.shell import Console
from tests.conftest import PILOT_ROSTER, ROOT

TOUR_HEADING = "## A tour: what a committer, a champion and a manager see"
PROMPT = re.compile(r"^(\(nobody\)|[A-Za-z0-9][A-Za-z0-9-]*)> (.*)$")
COMMENT = re.compile(r"\s{2,}#\s.*$")
PLACEHOLDERS = [
    (re.compile(r"\b\d{4}-W\d{2}\b"), "<week>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "<date>"),
    (re.compile(r"\b\d{2}:\d{2}\b"), "<time>"),
]


@dataclass
class Step:
    """One command of the tour, who types it, and the lines the README says it prints."""

    handle: str
    command: str
    expected: list[str] = field(default_factory=list)


def tour_block(readme: str) -> str:
    """Return the first fenced block after the tour's heading."""
    assert TOUR_HEADING in readme, f"README.md has no section {TOUR_HEADING!r}"
    after = readme.split(TOUR_HEADING, 1)[1]
    match = re.search(r"^```[^\n]*\n(.*?)^```", after, re.DOTALL | re.MULTILINE)
    assert match, "the tour's section has no ``` block"
    return match.group(1)


def parse_tour(block: str) -> list[Step]:
    """Split the tour's block into commands and the output lines each is shown with."""
    steps: list[Step] = []
    for line in block.splitlines():
        prompt = PROMPT.match(line)
        if prompt:
            steps.append(Step(prompt.group(1), COMMENT.sub("", prompt.group(2)).strip()))
        elif line.strip() and not line.lstrip().startswith("# "):
            assert steps, f"the tour shows output before any command: {line!r}"
            steps[-1].expected.append(line)
    return steps


def normalised(line: str) -> str:
    """Return the line with dates, weeks and times of day as placeholders, trailing spaces dropped."""
    for pattern, placeholder in PLACEHOLDERS:
        line = pattern.sub(placeholder, line)
    return line.rstrip()


def shows(expected: str, actual: str) -> bool:
    """Whether the console's line is the README's (with `...` standing for any text)."""
    parts = [re.escape(part) for part in normalised(expected).split("...")]
    return re.fullmatch(".*".join(parts), normalised(actual)) is not None


def unmatched(expected: list[str], printed: list[str]) -> str | None:
    """Return the first README line not found, in order, among the printed lines (None when all are)."""
    position = 0
    for line in expected:
        while position < len(printed) and not shows(line, printed[position]):
            position += 1
        if position == len(printed):
            return line
        position += 1
    return None


def test_the_tour_is_read_from_the_readme() -> None:
    steps = parse_tour(tour_block((ROOT / "README.md").read_text(encoding="utf-8")))
    commands = [step.command for step in steps]
    assert commands[0] == "as @ziafazal"
    assert "run weekly_digest" in commands
    assert any(command.startswith("/cc-ask ") for command in commands)
    assert all(step.expected for step in steps if step.command.startswith("/")), (
        "every slash command shows output"
    )


def test_matching_follows_order_placeholders_and_ellipses() -> None:
    printed = ["  asked 2031-02-03 09:15 UTC", "  Questions: 3 asked · 2 answered", "── #7 DM to @nimisha ──"]
    assert unmatched(["  asked 2026-11-27 18:05 UTC", "── #... DM to @nimisha ──"], printed) is None
    assert unmatched(["  Questions: 2 asked · 1 answered"], printed) == "  Questions: 2 asked · 1 answered"
    assert unmatched(["── #... DM to @nimisha ──", "  asked 2026-11-27 18:05 UTC"], printed) is not None


@pytest.mark.parametrize("days_ahead", [0, 365], ids=["today", "a-year-from-now"])
def test_the_readme_tour_prints_what_the_readme_shows(tmp_path: Path, days_ahead: int) -> None:
    steps = parse_tour(tour_block((ROOT / "README.md").read_text(encoding="utf-8")))
    # A stopped clock that moves a minute after each command, as if typed a minute apart.
    at = [dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(days=days_ahead)]
    out = io.StringIO()
    console = Console(
        database_url=f"sqlite:///{tmp_path / 'tour.db'}",
        stdin=io.StringIO(""),
        stdout=out,
        demo_roster=PILOT_ROSTER,
        clock=lambda: at[0],
    )
    try:
        for step in steps:
            assert step.handle == (console.handle or "(nobody)"), (
                f"the README types `{step.command}` as {step.handle}, but the console is {console.handle or '(nobody)'}"
            )
            start = out.tell()
            console.stdin = io.StringIO("\n" * 10)  # Enter at every form field: keep what is pre-filled
            console.handle_safely(step.command)
            at[0] += dt.timedelta(minutes=1)
            printed = out.getvalue()[start:].splitlines()
            assert not any("` failed: " in line for line in printed), "\n".join(printed)
            missing = unmatched(step.expected, printed)
            assert missing is None, (
                f"README's tour: after `{step.command}` the README shows\n  {missing!r}\n"
                "but the console printed:\n" + "\n".join(printed)
            )
    finally:
        console.slack.stop()
        console.github.stop()
