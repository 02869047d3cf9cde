"""Every 5 minutes: climb each unacknowledged escalation's ladder, remind owners of unresolved ones, deliver."""

from __future__ import annotations

from bot.runtime import JobContext
from bot.services.escalations import take_due_escalation_steps
from bot.services.outbox import DeliveryReport


def escalation_reminders(ctx: JobContext) -> DeliveryReport:
    """Take each due ladder step once (its messages commit with it) and deliver what is queued."""
    taken = take_due_escalation_steps(
        ctx.session, now=ctx.now, policy=ctx.policy.escalation, channels=ctx.channels
    )
    report = ctx.deliver()
    ctx.summarise(f"{taken} step(s) taken; {report}", worked=bool(taken) or report.worked)
    return report
