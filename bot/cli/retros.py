"""`ccbot retro`: open a retrospective; its participants are invited by DM."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

import typer

from bot.assembly import build_bot
from bot.cli.base import actor, friendly_errors
from bot.services.errors import UserError
from bot.settings import load_settings

app = typer.Typer(
    help="Retrospectives of the program (Liked, Lacked, Learned, Longed for).", no_args_is_help=True
)


class RetroParticipants(StrEnum):
    """Who a retro invites."""

    ALL = "all"
    CCS = "ccs"
    CHAMPIONS = "champions"


@app.command("open")
@friendly_errors
def retro_open(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A short name, like pilot-2026.")],
    closes: Annotated[
        str,
        typer.Option(
            "--closes", metavar="DATE", help="Last day for feedback, YYYY-MM-DD (closes at its end, UTC)."
        ),
    ],
    participants: Annotated[
        RetroParticipants, typer.Option("--participants", help="Who is invited.")
    ] = RetroParticipants.ALL,
) -> None:
    """Open a retro; participants get a DM with a Share feedback button (now, when Slack is configured)."""
    from bot.services.retros import open_retro
    from storage.models import RetroAudience

    try:
        closes_on = dt.date.fromisoformat(closes)
    except ValueError:
        raise UserError(f"--closes {closes!r} is not a date like 2026-12-18") from None
    settings = load_settings()
    bot = build_bot(settings, ready=True)
    now = dt.datetime.now(dt.UTC)
    try:
        with bot.runtime.session_factory() as session:
            retro, people = open_retro(
                session,
                name=name,
                closes_on=closes_on,
                audience=RetroAudience(participants.value),
                now=now,
                actor=actor(),
            )
            typer.echo(
                f"retro {retro.name!r} open until {retro.closes_at:%Y-%m-%d %H:%M} UTC for {len(people)} participants"
            )
            if settings.slack_configured:
                typer.echo(f"invitations: {bot.run_job('retro_reminders', now=now)}")
            else:
                typer.echo(
                    "invitations go out with the scheduler's next retro_reminders run (SLACK_BOT_TOKEN is not set here)"
                )
    finally:
        bot.close()
