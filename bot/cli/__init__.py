"""The `ccbot` command line: one module per command group, put together here in the order `--help` lists them."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from bot.cli import (
    access,
    activity,
    agreements,
    areas,
    console,
    db,
    doctor,
    jobs,
    membership,
    owners,
    publish,
    renewals,
    retros,
    roster,
    serve,
)

app = typer.Typer(
    help="ccbot runs a Core Committer program in Slack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def installed_version() -> str:
    """Return the installed ccbot's version (from its package metadata)."""
    try:
        return version("ccbot")
    except PackageNotFoundError:
        return "unknown (not installed: `pip install -e .`)"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"ccbot {installed_version()}")
        raise typer.Exit()


@app.callback()
def ccbot(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_show_version, help="Print ccbot's version and exit."
        ),
    ] = False,
) -> None:
    """ccbot runs a Core Committer program in Slack."""


app.command("serve")(serve.serve)
app.command("scheduler")(serve.scheduler)
app.command("console")(console.console)
app.command("doctor")(doctor.doctor)
app.add_typer(db.app, name="db")
app.add_typer(roster.app, name="roster")
app.add_typer(owners.app, name="owners")
app.add_typer(jobs.app, name="jobs")
app.add_typer(retros.app, name="retro")
app.add_typer(areas.app, name="areas")
app.add_typer(access.app, name="access")
app.add_typer(renewals.app, name="renewal")
app.add_typer(agreements.app, name="agreements")
app.add_typer(membership.app, name="alumni")
app.add_typer(activity.app, name="activity")
app.command("publish")(publish.publish)


def main() -> None:
    """Entry point of the `ccbot` console script."""
    app()
