"""Daily: refresh repository owners from catalog-info.yaml and CODEOWNERS on GitHub (CCBOT_GITHUB_OWNERS)."""

from __future__ import annotations

import logging

from bot.runtime import JobContext
from bot.services.owners import refresh_owners_from_github
from bot.types.owners import SyncReport

logger = logging.getLogger(__name__)


def github_owners_sync(ctx: JobContext) -> SyncReport:
    """Sync the owners of the configured organisations and repositories; skipped when none are configured."""
    # Owners are data the bot reads: the sync implies no message, so there is nothing to deliver.
    report = refresh_owners_from_github(
        ctx.session,
        ctx.github,
        ctx.policy.github.owners,
        now=ctx.now,
        actor="ccbot:github_owners_sync",
        channels=ctx.channels,
    )
    for problem in report.problems:
        logger.warning("github_owners_sync: %s", problem)
    ctx.summarise(str(report), worked=True)
    return report
