"""Weekly: keep the program's public page current by pull request (CCBOT_PUBLISH_TARGET; off when unset)."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.runtime import JobContext
from bot.services.publish import publish_program_page
from bot.types.publish import Published

logger = logging.getLogger(__name__)


def public_page(ctx: JobContext) -> Published | None:
    """Open or update the page's pull request; nothing when no target is configured (or GitHub is not)."""
    target = ctx.policy.github.publish_target
    if not target:
        return None
    if ctx.github is None:
        logger.warning(
            "public_page: CCBOT_PUBLISH_TARGET is set but GitHub is not configured; nothing published"
        )
        return None
    with ctx.github() as github:
        published = publish_program_page(
            ctx.session,
            github,
            now=ctx.now,
            target=target,
            about=Path(ctx.policy.github.publish_about),
            about_required=False,
            response_target=ctx.policy.response_target,
            hours=ctx.policy.hours,
            web_url=ctx.policy.github.web_url,
        )
    logger.info("public_page %s: %s %s", target, published.status, published.url or "")
    return published
