"""Wires the Bolt app: settings, client, middleware, error handler and every handler module."""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot import errors, middleware
from bot.handlers import actions, commands, events, github, home, shortcuts, views
from bot.runtime import Clock, Runtime, utc_now
from bot.settings import Settings
from bot.slack import SlackDirectory
from storage.db import make_engine, make_session_factory

HANDLER_MODULES = (commands, shortcuts, views, actions, events, home, github)
LISTENER_THREADS = 64


def build_runtime(settings: Settings, client: WebClient, *, clock: Clock = utc_now) -> Runtime:
    """Return the process's runtime: database engine and sessions, clock, Slack directory."""
    engine = make_engine(settings.database_url)
    return Runtime(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        clock=clock,
        directory=SlackDirectory(client),
    )


def build_app(
    runtime: Runtime,
    client: WebClient,
    *,
    socket_mode: bool = False,
    verify_token: bool = True,
    process_before_response: bool = False,
) -> App:
    """Return the Bolt app with every surface registered (`process_before_response` only for the console)."""
    settings = runtime.settings
    if not socket_mode:
        settings.require("slack_signing_secret")
    app = App(
        client=client,
        # Socket Mode payloads are not signed; Bolt skips verification for them.
        signing_secret=settings.slack_signing_secret or secrets.token_hex(16),
        token_verification_enabled=verify_token,
        process_before_response=process_before_response,
        # Slow Slack calls after the ack must not queue the next requests' listeners.
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener"),
        logger=logging.getLogger("ccbot.bolt"),
    )
    middleware.install(app, runtime)
    app.error(errors.handle_error)
    for module in HANDLER_MODULES:
        module.register(app)
    return app
