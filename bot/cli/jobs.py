"""`ccbot jobs`: list the scheduled jobs, or run one now as the scheduler would."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from bot.assembly import build_bot
from bot.cli.base import friendly_errors, parse_instant
from bot.logs import configure_logging, job_run_context
from bot.services.errors import UserError
from bot.settings import load_settings

app = typer.Typer(help="Scheduled jobs: list them, or run one now.", no_args_is_help=True)


@app.command("list")
@friendly_errors
def jobs_list() -> None:
    """Show each job, when it runs and its next run."""
    from bot.jobs.registry import JOBS

    settings = load_settings()
    now = dt.datetime.now(dt.UTC)
    for spec in JOBS.values():
        upcoming = spec.next_run(now, settings)
        when = f"{upcoming:%Y-%m-%d %H:%M} UTC" if upcoming else "never"
        typer.echo(f"{spec.name:<28} {spec.describe(settings):<22} next {when}")
        typer.echo(f"{'':<28} {spec.description}")


@app.command("run")
@friendly_errors
def jobs_run(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The job's name, as `ccbot jobs list` shows it.")
    ],
    now: Annotated[
        str | None,
        typer.Option(
            "--now", metavar="ISO-8601", help="Run as of this ISO-8601 instant (default: the current time)."
        ),
    ] = None,
) -> None:
    """Run one job now, as the scheduler would."""
    from bot.jobs.registry import JOBS

    if name not in JOBS:
        raise UserError(f"no job called {name!r}; `ccbot jobs list` shows them: {', '.join(JOBS)}")
    when = parse_instant(now) if now else dt.datetime.now(dt.UTC)
    settings = load_settings()
    settings.require("slack_bot_token")
    configure_logging(settings)
    bot = build_bot(settings, ready=True)
    try:
        with job_run_context(name):
            result = bot.run_job(name, now=when)
    finally:
        bot.close()
    typer.echo(f"{name} ran as of {when.isoformat()}: {result}")
