"""Daily: refresh repository owners from catalog-info.yaml and CODEOWNERS on GitHub (CCBOT_GITHUB_OWNERS)."""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from sqlmodel import Session

from bot.services.owners import sync_owners_from_github
from bot.settings import Settings, load_settings

logger = logging.getLogger(__name__)


def github_owners_sync(
    now: dt.datetime, session: Session, client: WebClient, *, settings: Settings | None = None
) -> str:
    """Sync the owners of the configured organisations and repositories; skipped when none are configured."""
    settings = settings or load_settings()
    if not settings.github_owners:
        return "skipped: CCBOT_GITHUB_OWNERS names no organisation or repository"
    if not settings.github_configured:
        return "skipped: GitHub is not configured (CCBOT_GITHUB_TOKEN, or the GitHub App settings)"
    from bot.github import make_github

    with make_github(settings) as github:
        report = sync_owners_from_github(
            session, github, list(settings.github_owners), now=now, actor="ccbot:github_owners_sync"
        )
    for problem in report.problems:
        logger.warning("github_owners_sync: %s", problem)
    return f"synced owners of {len(report.repos)} repositories and {report.groups} groups ({len(report.problems)} problems)"
