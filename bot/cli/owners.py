"""`ccbot owners`: read repository owners from catalog-info.yaml and CODEOWNERS, on disk or on GitHub."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from bot.assembly import open_database
from bot.cli.base import actor, friendly_errors, github_connect
from bot.services.errors import UserError
from bot.settings import GITHUB_TARGET, load_settings

app = typer.Typer(help="Technical owners of repositories.", no_args_is_help=True)


@app.command("sync")
@friendly_errors
def owners_sync(
    sources: Annotated[
        list[str],
        typer.Argument(
            metavar="SOURCE",
            help="A directory holding <org>/<repo>/catalog-info.yaml and CODEOWNERS; with --github, "
            "organisations and org/repo names on GitHub.",
            show_default=False,
        ),
    ],
    github: Annotated[
        bool,
        typer.Option(
            "--github", help="Read from each repository's default branch on GitHub (GITHUB_API_URL)."
        ),
    ] = False,
) -> None:
    """Read repository owners from catalog-info.yaml and CODEOWNERS files (and Backstage groups)."""
    from bot.services.owners import sync_owners, sync_owners_from_github

    settings = load_settings()
    with open_database(settings.database_url, ready=True) as database:
        now = dt.datetime.now(dt.UTC)
        if github:
            bad = [target for target in sources if not GITHUB_TARGET.match(target)]
            if bad:
                raise UserError(
                    f"{bad[0]!r} is not an organisation or org/repo (like openedx or openedx/XBlock)"
                )
            with github_connect(settings)() as client, database.session() as session:
                report = sync_owners_from_github(session, client, sources, now=now, actor=actor())
        else:
            if len(sources) != 1:
                raise UserError("give one directory, or --github with organisations and org/repo names")
            with database.session() as session:
                report = sync_owners(session, Path(sources[0]), now=now, actor=actor())
    for problem in report.problems:
        typer.echo(f"warning: {problem}", err=True)
    typer.echo(f"synced owners of {len(report.repos)} repositories and {report.groups} groups")
