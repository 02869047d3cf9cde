"""Hourly: close nominations at the end of their comment period (result, redraw, admins' checklist), then deliver."""

from __future__ import annotations

import logging

from bot.runtime import JobContext
from bot.services.nominations import close_due_nominations
from bot.services.outbox import DeliveryReport

logger = logging.getLogger(__name__)


def nomination_results(ctx: JobContext) -> DeliveryReport:
    """Close each due nomination (its messages commit with it; an approved nominee joins as onboarding), deliver."""
    closed = close_due_nominations(
        ctx.session, now=ctx.now, rules=ctx.policy.nomination, channels=ctx.channels
    )
    report = ctx.deliver()
    logger.info("nomination_results: %d closed; %s", len(closed), report)
    return report
