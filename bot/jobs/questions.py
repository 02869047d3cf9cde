"""Every 15 minutes: take the due steps of each unanswered question's SLA ladder, then deliver."""

from __future__ import annotations

from bot.runtime import JobContext
from bot.services.outbox import DeliveryReport
from bot.services.questions.nudges import take_due_steps


def question_nudges(ctx: JobContext) -> DeliveryReport:
    """Take each due ladder step once (its messages commit with it) and deliver what is queued."""
    taken = take_due_steps(ctx.session, now=ctx.now, policy=ctx.policy.sla, channels=ctx.channels)
    report = ctx.deliver()
    ctx.summarise(f"{taken} step(s) taken; {report}", worked=bool(taken) or report.worked)
    return report
