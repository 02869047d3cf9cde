"""Hourly: close nominations at the end of their comment period (result, redraw, admins' checklist), then deliver."""

from __future__ import annotations

from bot.runtime import JobContext
from bot.services.nominations import close_due_nominations
from bot.services.outbox import DeliveryReport


def nomination_results(ctx: JobContext) -> DeliveryReport:
    """Close each due nomination (its messages commit with it; an approved nominee joins as onboarding), deliver."""
    closed = close_due_nominations(
        ctx.session, now=ctx.now, rules=ctx.policy.nomination, channels=ctx.channels
    )
    report = ctx.deliver()
    ctx.summarise(f"{len(closed)} closed; {report}", worked=bool(closed) or report.worked)
    return report
