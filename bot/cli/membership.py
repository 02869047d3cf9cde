"""`ccbot alumni`: move people to alumni, and bring alumni back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

import typer

from bot.cli.base import actor, bot_session, deliver, field_errors, friendly_errors
from bot.services.errors import FieldErrors
from bot.types.decided import Decided
from bot.types.mrkdwn import Mrkdwn

app = typer.Typer(help="Move people to alumni, and bring alumni back.", no_args_is_help=True)


def _membership_change(change: Callable[..., Decided[Mrkdwn]], handle: str, reason: str) -> None:
    now = dt.datetime.now(dt.UTC)
    with bot_session() as (bot, session):
        try:
            decided = change(
                session, actor(), github=handle, reason=reason, now=now, channels=bot.runtime.channels
            )
        except FieldErrors as exc:
            raise field_errors(exc) from None
        typer.echo(decided.confirmation.replace("*", "").replace("`", ""))
        deliver(bot, session, decided.keys, now)


@app.command("reinstate")
@friendly_errors
def alumni_reinstate(
    handle: Annotated[str, typer.Argument(metavar="HANDLE", help="The alumnus' GitHub handle.")],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why, for the audit log.")] = "",
) -> None:
    """Bring an alumnus back: their standing is recomputed from their agreements, their history kept."""
    from bot.services.membership import reinstate

    _membership_change(reinstate, handle, reason)


@app.command("move")
@friendly_errors
def alumni_move(
    handle: Annotated[str, typer.Argument(metavar="HANDLE", help="GitHub handle.")],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why: for the audit log and for them.")
    ],
) -> None:
    """Move someone to alumni: they keep their roles and history, and lose every power."""
    from bot.services.membership import retire

    _membership_change(retire, handle, reason)
