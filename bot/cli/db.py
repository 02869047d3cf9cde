"""`ccbot db`: apply the migrations, and say where the database is."""

from __future__ import annotations

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot.assembly import open_database
from bot.cli.base import friendly_errors
from bot.settings import load_settings
from storage.db import (
    DatabaseNotReady,
    current_revision,
    describe_error,
    head_revision,
    reachable_revision,
    upgrade,
)

app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@app.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Apply the database migrations up to the newest."""
    with open_database(load_settings().database_url) as database:
        engine = database.engine
        before = reachable_revision(engine)
        try:
            upgrade(engine)
        except SQLAlchemyError as exc:
            raise DatabaseNotReady(
                f"the upgrade failed ({describe_error(exc)}); `ccbot db current` shows where the database is"
            ) from None
        after = current_revision(engine)
    typer.echo(f"database at revision {after}" + ("" if before != after else " (already up to date)"))


@app.command("current")
@friendly_errors
def db_current() -> None:
    """Show the database's migration revision and the newest the code knows."""
    with open_database(load_settings().database_url) as database:
        engine = database.engine
        typer.echo(f"database: {reachable_revision(engine) or 'not migrated'}; code: {head_revision(engine)}")
