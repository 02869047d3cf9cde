"""`ccbot publish`: the program's public page, written to a folder or brought to GitHub by pull request."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from bot.assembly import build_policy, open_database
from bot.cli.base import friendly_errors, github_connect, parse_instant
from bot.services.errors import UserError
from bot.settings import load_settings


@friendly_errors
def publish(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Write index.md, index.html and chart.png into this folder.",
            show_default=False,
        ),
    ] = None,
    github: Annotated[
        str | None,
        typer.Option(
            "--github",
            metavar="ORG/REPO:PATH",
            help="Open or update a pull request bringing the page to ORG/REPO:PATH (no pull request when "
            "nothing changed).",
            show_default=False,
        ),
    ] = None,
    about: Annotated[
        Path | None,
        typer.Option(
            "--about",
            metavar="FILE",
            help="The admins' Markdown on how to become a core contributor (default: CCBOT_PUBLISH_ABOUT, "
            "publish/about.md; a short default text when that file does not exist).",
            show_default=False,
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(
            "--now", metavar="ISO-8601", help="Publish as of this instant (ISO-8601; default: now)."
        ),
    ] = None,
) -> None:
    """Write the program's public page: current core contributors, how to become one, and its numbers."""
    from bot.services.publish import page_files, parse_target, program_page, publish_to_github, read_about

    if out is None and github is None:
        raise UserError("say where the page goes: --out DIR, --github ORG/REPO:PATH, or both")
    settings = load_settings()
    target = parse_target(github) if github else None
    text = (
        read_about(about) if about is not None else read_about(Path(settings.publish_about), required=False)
    )
    instant = parse_instant(now) if now else dt.datetime.now(dt.UTC)
    with open_database(settings.database_url, ready=True) as database, database.session() as session:
        policy = build_policy(settings)
        page = program_page(
            session,
            now=instant,
            about=text,
            target=policy.response_target,
            hours=policy.hours,
            web_url=settings.github_web_url,
        )
    files = page_files(page)
    typer.echo(f"{len(page.contributors)} core contributors; {len(page.series.weeks)} weeks of numbers")
    if out is not None:
        from bot.services.publish import write_page

        for path in write_page(files, out):
            typer.echo(f"wrote {path}")
    if target is not None:
        with github_connect(settings)() as client:
            published = publish_to_github(client, files, target)
        if published.status == "unchanged":
            typer.echo(
                f"{target.repo}:{target.path} is up to date: no pull request"
                + (f" (open: {published.url})" if published.url else "")
            )
        else:
            typer.echo(f"pull request {published.status}: {published.url} ({', '.join(published.changed)})")
