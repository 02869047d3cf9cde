"""`ccbot access`: plan GitHub team membership from the roster's grants and agreements, and apply the plan."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.assembly import build_bot, build_policy
from bot.cli.base import actor, friendly_errors, github_connect
from bot.services.errors import UserError
from bot.settings import load_settings

app = typer.Typer(
    help="GitHub team membership that follows the roster's grants and agreements (access.yaml).",
    no_args_is_help=True,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="The mapping of grants to teams (default: CCBOT_ACCESS_CONFIG, else access.yaml).",
    ),
]


@app.command("plan")
@friendly_errors
def access_plan(
    config: ConfigOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FILE",
            help="Also write the plan (each change with its reason and source record, and its digest) to this "
            "file, for `ccbot access apply --plan FILE`.",
        ),
    ] = None,
) -> None:
    """Print, per team, who is to be added, removed or held for notice and why; change nothing on GitHub.

    GitHub account ids first seen and renamed logins are recorded on the roster.
    """
    from bot.services.access import load_access_config, plan_access, write_plan
    from bot.services.github.identity import Identities
    from bot.services.outbox import commit
    from bot.views.access import plan_lines

    settings = load_settings()
    policy = build_policy(settings).github
    mapping = load_access_config(config or Path(policy.access_config))
    connect = github_connect(settings)
    bot = build_bot(settings, ready=True)
    runtime = bot.runtime
    now = dt.datetime.now(dt.UTC)
    try:
        with connect() as client, runtime.session_factory() as session:
            identities = Identities(session, now)
            plan = plan_access(
                session,
                mapping,
                client,
                now=now,
                notice_days=policy.notice_days,
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


@app.command("apply")
@friendly_errors
def access_apply(
    config: ConfigOption = None,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            metavar="FILE",
            help="Apply exactly this plan (from `ccbot access plan --out`); refused, with the difference, when "
            "the roster or GitHub has moved since.",
        ),
    ] = None,
    max_additions: Annotated[
        int | None,
        typer.Option(
            "--max-additions",
            metavar="N",
            min=0,
            help="Refuse when the plan adds more memberships than this (default: CCBOT_ACCESS_MAX_ADDITIONS, else 10).",
        ),
    ] = None,
    max_removals: Annotated[
        int | None,
        typer.Option(
            "--max-removals",
            metavar="N",
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
    from bot.services.access import (
        apply_plan,
        check_unchanged,
        fresh_plan,
        load_access_config,
        read_plan,
    )
    from bot.views.access import plan_lines

    settings = load_settings()
    reviewed = read_plan(plan_file) if plan_file is not None else None
    policy = build_policy(settings).github
    mapping = load_access_config(config or Path(policy.access_config))
    connect = github_connect(settings)
    bot = build_bot(settings, ready=True)
    runtime = bot.runtime
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
                actor=actor(),
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
                actor=actor(),
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
