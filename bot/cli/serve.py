"""`ccbot serve` and `ccbot scheduler`: the long-running processes of a deployment."""

from __future__ import annotations

import errno
import logging
import os
import socket as sock
from typing import Annotated

import typer

from bot.assembly import build_bot
from bot.cli.base import friendly_errors
from bot.logs import configure_logging
from bot.services.errors import UserError
from bot.settings import ConfigError, Settings, load_settings

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
    if socket and workers > 1:
        raise UserError(
            "--workers serves Slack's HTTP requests; Socket Mode keeps one connection: drop one of them"
        )
    settings = load_settings()
    settings.require("slack_bot_token", *(["slack_app_token"] if socket else ["slack_signing_secret"]))
    port = settings.port if port is None else port
    # The port first: a second `ccbot serve` stops here, before it logs, checks or schedules anything.
    listener = bind_port(host, port)
    try:
        _serve(
            settings,
            listener,
            host=host,
            port=port,
            socket=socket,
            no_scheduler=no_scheduler,
            workers=workers,
        )
    finally:
        listener.close()


def bind_port(host: str, port: int) -> sock.socket:
    """Return a socket bound to `host`:`port` (as uvicorn binds it); UserError in one line when it cannot be."""
    family = sock.AF_INET6 if ":" in host else sock.AF_INET
    listener = sock.socket(family, sock.SOCK_STREAM)
    listener.setsockopt(sock.SOL_SOCKET, sock.SO_REUSEADDR, 1)
    try:
        listener.bind((host.strip("[]"), port))
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise UserError(
                f"port {port} on {host} is in use (another ccbot serve?): stop it, or choose another port "
                "with --port or CCBOT_PORT"
            ) from None
        if exc.errno == errno.EACCES:
            raise UserError(f"port {port} on {host} needs privileges: use a port above 1023") from None
        raise UserError(
            f"cannot listen on port {port} of {host} ({exc.strerror or exc}): check --host"
        ) from None
    except (OverflowError, sock.gaierror) as exc:
        listener.close()
        raise UserError(f"cannot listen on port {port} of {host} ({exc}): check --host and --port") from None
    listener.set_inheritable(True)
    return listener


def _serve(
    settings: Settings,
    listener: sock.socket,
    *,
    host: str,
    port: int,
    socket: bool,
    no_scheduler: bool,
    workers: int,
) -> None:
    import uvicorn
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from bot.doctor import startup_warnings, verify_slack

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
            # them (and runs the scheduler), so every job runs once however many workers serve. uvicorn binds
            # the port itself here: it was free a moment ago, and is released just before.
            listener.close()
            uvicorn.run(
                "bot.assembly:web_app",
                factory=True,
                workers=workers,
                host=host,
                port=port,
                log_level="info",
                access_log=False,
                log_config=None,
            )
        else:
            # The socket bound at the start is the one served: no other process can take the port between.
            config = uvicorn.Config(bot.asgi(), log_level="info", access_log=False, log_config=None)
            server = uvicorn.Server(config)
            shown = f"[{host.strip('[]')}]" if ":" in host else host
            # uvicorn says where it listens only for sockets it binds itself: said here, in its words.
            logging.getLogger("uvicorn.error").info(
                "Uvicorn running on http://%s:%d (Press CTRL+C to quit)", shown, listener.getsockname()[1]
            )
            server.run(sockets=[listener])
            if not server.started:
                raise typer.Exit(3)
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
