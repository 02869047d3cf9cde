"""`ccbot console`: the real app in the terminal, with Slack replaced by a local stand-in."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.base import friendly_errors
from bot.logs import configure_logging
from bot.services.errors import UserError
from bot.settings import load_settings


@friendly_errors
def console(
    demo: Annotated[
        bool, typer.Option("--demo", help="Start from a fresh database with the pilot roster.")
    ] = False,
    db: Annotated[
        str | None, typer.Option("--db", metavar="URL", help="Database URL (default: CCBOT_DATABASE_URL).")
    ] = None,
) -> None:
    """Try the bot in the terminal: the real app, with Slack replaced by a local stand-in."""
    from bot.console.shell import Console, find_example_roster

    roster = None
    url = db or load_settings().database_url.get_secret_value()
    if demo:
        roster = find_example_roster()
        if roster is None:
            raise UserError(
                "examples/pilot-roster.yaml not found: run `ccbot console --demo` from the ccbot checkout"
            )
        if db is None:
            fresh = Path("ccbot-demo.db")
            for path in (fresh, Path("ccbot-demo.db-wal"), Path("ccbot-demo.db-shm")):
                path.unlink(missing_ok=True)
            url = f"sqlite:///{fresh}"
    # Only errors reach the console's screen, each on one line: the bot's replies are the output.
    configure_logging(load_settings(), level=logging.ERROR, tracebacks=False)
    Console(database_url=url, stdin=sys.stdin, stdout=sys.stdout, demo_roster=roster).run()
