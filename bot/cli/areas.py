"""`ccbot areas`: replace the repository areas that route questions in the scale phase."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from bot.assembly import open_database
from bot.cli.base import actor, friendly_errors
from bot.settings import load_settings

app = typer.Typer(help="Repository areas for the scale phase.", no_args_is_help=True)


@app.command("import")
@friendly_errors
def areas_import(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="YAML: areas: [{name, channel, manager, repos, responders}]"),
    ],
) -> None:
    """Replace the repository areas (scale phase routing) from a file, in one transaction."""
    from bot.services.areas import import_areas

    with open_database(load_settings().database_url, ready=True) as database, database.session() as session:
        names = import_areas(session, file, now=dt.datetime.now(dt.UTC), actor=actor())
    typer.echo(f"imported {len(names)} areas: {', '.join(names)}")
