"""Hourly: open the scheduled recommitment rounds, remind who has not answered, settle passed deadlines, deliver."""

from __future__ import annotations

from bot.runtime import JobContext
from bot.services.outbox import DeliveryReport
from bot.services.renewals import advance_renewals


def renewal_reminders(ctx: JobContext) -> DeliveryReport:
    """Take each due step of the yearly recommitment once (its messages commit with it), then deliver."""
    run = advance_renewals(ctx.session, now=ctx.now, policy=ctx.policy, channels=ctx.channels)
    report = ctx.deliver()
    worked = bool(run.opened or run.reminded or run.settled) or report.worked
    ctx.summarise(f"{run}; {report}", worked=worked)
    return report
