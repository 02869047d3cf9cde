"""`ccbot activity`: committers' recorded activity, and who is inactive."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from bot.cli.base import bot_session, friendly_errors

app = typer.Typer(help="Committers' recorded activity, and who is inactive.", no_args_is_help=True)


@app.command("inactive")
@friendly_errors
def activity_inactive() -> None:
    """List the committers inactive for longer than CCBOT_INACTIVE_DAYS (those kept by an admin left out)."""
    from bot.services.membership import list_inactive, tracked_since

    now = dt.datetime.now(dt.UTC)
    with bot_session() as (bot, session):
        since = tracked_since(session)
        if since is None:
            typer.echo("activity is not tracked yet: the first inactivity_review run starts the clock")
            return
        found = list_inactive(session, now=now, policy=bot.runtime.policy.lifecycle)
        for inactive in found:
            last = f"{inactive.last_active_at:%Y-%m-%d}" if inactive.last_active_at else "none recorded"
            typer.echo(f"{inactive.person.github:<24} last activity {last:<14} counted {inactive.days} days")
        typer.echo(
            f"{len(found)} committer(s) inactive for more than {bot.runtime.policy.lifecycle.inactive_days} days "
            f"(activity tracked since {since:%Y-%m-%d})"
        )


@app.command("show")
@friendly_errors
def activity_show(handle: Annotated[str, typer.Argument(metavar="HANDLE", help="GitHub handle.")]) -> None:
    """Show a person's latest recorded activity."""
    from bot.services.activity import recent_activity

    with bot_session() as (_, session):
        person, entries = recent_activity(session, handle)
        if not entries:
            typer.echo(f"no activity recorded for {person.github}")
        for entry in entries:
            typer.echo(f"{entry.at:%Y-%m-%d %H:%M} {entry.kind:<12} {entry.ref}")
