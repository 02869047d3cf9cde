"""Mondays 09:00 (CCBOT_DIGEST_TIMEZONE): the week's digest to each manager by DM and to the digest channel."""

from __future__ import annotations

from bot.runtime import JobContext
from bot.services.digest import queue_weekly_digest
from bot.services.outbox import DeliveryReport


def weekly_digest(ctx: JobContext) -> DeliveryReport:
    """Queue this week's digest and its chart once per recipient (and the CSV when the table does not fit), then
    deliver."""
    period, queued = queue_weekly_digest(
        ctx.session, now=ctx.now, channels=ctx.channels, lifecycle=ctx.policy.lifecycle, policy=ctx.policy
    )
    report = ctx.deliver()
    ctx.summarise(f"{period}: {queued} queued; {report}", worked=True)
    return report
