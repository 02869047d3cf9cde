"""`ccbot doctor`: check a deployment and print one line per check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.settings import ConfigError, load_settings


def doctor(
    manifest: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="The app manifest whose scopes the token must hold (default: ./app_manifest.yml).",
        ),
    ] = None,
) -> None:
    """Check this deployment: Slack token, scopes and channels, secrets, database, GitHub; exit 1 on a problem."""
    from bot.doctor import Status, diagnose, problem

    try:
        settings = load_settings()
    except ConfigError as exc:
        typer.echo(problem(f"settings: {exc}", "fix it in the environment or .env").line())
        raise typer.Exit(1) from None
    results = diagnose(settings, manifest=manifest)
    for result in results:
        typer.echo(result.line())
    problems = sum(result.status is Status.PROBLEM for result in results)
    if problems:
        typer.echo(f"{problems} problem(s) to fix before this deployment can be relied on")
        raise typer.Exit(1)
    typer.echo("no problems found")
