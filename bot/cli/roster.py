"""`ccbot roster`: import a roster file in one transaction, and export the roster."""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.assembly import build_bot, open_database
from bot.cli.base import actor, friendly_errors
from bot.logs import configure_logging, job_run_context
from bot.services.directory import resolution_status
from bot.services.errors import UserError
from bot.services.roster import (
    ConfirmationNeeded,
    ImportReport,
    dump_agreements_csv,
    dump_ccbot_yaml,
    export_agreement_rows,
    export_roster,
    import_roster,
    read_roster,
)
from bot.settings import load_settings
from bot.types.directory import Miss, NotFound

app = typer.Typer(help="Import and export the roster.", no_args_is_help=True)


class RosterFormat(StrEnum):
    """Roster file formats `ccbot roster import` reads."""

    AUTO = "auto"
    CCBOT = "ccbot"
    PEOPLE = "people"
    CSV = "csv"


class ExportFormat(StrEnum):
    """Roster formats `ccbot roster export` writes."""

    YAML = "yaml"
    CSV = "csv"


@app.command("import")
@friendly_errors
def roster_import(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="ccbot YAML, Open edX people.yaml, or the CLA CSV export.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    fmt: Annotated[
        RosterFormat, typer.Option("--format", help="File format (default: detected).")
    ] = RosterFormat.AUTO,
    orgs: Annotated[
        Path | None, typer.Option(metavar="FILE", help="orgs.yaml for a people.yaml (default: beside it).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(metavar="DATE", help="Read people.yaml history as of YYYY-MM-DD.")
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Mark people missing from the file as alumni.")
    ] = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Apply even when it ends or lapses many people or organisations at once."),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every change.")] = False,
) -> None:
    """Import a roster file in one transaction: any error changes nothing."""
    settings = load_settings()
    with open_database(settings.database_url, ready=True) as database:
        now = dt.datetime.now(dt.UTC)
        try:
            when = dt.date.fromisoformat(as_of) if as_of else now.date()
        except ValueError:
            raise UserError(f"--as-of {as_of!r} is not a date (use YYYY-MM-DD)") from None
        doc = read_roster(file, fmt=fmt.value, orgs=orgs, as_of=when)
        with database.session() as session:
            try:
                report = import_roster(
                    session,
                    doc,
                    now=now,
                    actor=actor(),
                    dry_run=dry_run,
                    prune=prune,
                    confirmed=yes,
                )
            except ConfirmationNeeded as refusal:
                _show_report(refusal.report, show_all=True, verbose=verbose)
                raise
    _show_report(report, show_all=dry_run or verbose, verbose=verbose)
    typer.echo(("dry run, nothing changed: " if dry_run else "") + report.summary)
    if report.resolving:
        typer.echo(
            f"resolving {report.resolving} people's Slack ids and time zones in the background: the running bot's "
            "slack_resolution job starts within a minute (`ccbot roster resolve` does it now); whom Slack does not "
            "have is told to the admins and listed by `ccbot roster resolve --status`"
        )


@app.command("resolve")
@friendly_errors
def roster_resolve(
    status: Annotated[
        bool,
        typer.Option(
            "--status", help="Show the latest resolution and whom it did not find; ask Slack nothing."
        ),
    ] = False,
) -> None:
    """Fill in missing Slack ids and time zones now (as the bot's slack_resolution job does), or show how it went."""
    settings = load_settings()
    if status:
        with open_database(settings.database_url, ready=True) as database, database.session() as session:
            request = resolution_status(session)
            if request is None:
                typer.echo("no resolution asked for yet")
                return
            typer.echo(
                f"resolution #{request.id} ({request.state}, {request.mode or 'not started'}), asked "
                f"{request.requested_at:%Y-%m-%d %H:%M} UTC by {request.requested_by}: {request.calls} Slack "
                f"call(s), {request.ids_found} Slack id(s) and {request.timezones_found} time zone(s) found, "
                f"{len(request.not_found)} not found"
            )
            for github, miss, detail in request.not_found:
                typer.echo(f"not found: {_miss_line(NotFound(str(github), Miss(miss), str(detail)))}")
        return
    settings.require("slack_bot_token")
    configure_logging(settings)
    bot = build_bot(settings, ready=True)
    try:
        with job_run_context("slack_resolution"):
            result = bot.run_job("slack_resolution")
    finally:
        bot.close()
    typer.echo(str(result))


def _miss_line(entry: NotFound) -> str:
    reasons = {
        Miss.NO_EMAIL: "no Slack id and no e-mail on the roster",
        Miss.NO_USER: f"no Slack member has the e-mail {entry.detail}",
        Miss.SHARED_EMAIL: f"others on the roster have the same e-mail {entry.detail}",
        Miss.TAKEN: f"the Slack member with their e-mail is linked to someone else ({entry.detail})",
        Miss.NO_TIMEZONE: f"Slack id {entry.detail} is not in the workspace or has no time zone",
    }
    return f"{entry.github}: {reasons[entry.miss]}"


def _show_report(report: ImportReport, *, show_all: bool, verbose: bool) -> None:
    if show_all:
        for sign, lines in (("+", report.added), ("~", report.changed), ("-", report.removed)):
            for line in lines:
                typer.echo(f"{sign} {line}")
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if verbose:
        for note in report.not_imported:
            typer.echo(f"not imported: {note}", err=True)


@app.command("export")
@friendly_errors
def roster_export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="yaml (ccbot's own) or csv (CLA export).")] = (
        ExportFormat.YAML
    ),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to this file (default: stdout)."),
    ] = None,
) -> None:
    """Export the roster as ccbot YAML (lossless) or as the CLA CSV."""
    with open_database(load_settings().database_url, ready=True) as database, database.session() as session:
        if fmt is ExportFormat.YAML:
            text = dump_ccbot_yaml(export_roster(session))
        else:
            text = dump_agreements_csv(export_agreement_rows(session, today=dt.datetime.now(dt.UTC).date()))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
