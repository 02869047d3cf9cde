"""The `ccbot` command line: serve, scheduler, console, db, roster, owners, access, jobs."""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import logging
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot.logs import configure_logging, job_run_context
from bot.services.errors import UserError
from bot.services.github.api import GITHUB_REQUIRED, GitHubConnect
from bot.services.roster import (
    ConfirmationNeeded,
    ImportReport,
    export_agreement_rows,
    export_roster,
    import_roster,
)
from bot.services.roster_formats import RosterError, dump_agreements_csv, dump_ccbot_yaml, read_roster
from bot.settings import ConfigError, Settings, load_settings
from storage.db import (
    DatabaseNotReady,
    check_ready,
    current_revision,
    describe_error,
    head_revision,
    make_engine,
    make_session_factory,
    reachable_revision,
    upgrade,
)

app = typer.Typer(
    help="ccbot runs a Core Committer program in Slack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
roster_app = typer.Typer(help="Import and export the roster.", no_args_is_help=True)
owners_app = typer.Typer(help="Technical owners of repositories.", no_args_is_help=True)
jobs_app = typer.Typer(help="Scheduled jobs: list them, or run one now.", no_args_is_help=True)
areas_app = typer.Typer(help="Repository areas for the scale phase.", no_args_is_help=True)
access_app = typer.Typer(
    help="GitHub team membership that follows the roster's grants and agreements (access.yaml).",
    no_args_is_help=True,
)
retro_app = typer.Typer(
    help="Retrospectives of the program (Liked, Lacked, Learned, Longed for).", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(roster_app, name="roster")
app.add_typer(owners_app, name="owners")
app.add_typer(jobs_app, name="jobs")
app.add_typer(retro_app, name="retro")
app.add_typer(areas_app, name="areas")
app.add_typer(access_app, name="access")

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("ccbot")


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


def _settings(database_url: str | None = None) -> Settings:
    settings = load_settings()
    if database_url:
        settings = load_settings(CCBOT_DATABASE_URL=database_url)
    return settings


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@db_app.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Apply the database migrations up to the newest."""
    settings = _settings()
    engine = make_engine(settings.database_url)
    before = reachable_revision(engine)
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        raise DatabaseNotReady(
            f"the upgrade failed ({describe_error(exc)}); `ccbot db current` shows where the database is"
        ) from None
    after = current_revision(engine)
    typer.echo(f"database at revision {after}" + ("" if before != after else " (already up to date)"))


@db_app.command("current")
@friendly_errors
def db_current() -> None:
    """Show the database's migration revision and the newest the code knows."""
    engine = make_engine(_settings().database_url)
    typer.echo(f"database: {reachable_revision(engine) or 'not migrated'}; code: {head_revision(engine)}")


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


@roster_app.command("import")
@friendly_errors
def roster_import(
    file: Annotated[Path, typer.Argument(help="ccbot YAML, Open edX people.yaml, or the CLA CSV export.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    fmt: Annotated[
        RosterFormat, typer.Option("--format", help="File format (default: detected).")
    ] = RosterFormat.AUTO,
    orgs: Annotated[
        Path | None, typer.Option(help="orgs.yaml for a people.yaml (default: beside it).")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="Read people.yaml history as of YYYY-MM-DD.")] = None,
    prune: Annotated[bool, typer.Option(help="Mark people missing from the file as alumni.")] = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Apply even when it ends or lapses many people or organisations at once."),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every change.")] = False,
) -> None:
    """Import a roster file in one transaction: any error changes nothing."""
    settings = _settings()
    engine = make_engine(settings.database_url)
    check_ready(engine)
    now = dt.datetime.now(dt.UTC)
    try:
        when = dt.date.fromisoformat(as_of) if as_of else now.date()
    except ValueError:
        raise UserError(f"--as-of {as_of!r} is not a date (use YYYY-MM-DD)") from None
    doc = read_roster(file, fmt=fmt.value, orgs=orgs, as_of=when)
    directory = None
    if settings.slack_configured and not dry_run:
        from bot.slack import SlackDirectory, make_client

        directory = SlackDirectory(make_client(settings))
    with make_session_factory(engine)() as session:
        try:
            report = import_roster(
                session,
                doc,
                now=now,
                actor=_actor(),
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


@roster_app.command("export")
@friendly_errors
def roster_export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="yaml (ccbot's own) or csv (CLA export).")] = (
        ExportFormat.YAML
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """Export the roster as ccbot YAML (lossless) or as the CLA CSV."""
    settings = _settings()
    engine = make_engine(settings.database_url)
    check_ready(engine)
    with make_session_factory(engine)() as session:
        if fmt is ExportFormat.YAML:
            text = dump_ccbot_yaml(export_roster(session))
        else:
            text = dump_agreements_csv(export_agreement_rows(session, today=dt.datetime.now(dt.UTC).date()))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


@owners_app.command("sync")
@friendly_errors
def owners_sync(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="A directory holding <org>/<repo>/catalog-info.yaml and CODEOWNERS; with --github, "
            "organisations and org/repo names on GitHub.",
            show_default=False,
        ),
    ],
    github: Annotated[
        bool,
        typer.Option(
            "--github", help="Read from each repository's default branch on GitHub (GITHUB_API_URL)."
        ),
    ] = False,
) -> None:
    """Read repository owners from catalog-info.yaml and CODEOWNERS files (and Backstage groups)."""
    from bot.services.owners import sync_owners, sync_owners_from_github
    from bot.settings import GITHUB_TARGET

    settings = _settings()
    engine = make_engine(settings.database_url)
    check_ready(engine)
    now = dt.datetime.now(dt.UTC)
    if github:
        bad = [target for target in sources if not GITHUB_TARGET.match(target)]
        if bad:
            raise UserError(f"{bad[0]!r} is not an organisation or org/repo (like openedx or openedx/XBlock)")
        with _github(settings)() as client, make_session_factory(engine)() as session:
            report = sync_owners_from_github(session, client, sources, now=now, actor=_actor())
    else:
        if len(sources) != 1:
            raise UserError("give one directory, or --github with organisations and org/repo names")
        with make_session_factory(engine)() as session:
            report = sync_owners(session, Path(sources[0]), now=now, actor=_actor())
    for problem in report.problems:
        typer.echo(f"warning: {problem}", err=True)
    typer.echo(f"synced owners of {len(report.repos)} repositories and {report.groups} groups")


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", help="The mapping of grants to teams (default: CCBOT_ACCESS_CONFIG, else access.yaml)."
    ),
]


def _github(settings: Settings) -> GitHubConnect:
    """Return what opens a GitHub client for these settings; ConfigError when no credentials are set."""
    from bot.assembly import build_github

    connect = build_github(settings)
    if connect is None:
        raise ConfigError(GITHUB_REQUIRED)
    return connect


@access_app.command("plan")
@friendly_errors
def access_plan(
    config: ConfigOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write the plan (each change with its reason and source record, and its digest) to this "
            "file, for `ccbot access apply --plan FILE`.",
        ),
    ] = None,
) -> None:
    """Print, per team, who is to be added, removed or held for notice and why; change nothing on GitHub.

    GitHub account ids first seen and renamed logins are recorded on the roster.
    """
    from bot.assembly import build_bot
    from bot.services.access import load_access_config, plan_access, write_plan
    from bot.services.github.identity import Identities
    from bot.services.outbox import commit
    from bot.views.access import plan_lines

    settings = _settings()
    bot = build_bot(settings)
    runtime = bot.runtime
    mapping = load_access_config(config or Path(runtime.policy.github.access_config))
    connect = _github(settings)
    check_ready(runtime.engine)
    now = dt.datetime.now(dt.UTC)
    try:
        with connect() as client, runtime.session_factory() as session:
            identities = Identities(session, now)
            plan = plan_access(
                session,
                mapping,
                client,
                now=now,
                notice_days=runtime.policy.github.notice_days,
                identities=identities,
            )
            commit(session, identities.messages(runtime.channels), now=now)
    finally:
        bot.close()
    for line in plan_lines(plan):
        typer.echo(line)
    if out is not None:
        digest = write_plan(plan, out)
        typer.echo(
            f"wrote the plan to {out} (digest {digest[:12]}); apply it with `ccbot access apply --plan {out}`"
        )
    typer.echo(f"plan only, nothing changed: {plan.summary}")


def _limit(value: int | None, default: int) -> int:
    return default if value is None else value


@access_app.command("apply")
@friendly_errors
def access_apply(
    config: ConfigOption = None,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="Apply exactly this plan (from `ccbot access plan --out`); refused, with the difference, when "
            "the roster or GitHub has moved since.",
        ),
    ] = None,
    max_additions: Annotated[
        int | None,
        typer.Option(
            "--max-additions",
            min=0,
            help="Refuse when the plan adds more memberships than this (default: CCBOT_ACCESS_MAX_ADDITIONS, else 10).",
        ),
    ] = None,
    max_removals: Annotated[
        int | None,
        typer.Option(
            "--max-removals",
            min=0,
            help="Refuse when the plan removes more memberships than this (default: CCBOT_ACCESS_MAX_REMOVALS, else 5).",
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Without --plan: apply the plan shown without asking (for scripts)."),
    ] = False,
) -> None:
    """Make GitHub team membership match the roster: the reviewed plan (--plan FILE), or the one shown, once confirmed.

    Every write is recorded before it is made; the admins are told in Slack.
    """
    from bot.assembly import build_bot
    from bot.services.access import (
        apply_plan,
        check_unchanged,
        fresh_plan,
        load_access_config,
        read_plan,
    )
    from bot.views.access import plan_lines

    settings = _settings()
    reviewed = read_plan(plan_file) if plan_file is not None else None
    bot = build_bot(settings)
    runtime = bot.runtime
    policy = runtime.policy.github
    mapping = load_access_config(config or Path(policy.access_config))
    connect = _github(settings)
    check_ready(runtime.engine)
    now = dt.datetime.now(dt.UTC)
    try:
        with connect() as client, runtime.session_factory() as session:
            fresh = fresh_plan(
                session,
                client,
                mapping,
                now=now,
                notice_days=policy.notice_days,
                channels=runtime.channels,
                actor=_actor(),
            )
            settled, plan = fresh.settled, fresh.plan
            for item in settled.settled:
                typer.echo(
                    f"an interrupted run's {item.change.op.value} of {item.change.login} in {item.change.team}: "
                    f"{item.outcome}"
                )
            for line in plan_lines(plan):
                typer.echo(line)
            if reviewed is not None:
                check_unchanged(reviewed, plan)
            elif plan.changes and not yes:
                if not sys.stdin.isatty():
                    raise UserError(
                        "not applied: review the plan first (`ccbot access plan --out plan.json`, then "
                        "`ccbot access apply --plan plan.json`), or pass --yes"
                    )
                if not typer.confirm(f"Apply these {len(plan.changes)} changes to GitHub?", default=False):
                    raise UserError("not applied: nothing was changed")
            applied = apply_plan(
                session,
                plan,
                client,
                max_additions=_limit(max_additions, policy.max_additions),
                max_removals=_limit(max_removals, policy.max_removals),
                now=now,
                actor=_actor(),
                channels=runtime.channels,
                extra=fresh.identity,
            )
            # Without a Slack token the admins' report stays queued for the scheduler's outbox_delivery.
            if settings.slack_configured:
                runtime.deliver(session, settled.keys + applied.keys, now=now)
    finally:
        bot.close()
    report = applied.report
    for change, error in report.failed:
        typer.echo(f"failed: {change.login} in {change.team}: {error}", err=True)
    typer.echo(f"applied: {report.summary}")
    if report.failed:
        raise typer.Exit(1)


@jobs_app.command("list")
@friendly_errors
def jobs_list() -> None:
    """Show each job, when it runs and its next run."""
    from bot.jobs.registry import JOBS

    settings = _settings()
    now = dt.datetime.now(dt.UTC)
    for spec in JOBS.values():
        upcoming = spec.next_run(now, settings)
        when = f"{upcoming:%Y-%m-%d %H:%M} UTC" if upcoming else "never"
        typer.echo(f"{spec.name:<28} {spec.describe(settings):<22} next {when}")
        typer.echo(f"{'':<28} {spec.description}")


@jobs_app.command("run")
@friendly_errors
def jobs_run(
    name: Annotated[str, typer.Argument(help="The job's name, as `ccbot jobs list` shows it.")],
    now: Annotated[
        str | None, typer.Option("--now", help="Run as of this ISO-8601 instant (default: the current time).")
    ] = None,
) -> None:
    """Run one job now, as the scheduler would."""
    from bot.assembly import build_bot
    from bot.jobs.registry import JOBS

    if name not in JOBS:
        raise UserError(f"no job called {name!r}; `ccbot jobs list` shows them: {', '.join(JOBS)}")
    when = _instant(now) if now else dt.datetime.now(dt.UTC)
    settings = _settings()
    settings.require("slack_bot_token")
    configure_logging(settings)
    bot = build_bot(settings)
    check_ready(bot.runtime.engine)
    with job_run_context(name):
        result = bot.run_job(name, now=when)
    typer.echo(f"{name} ran as of {when.isoformat()}: {result}")


@areas_app.command("import")
@friendly_errors
def areas_import(
    file: Annotated[Path, typer.Argument(help="YAML: areas: [{name, channel, manager, repos, responders}]")],
) -> None:
    """Replace the repository areas (scale phase routing) from a file, in one transaction."""
    from bot.services.areas import import_areas

    engine = make_engine(_settings().database_url)
    check_ready(engine)
    with make_session_factory(engine)() as session:
        names = import_areas(session, file, now=dt.datetime.now(dt.UTC), actor=_actor())
    typer.echo(f"imported {len(names)} areas: {', '.join(names)}")


class RetroParticipants(StrEnum):
    """Who a retro invites."""

    ALL = "all"
    CCS = "ccs"
    CHAMPIONS = "champions"


@retro_app.command("open")
@friendly_errors
def retro_open(
    name: Annotated[str, typer.Argument(help="A short name, like pilot-2026.")],
    closes: Annotated[
        str, typer.Option("--closes", help="Last day for feedback, YYYY-MM-DD (closes at its end, UTC).")
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
    settings = _settings()
    engine = make_engine(settings.database_url)
    check_ready(engine)
    now = dt.datetime.now(dt.UTC)
    with make_session_factory(engine)() as session:
        retro, people = open_retro(
            session,
            name=name,
            closes_on=closes_on,
            audience=RetroAudience(participants.value),
            now=now,
            actor=_actor(),
        )
        typer.echo(
            f"retro {retro.name!r} open until {retro.closes_at:%Y-%m-%d %H:%M} UTC for {len(people)} participants"
        )
        if settings.slack_configured:
            from bot.assembly import build_bot

            typer.echo(f"invitations: {build_bot(settings).run_job('retro_reminders', now=now)}")
        else:
            typer.echo(
                "invitations go out with the scheduler's next retro_reminders run (SLACK_BOT_TOKEN is not set here)"
            )


def _instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--now {text!r} is not an ISO-8601 instant like 2026-11-30T09:00:00+00:00") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@app.command()
@friendly_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",  # noqa: S104
    port: Annotated[int | None, typer.Option(help="Port (default: CCBOT_PORT, else 3000).")] = None,
    socket: Annotated[bool, typer.Option("--socket", help="Use Socket Mode (SLACK_APP_TOKEN).")] = False,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Do not run the scheduled jobs in this process.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
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

    from bot.assembly import build_bot
    from bot.doctor import startup_warnings, verify_slack

    if socket and workers > 1:
        raise UserError(
            "--workers serves Slack's HTTP requests; Socket Mode keeps one connection: drop one of them"
        )
    settings = _settings()
    settings.require("slack_bot_token", *(["slack_app_token"] if socket else ["slack_signing_secret"]))
    configure_logging(settings, bind_host=host)
    bot = build_bot(settings, socket_mode=socket)
    check_ready(bot.runtime.engine)
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


@app.command()
@friendly_errors
def scheduler() -> None:
    """Run only the scheduled jobs (for a deployment that serves Slack from other processes)."""
    import signal
    import threading

    from bot.assembly import build_bot
    from bot.doctor import startup_warnings, verify_slack

    settings = _settings()
    settings.require("slack_bot_token")
    configure_logging(settings)
    bot = build_bot(settings)
    check_ready(bot.runtime.engine)
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


@app.command()
@friendly_errors
def console(
    demo: Annotated[
        bool, typer.Option("--demo", help="Start from a fresh database with the pilot roster.")
    ] = False,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (default: CCBOT_DATABASE_URL).")
    ] = None,
) -> None:
    """Try the bot in the terminal: the real app, with Slack replaced by a local stand-in."""
    from bot.console.shell import Console, find_example_roster

    roster = None
    url = db or _settings().database_url.get_secret_value()
    if demo:
        roster = find_example_roster()
        if roster is None:
            raise UserError(
                "examples/pilot-roster.yaml not found: run `ccbot console --demo` from the ccbot checkout"
            )
        if db is None:
            fresh = Path("ccbot-demo.db")
            for path in (fresh, Path("ccbot-demo.db-wal"), Path("ccbot-demo.db-shm")):
                path.unlink(missing_ok=True)
            url = f"sqlite:///{fresh}"
    # Only errors reach the console's screen, each on one line: the bot's replies are the output.
    configure_logging(_settings(), level=logging.ERROR, tracebacks=False)
    Console(database_url=url, stdin=sys.stdin, stdout=sys.stdout, demo_roster=roster).run()


@app.command()
def doctor(
    manifest: Annotated[
        Path | None,
        typer.Option(help="The app manifest whose scopes the token must hold (default: ./app_manifest.yml)."),
    ] = None,
) -> None:
    """Check this deployment: Slack token, scopes and channels, secrets, database, GitHub; exit 1 on a problem."""
    from bot.doctor import Status, diagnose, problem

    try:
        settings = load_settings()
    except ConfigError as exc:
        typer.echo(problem(f"settings: {exc}", "fix it in the environment or .env").line())
        raise typer.Exit(1) from None
    results = diagnose(settings, manifest=manifest)
    for result in results:
        typer.echo(result.line())
    problems = sum(result.status is Status.PROBLEM for result in results)
    if problems:
        typer.echo(f"{problems} problem(s) to fix before this deployment can be relied on")
        raise typer.Exit(1)
    typer.echo("no problems found")


def main() -> None:
    """Entry point of the `ccbot` console script."""
    app()


# The yearly cycle's commands (renewal, agreements, alumni, activity) register themselves on `app`.
from bot import cli_lifecycle  # noqa: E402, F401
