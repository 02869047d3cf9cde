"""Every minute: deliver what is queued, so a Slack outage or a crash between deciding and sending loses nothing."""

from __future__ import annotations

import logging

from bot.runtime import JobContext
from bot.services.outbox import DeliveryReport

logger = logging.getLogger(__name__)


def outbox_delivery(ctx: JobContext) -> DeliveryReport:
    """Deliver every message that is due: new, backed off after a failure, or abandoned by a dead worker."""
    report = ctx.deliver()
    if report.sent or report.failed:
        logger.info("outbox_delivery: %s", report)
    return report
