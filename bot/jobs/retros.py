"""Hourly: retro invitations and reminders (opening, midpoint in working hours, last day) and, at closing, the
report; then deliver."""

from __future__ import annotations

import logging

from bot.runtime import JobContext
from bot.services.outbox import DeliveryReport
from bot.services.retros import advance_retros

logger = logging.getLogger(__name__)


def retro_reminders(ctx: JobContext) -> DeliveryReport:
    """Queue each due invitation or reminder once per participant, close due retros with their report, deliver."""
    progress = advance_retros(ctx.session, now=ctx.now, hours=ctx.policy.hours)
    report = ctx.deliver()
    logger.info("retro_reminders: %d queued, %d closed; %s", progress.queued, progress.closed, report)
    return report
