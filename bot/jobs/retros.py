"""Hourly: retro invitations and reminders (opening, midpoint in working hours, last day) and, at closing, the
report; then deliver."""

from __future__ import annotations

from bot.runtime import JobContext
from bot.services.outbox import DeliveryReport
from bot.services.retros import advance_retros


def retro_reminders(ctx: JobContext) -> DeliveryReport:
    """Queue each due invitation or reminder once per participant, close due retros with their report, deliver."""
    progress = advance_retros(ctx.session, now=ctx.now, hours=ctx.policy.hours)
    report = ctx.deliver()
    worked = bool(progress.queued or progress.closed) or report.worked
    ctx.summarise(f"{progress.queued} queued, {progress.closed} closed; {report}", worked=worked)
    return report
