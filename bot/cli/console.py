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
from bot.settings import database_url_problem, load_settings

NEEDS_DATABASE = (
    "ccbot console writes to its database: pass --demo (a fresh demo database, ./ccbot-demo.db) "
    "or --db URL (a database you name); it never uses CCBOT_DATABASE_URL on its own"
)


@friendly_errors
def console(
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Start from a fresh demo database (./ccbot-demo.db) with the pilot roster."
        ),
    ] = False,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="The database to use (with --demo: to fill with the pilot roster). Named explicitly: the "
            "console never writes to CCBOT_DATABASE_URL's database on its own.",
        ),
    ] = None,
) -> None:
    """Try the bot in the terminal: the real app, with Slack replaced by a local stand-in (--demo or --db URL)."""
    from bot.console.shell import Console, find_example_roster

    if not demo and db is None:
        raise UserError(NEEDS_DATABASE)
    problem = database_url_problem(db) if db is not None else None
    if problem:
        raise UserError(f"--db: {problem}")
    roster = None
    url = db
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
    assert url is not None
    # Only errors reach the console's screen, each on one line: the bot's replies are the output.
    configure_logging(load_settings(CCBOT_DATABASE_URL=url), level=logging.ERROR, tracebacks=False)
    Console(database_url=url, stdin=sys.stdin, stdout=sys.stdout, demo_roster=roster).run()
