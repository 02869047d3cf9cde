"""`ccbot --help`, every subcommand's `--help`, and `ccbot --version`, as a newcomer reads them."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.console import NEEDS_DATABASE
from tests.conftest import ROOT

runner = CliRunner()
WIDE = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
# What typer prints for badly declared options: a flag that seems to take a value, a bare type for a value.
ODD = re.compile(r"<bool>|\[\[")
BARE_TYPE = re.compile(r"^\s+-.*<(?:str|int|path|float|int range|list\[str\])>")


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def test_every_help_screen_is_free_of_odd_placeholders_and_explains_everything() -> None:
    commands = list(_commands(typer.main.get_command(app)))
    assert len(commands) > 30, "every group and its commands"
    for path, command in commands:
        result = runner.invoke(app, [*path, "--help"], env=WIDE, prog_name="ccbot")
        where = " ".join(("ccbot", *path))
        assert result.exit_code == 0, f"{where}: {result.output}"
        assert ODD.search(result.output) is None, (
            f"{where} --help shows {ODD.search(result.output)}:\n{result.output}"
        )
        bare = [line for line in result.output.splitlines() if BARE_TYPE.match(line)]
        assert bare == [], f"{where}: options named by their type, not what they take"
        assert "Traceback" not in result.output
        assert (command.help or "").strip(), f"{where} has no help text"
        for param in command.params:
            assert (getattr(param, "help", None) or "").strip(), f"{where}: {param.name} has no help text"


def test_flags_are_shown_without_a_value() -> None:
    result = runner.invoke(app, ["serve", "--help"], env=WIDE, prog_name="ccbot")
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip().startswith("--")}
    assert lines["--socket"].split()[1] == "Use", "a flag takes no value"
    assert lines["--port"].split()[1] == "PORT"
    console = runner.invoke(app, ["console", "--help"], env=WIDE, prog_name="ccbot").output
    assert "--db URL" in console


def test_version_prints_the_installed_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"ccbot {version('ccbot')}\n"
    run = subprocess.run(
        [sys.executable, "-m", "bot", "--version"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert (run.returncode, run.stdout, run.stderr) == (0, f"ccbot {version('ccbot')}\n", "")


def test_the_console_refuses_the_configured_database_unless_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    production = tmp_path / "production.db"
    # The console sets the process's logging to ERROR; other tests in this process need theirs.
    monkeypatch.setattr("bot.cli.console.configure_logging", lambda *_args, **_kwargs: "text")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CCBOT_DATABASE_URL", f"sqlite:///{production}")
    refused = runner.invoke(app, ["console"], input="quit\n")
    assert refused.exit_code == 2
    assert refused.output.splitlines() == [f"ccbot: {NEEDS_DATABASE}"]
    assert "--demo" in refused.output
    assert "--db URL" in refused.output
    assert list(tmp_path.iterdir()) == [], "nothing was created, let alone written"
    named = tmp_path / "named.db"
    result = runner.invoke(app, ["console", "--db", f"sqlite:///{named}"], input="quit\n")
    assert result.exit_code == 0, result.output
    assert "ccbot console: the real bot" in result.output
    assert named.exists()
    assert not production.exists()
