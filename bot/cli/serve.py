"""`ccbot serve` and `ccbot scheduler`: the long-running processes of a deployment."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from bot.assembly import build_bot
from bot.cli.base import friendly_errors
from bot.logs import configure_logging
from bot.services.errors import UserError
from bot.settings import ConfigError, load_settings

logger = logging.getLogger("ccbot")


@friendly_errors
def serve(
    host: Annotated[str, typer.Option(metavar="HOST", help="Interface to listen on.")] = "0.0.0.0",  # noqa: S104
    port: Annotated[
        int | None, typer.Option(metavar="PORT", help="Port (default: CCBOT_PORT, else 3000).")
    ] = None,
    socket: Annotated[bool, typer.Option("--socket", help="Use Socket Mode (SLACK_APP_TOKEN).")] = False,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Do not run the scheduled jobs in this process.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            metavar="N",
            min=1,
            max=64,
            help="Server processes behind the one port (the scheduler runs once, in the parent).",
        ),
    ] = 1,
) -> None:
    """Run the bot: Slack over HTTP at /slack/events (or Socket Mode), the webhook, health, and the scheduler."""
    import uvicorn
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from bot.doctor import startup_warnings, verify_slack

    if socket and workers > 1:
        raise UserError(
            "--workers serves Slack's HTTP requests; Socket Mode keeps one connection: drop one of them"
        )
    settings = load_settings()
    settings.require("slack_bot_token", *(["slack_app_token"] if socket else ["slack_signing_secret"]))
    configure_logging(settings, bind_host=host)
    bot = build_bot(settings, socket_mode=socket, ready=True)
    verify_slack(settings)
    for warning in startup_warnings(settings, hooks=not socket):
        logger.warning(warning)
    try:
        bolt_app = bot.app
    except BoltError as exc:
        raise ConfigError(f"SLACK_BOT_TOKEN was not accepted by Slack: {exc}") from None
    if socket:
        try:
            assert settings.slack_app_token is not None  # required above
            SocketModeHandler(bolt_app, settings.slack_app_token.get_secret_value()).connect()
        except SlackApiError as exc:
            raise ConfigError(
                f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}): check the app-level token "
                "(xapp-..., with connections:write) on the app's Basic Information page"
            ) from None
    scheduler = None
    if not no_scheduler:
        scheduler = bot.scheduler()
        scheduler.start()
        logger.info("scheduler running %d jobs in process %d", len(scheduler.get_jobs()), os.getpid())
    try:
        # log_config=None: uvicorn's records go through our handler (text or JSON), not its own.
        if workers > 1:
            # Each worker process builds the same bot from the same settings; this process only supervises
            # them (and runs the scheduler), so every job runs once however many workers serve.
            uvicorn.run(
                "bot.assembly:web_app",
                factory=True,
                workers=workers,
                host=host,
                port=port or settings.port,
                log_level="info",
                access_log=False,
                log_config=None,
            )
        else:
            uvicorn.run(
                bot.asgi(),
                host=host,
                port=port or settings.port,
                log_level="info",
                access_log=False,
                log_config=None,
            )
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@friendly_errors
def scheduler() -> None:
    """Run only the scheduled jobs (for a deployment that serves Slack from other processes)."""
    import signal
    import threading

    from bot.doctor import startup_warnings, verify_slack

    settings = load_settings()
    settings.require("slack_bot_token")
    configure_logging(settings)
    bot = build_bot(settings, ready=True)
    verify_slack(settings)
    for warning in startup_warnings(settings, hooks=False):
        logger.warning(warning)
    jobs = bot.scheduler()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    jobs.start()
    typer.echo(f"scheduler running {len(jobs.get_jobs())} jobs; Ctrl-C stops it", err=True)
    stop.wait()
    jobs.shutdown(wait=True)
