"""Mondays: propose to the admins the committers inactive for longer than allowed (GitHub work counts), then deliver."""

from __future__ import annotations

import logging

from bot.runtime import JobContext
from bot.services.membership import review_inactive
from bot.services.outbox import DeliveryReport

logger = logging.getLogger(__name__)


def inactivity_review(ctx: JobContext) -> DeliveryReport:
    """Propose this week's inactive committers once, in one list per admin (Keep / Move to alumni), and deliver."""
    proposed = review_inactive(
        ctx.session, now=ctx.now, policy=ctx.policy.lifecycle, channels=ctx.channels, github=ctx.github
    )
    report = ctx.deliver()
    logger.info("inactivity_review: %d proposed; %s", proposed, report)
    return report
