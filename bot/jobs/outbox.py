"""Every minute: deliver what is queued, so a Slack outage or a crash between deciding and sending loses nothing."""

from __future__ import annotations

from bot.runtime import JobContext
from bot.services.admins import admin_ids
from bot.services.outbox import DeliveryReport, queue_failure_notice


def outbox_delivery(ctx: JobContext) -> DeliveryReport:
    """Deliver every message that is due, and tell the admins about any that had to be given up."""
    report = ctx.deliver()
    admins = admin_ids(ctx.session, ctx.channels)
    if queue_failure_notice(ctx.session, report.failed, now=ctx.now, admins=admins):
        ctx.deliver()
    ctx.summarise(str(report), worked=report.worked)
    return report
