"""`ccbot renewal`: open the year's recommitment, and show each round's answers."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

import typer

from bot.cli.base import actor, bot_session, deliver, friendly_errors, parse_date

app = typer.Typer(
    help="The yearly recommitment (OEP-54: organisations in December, individuals in January).",
    no_args_is_help=True,
)


class Who(StrEnum):
    """Who a recommitment round asks."""

    INDIVIDUALS = "individuals"
    ORGANIZATIONS = "organizations"
    ALL = "all"


@app.command("open")
@friendly_errors
def renewal_open(
    year: Annotated[int, typer.Argument(metavar="YEAR", help="The year committers recommit for, like 2027.")],
    closes: Annotated[
        str | None,
        typer.Option(
            "--closes",
            metavar="DATE",
            help="Last day for answers, YYYY-MM-DD (default: CCBOT_RENEWAL_DAYS from today).",
        ),
    ] = None,
    who: Annotated[Who, typer.Option("--who", help="Who is asked.")] = Who.ALL,
) -> None:
    """Open the year's recommitment: each active committer (or provider organisation's contact) gets a DM."""
    from bot.services.renewals import open_renewal
    from bot.views.renewals import last_day

    closes_on = parse_date(closes, "--closes")
    now = dt.datetime.now(dt.UTC)
    with bot_session() as (bot, session):
        opened = open_renewal(
            session,
            year=year,
            who=who.value,
            closes_on=closes_on,
            now=now,
            actor=actor(),
            policy=bot.runtime.policy,
        )
        for renewal, asked in opened.rounds:
            typer.echo(
                f"opened the {renewal.year} recommitment of {renewal.audience.value}: {asked} asked, "
                f"answers until {last_day(renewal.closes_at)} (UTC)"
            )
        for note in opened.notes:
            typer.echo(f"note: {note}", err=True)
        deliver(bot, session, opened.keys, now)


@app.command("status")
@friendly_errors
def renewal_status(
    year: Annotated[
        int | None, typer.Argument(metavar="YEAR", help="Only this year's rounds (default: every round).")
    ] = None,
) -> None:
    """Show each round: who recommitted, stepped down, has not answered, or awaits an admin."""
    from bot.services.renewals import list_rounds
    from bot.views.renewals import last_day, member_label

    with bot_session() as (_, session):
        rounds = list_rounds(session, year=year)
        if not rounds:
            typer.echo(
                "no recommitment round"
                + (f" for {year}" if year else "")
                + "; `ccbot renewal open YEAR` opens one"
            )
            return
        for progress in rounds:
            renewal = progress.renewal
            state = (
                f"closed {renewal.closed_at:%Y-%m-%d}"
                if renewal.closed_at
                else f"open until {last_day(renewal.closes_at)}"
            )
            typer.echo(
                f"Recommitment {renewal.year}, {renewal.audience.value}: {state}, opened by {renewal.opened_by}"
            )
            for label, cards in (
                ("recommitted", progress.recommitted),
                ("stepped down", progress.stepped_down),
                ("not answered yet", progress.waiting),
                ("no answer, awaiting an admin", progress.listed),
            ):
                names = ", ".join(member_label(card, plain=True) for card in cards)
                typer.echo(f"  {label} ({len(cards)}){': ' + names if names else ''}")
