"""Hourly: once a week, in their working hours, each committer still onboarding hears exactly what is missing."""

from __future__ import annotations

import logging

from bot.runtime import JobContext
from bot.services.outbox import DeliveryReport
from bot.services.reminders import queue_onboarding_reminders

logger = logging.getLogger(__name__)


def onboarding_reminders(ctx: JobContext) -> DeliveryReport:
    """Queue this week's reminder for each onboarding committer in their working hours, and deliver."""
    queued = queue_onboarding_reminders(ctx.session, now=ctx.now, hours=ctx.policy.hours)
    report = ctx.deliver()
    logger.info("onboarding_reminders: %d queued; %s", queued, report)
    return report
