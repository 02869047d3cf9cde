"""The one place the bot is put together: settings, database, Slack client, Bolt app, scheduler and web app.

Every `ccbot` command, the doctor, the console, the tests and the benchmarks open the database and
build Slack clients here, so what runs in each is the same bot: the engine's options (kept secret
parameters, pools, SQLite's pragmas) and the client's retries are set in one place.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING

from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.runtime import Clock, JobContext, Runtime, utc_now
from bot.services.github.api import GitHubApi, GitHubConnect
from bot.services.outbox import Budget
from bot.services.responsiveness import business_duration
from bot.settings import SUPPORTED_DATABASES, ConfigError, Settings, database_url_problem
from bot.slack import InstrumentedWebClient, SlackDirectory, SlackMessenger
from bot.types.policy import (
    Channels,
    EscalationPolicy,
    GitHubConfig,
    LifecyclePolicy,
    NominationRules,
    Policy,
    SlaPolicy,
    WorkingHours,
)
from storage.db import check_ready, make_engine, make_session_factory
from storage.models import RenewalAudience

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler
    from slack_bolt import App
    from starlette.applications import Starlette

LISTENER_THREADS = 64


@dataclass
class Database:
    """One opened database: its engine and the factory of its sessions (closed with `close`, or as a context)."""

    engine: Engine
    session_factory: sessionmaker[Session]

    def session(self) -> Session:
        """Return a new session (objects stay readable after commit)."""
        return self.session_factory()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_database(url: str | SecretStr, *, ready: bool = False) -> Database:
    """Return the database at `url` (CCBOT_DATABASE_URL); with `ready`, DatabaseNotReady unless it answers at
    the code's newest migration.

    Its engine's options (errors without parameters, pools, SQLite's pragmas) are storage.db.make_engine's.
    A URL ccbot cannot open (an unknown scheme, a driver not installed) is a ConfigError naming its scheme only.
    """
    text = url.get_secret_value() if isinstance(url, SecretStr) else url
    problem = database_url_problem(text)
    if problem:
        raise ConfigError(f"database URL: {problem}")
    try:
        engine = make_engine(text)
    except (ImportError, ArgumentError) as exc:
        # The scheme is one ccbot knows, yet its driver is missing or the rest does not parse.
        scheme = text.partition("://")[0]
        detail = f"{exc.name} is not installed" if isinstance(exc, ImportError) and exc.name else "malformed"
        raise ConfigError(
            f"database URL: cannot open a {scheme}:// database ({detail}): {SUPPORTED_DATABASES}"
        ) from None
    if ready:
        try:
            check_ready(engine)
        except BaseException:
            engine.dispose()
            raise
    return Database(engine=engine, session_factory=make_session_factory(engine))


def retry_handlers(*, rate_limits: bool = True) -> list[RetryHandler]:
    """Return the retry policy the bot's Slack clients carry: 429s (unless `rate_limits` is False: the outbox's
    client leaves them to the shared budget), 5xx and dropped connections."""
    handlers: list[RetryHandler] = [RateLimitErrorRetryHandler(max_retry_count=5)] if rate_limits else []
    return [
        *handlers,
        ServerErrorRetryHandler(max_retry_count=3),
        ConnectionErrorRetryHandler(max_retry_count=3),
    ]


def slack_client(settings: Settings, *, timeout: int = 10, rate_limits: bool = True) -> WebClient:
    """Return the bot's WebClient: the bot token, pointed at SLACK_API_URL, with retries and metrics
    (`rate_limits=False`: a 429 reaches the caller, for the outbox to keep in the shared budget)."""
    return InstrumentedWebClient(
        token=settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=retry_handlers(rate_limits=rate_limits),
    )


def _quiet_logger() -> logging.Logger:
    # The doctor reports a failed call itself, in one line; slack_sdk's own error line would repeat it.
    quiet = logging.getLogger("ccbot.doctor.slack_sdk")
    quiet.propagate = False
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())
    return quiet


def probe_client(settings: Settings, *, timeout: int = 10) -> WebClient:
    """Return a client for one-off checks: rate limits are waited out, a dead connection fails at once."""
    return WebClient(
        token=settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
        logger=_quiet_logger(),
    )


def build_policy(settings: Settings) -> Policy:
    """Return the program's allowances from the settings."""
    start, end = settings.working_hours
    hours = WorkingHours(start=start, end=end, weekdays=settings.working_days)
    return Policy(
        hours=hours,
        sla=SlaPolicy(
            normal=settings.sla_normal,
            urgent=settings.sla_urgent,
            hours=hours,
            daily_nudge_cap=settings.nudge_daily_cap,
        ),
        escalation=EscalationPolicy(
            ack_normal=settings.escalation_ack_normal,
            ack_urgent=settings.escalation_ack_urgent,
            renotify_limit=settings.escalation_renotify_limit,
            resolve_after=dt.timedelta(days=settings.escalation_resolve_days),
            hours=hours,
        ),
        nomination=NominationRules(
            days=settings.nomination_days,
            min_yes=settings.nomination_min_yes,
            expansion_days=settings.expansion_days,
        ),
        expiry_reminder_days=tuple(settings.expiry_reminder_days),
        github=GitHubConfig(
            review_label=settings.review_label,
            web_url=settings.github_web_url,
            access_config=settings.access_config,
            auto_apply=settings.access_auto_apply,
            max_removals=settings.access_max_removals,
            max_additions=settings.access_max_additions,
            notice_days=settings.access_notice_days,
            owners=tuple(settings.github_owners),
            cc_label=settings.cc_label,
            publish_target=settings.publish_target,
            publish_about=settings.publish_about,
        ),
        lifecycle=build_lifecycle_policy(settings),
        response_target=business_duration(settings.response_target, hours),
    )


def build_lifecycle_policy(settings: Settings) -> LifecyclePolicy:
    """Return the yearly cycle's allowances from the settings."""
    opens = [
        (RenewalAudience.INDIVIDUALS, settings.renewal_individuals),
        (RenewalAudience.ORGANIZATIONS, settings.renewal_organizations),
    ]
    return LifecyclePolicy(
        inactive_days=settings.inactive_days,
        renewal_days=settings.renewal_days,
        renewal_opens=tuple((audience, *when) for audience, when in opens if when is not None),
    )


def build_github(settings: Settings) -> GitHubConnect | None:
    """Return what opens a GitHub client for these settings, or None when no token nor GitHub App is set."""
    if not settings.github_configured:
        return None

    def connect() -> AbstractContextManager[GitHubApi]:
        # githubkit takes a third of a second to import: only processes that call GitHub pay for it.
        from bot.github import make_github

        return make_github(settings)

    return connect


def build_channels(settings: Settings) -> Channels:
    """Return the channels the bot posts in and the bootstrap admins, from the settings."""
    return Channels(
        coordination=settings.coordination_channel,
        management=settings.management_channel,
        digest=settings.digest_channel,
        admins=tuple(settings.admins),
    )


@dataclass
class Bot:
    """One assembled bot: its runtime and Slack client, and (built on first use) its Bolt app."""

    runtime: Runtime
    client: WebClient
    socket_mode: bool = False
    process_before_response: bool = False
    verify_token: bool = True

    @property
    def settings(self) -> Settings:
        """The settings it was built from."""
        return self.runtime.settings

    @property
    def signing_secret(self) -> str | None:
        """SLACK_SIGNING_SECRET, unmasked for Bolt and the server's own check (None when unset)."""
        secret = self.settings.slack_signing_secret
        return secret.get_secret_value() if secret else None

    @cached_property
    def app(self) -> App:
        """The Bolt app with the middleware, the error handler and every feature's listeners."""
        # Bolt and the listeners are imported here: the commands that only open the database do without them.
        from bot import errors, middleware
        from bot.handlers import HANDLER_MODULES
        from bot.logs import ContextThreadPoolExecutor

        settings = self.settings
        if not self.socket_mode:
            settings.require("slack_signing_secret")
        app = middleware.TaggedApp(
            client=self.client,
            # Socket Mode payloads are not signed; Bolt skips verification for them.
            signing_secret=self.signing_secret or secrets.token_hex(16),
            token_verification_enabled=self.verify_token,
            process_before_response=self.process_before_response,
            # Slow Slack calls after the ack must not queue the next requests' listeners.
            listener_executor=ContextThreadPoolExecutor(
                max_workers=LISTENER_THREADS, thread_name_prefix="listener"
            ),
            logger=logging.getLogger("ccbot.bolt"),
        )
        middleware.install(app, self.runtime)
        app.error(errors.handle_error)
        for module in HANDLER_MODULES:
            module.register(app)
        return app

    def asgi(self) -> Starlette:
        """Return the web app: Slack at /slack/events (not in Socket Mode), the webhook, health and metrics."""
        from bot.github_hook import GitHubHook
        from bot.hooks import DeploymentHook
        from bot.server import build_asgi

        return build_asgi(
            None if self.socket_mode else self.app,
            self.runtime.engine,
            hook=DeploymentHook(self.runtime),
            github_hook=GitHubHook(self.runtime),
            signing_secret=self.signing_secret,
            hours=self.runtime.policy.hours,
        )

    def scheduler(self) -> BackgroundScheduler:
        """Return a scheduler with every registered job (not started)."""
        from bot.scheduler import build_scheduler

        return build_scheduler(self.runtime)

    def job_context(self, session: object, *, now: dt.datetime | None = None) -> JobContext:
        """Return a job's context on `session` as of `now` (default: the bot's clock)."""
        return self.runtime.job_context(session, now=now)  # type: ignore[arg-type]

    def run_job(self, name: str, *, now: dt.datetime | None = None) -> object:
        """Run one job now (or as of `now`) in its own session; KeyError when there is no such job."""
        from bot.jobs.registry import run_job

        with self.runtime.session_factory() as session:
            return run_job(name, self.runtime.job_context(session, now=now))

    def close(self) -> None:
        """Release the database connections."""
        self.runtime.engine.dispose()


def build_bot(
    settings: Settings,
    *,
    client: WebClient | None = None,
    clock: Clock = utc_now,
    socket_mode: bool = False,
    process_before_response: bool = False,
    verify_token: bool = True,
    ready: bool = False,
    budget: Budget | None = None,
) -> Bot:
    """Return the bot for these settings (the Bolt app itself is built on first use).

    With `ready`, DatabaseNotReady unless the database answers at the code's newest migration. `budget` paces
    the outbox within Slack's rate limits (default: Slack's own clock; a benchmark or test may run it faster).
    """
    database = open_database(settings.database_url, ready=ready)
    messenger_client = client or slack_client(settings, rate_limits=False)
    client = client or slack_client(settings)
    runtime = Runtime(
        settings=settings,
        engine=database.engine,
        session_factory=database.session_factory,
        policy=build_policy(settings),
        channels=build_channels(settings),
        messenger=SlackMessenger(messenger_client),
        budget=budget or Budget(),
        clock=clock,
        directory=SlackDirectory(client),
        github=build_github(settings),
    )
    return Bot(
        runtime=runtime,
        client=client,
        socket_mode=socket_mode,
        process_before_response=process_before_response,
        verify_token=verify_token,
    )


def web_app() -> Starlette:
    """Return the web app of one `ccbot serve --workers N` process, built from the environment's settings."""
    from bot.logs import configure_logging
    from bot.settings import load_settings

    settings = load_settings()
    configure_logging(settings)
    return build_bot(settings).asgi()
