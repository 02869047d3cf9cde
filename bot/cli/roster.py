"""`ccbot roster`: import a roster file in one transaction, and export the roster."""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.assembly import open_database, slack_client
from bot.cli.base import actor, friendly_errors
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
from bot.slack import SlackDirectory

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
        directory = None
        if settings.slack_configured and not dry_run:
            directory = SlackDirectory(slack_client(settings))
        with database.session() as session:
            try:
                report = import_roster(
                    session,
                    doc,
                    now=now,
                    actor=actor(),
                    directory=directory,
                    dry_run=dry_run,
                    prune=prune,
                    confirmed=yes,
                )
            except ConfirmationNeeded as refusal:
                _show_report(refusal.report, show_all=True, verbose=verbose)
                raise
    _show_report(report, show_all=dry_run or verbose, verbose=verbose)
    typer.echo(("dry run, nothing changed: " if dry_run else "") + report.summary)


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
