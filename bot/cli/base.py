"""What every `ccbot` command shares: one-line errors, who acts, dates and instants typed, the bot's session."""

from __future__ import annotations

import datetime as dt
import functools
import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from sqlmodel import Session

from bot.assembly import Bot, build_bot, build_github
from bot.services.errors import FieldErrors, UserError
from bot.services.github.api import GITHUB_REQUIRED, GitHubConnect
from bot.services.roster import RosterError
from bot.settings import ConfigError, Settings, load_settings
from storage.db import DatabaseNotReady

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn configuration, database and input errors into one line on stderr and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, DatabaseNotReady, UserError) as exc:
            typer.echo(f"ccbot: {exc}", err=True)
            raise typer.Exit(2) from None
        except RosterError as exc:
            typer.echo("ccbot: the roster was not imported; nothing changed:", err=True)
            for problem in exc.problems:
                typer.echo(f"  {problem}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def actor() -> str:
    """Return who acts, for the audit log: `cli:` and the login of whoever runs the command."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def parse_date(text: str | None, option: str) -> dt.date | None:
    """Return the date an option gives as YYYY-MM-DD (None when not given); UserError naming the option."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} {text!r} is not a date like 2027-01-31") from None


def parse_instant(text: str) -> dt.datetime:
    """Return the instant `--now` gives (UTC unless it says otherwise); UserError when it is not ISO-8601."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--now {text!r} is not an ISO-8601 instant like 2026-11-30T09:00:00+00:00") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def field_errors(exc: FieldErrors) -> UserError:
    """Return a service's field errors as the one line the command line prints."""
    return UserError("; ".join(exc.errors.values()))


def github_connect(settings: Settings) -> GitHubConnect:
    """Return what opens a GitHub client for these settings; ConfigError when no credentials are set."""
    connect = build_github(settings)
    if connect is None:
        raise ConfigError(GITHUB_REQUIRED)
    return connect


@contextmanager
def bot_session() -> Iterator[tuple[Bot, Session]]:
    """Yield the bot built from the environment's settings (its database migrated) and a session on it."""
    bot = build_bot(load_settings(), ready=True)
    try:
        with bot.runtime.session_factory() as session:
            yield bot, session
    finally:
        bot.close()


def deliver(bot: Bot, session: Session, keys: tuple[str, ...], now: dt.datetime) -> None:
    """Send the decided messages now when Slack is configured; else say the scheduler will."""
    if not keys:
        return
    if bot.settings.slack_configured:
        typer.echo(f"messages: {bot.runtime.deliver(session, keys, now=now)}")
    else:
        typer.echo(
            f"{len(keys)} message(s) queued: the scheduler's outbox_delivery sends them (SLACK_BOT_TOKEN is not set here)"
        )
