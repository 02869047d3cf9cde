"""Hourly reminders: before agreements expire (with notices when a committer lapses or is active again), and
once a week, in their working hours, to each committer still onboarding about exactly what is missing."""

from __future__ import annotations

from bot.runtime import JobContext
from bot.services.outbox import DeliveryReport
from bot.services.reminders import queue_expiry_reminders, queue_onboarding_reminders
from bot.services.roster.statuses import queue_status_notices


def agreement_expiry_reminders(ctx: JobContext) -> DeliveryReport:
    """Record lapses and renewals with their notices, queue due expiry reminders, and deliver."""
    queued = queue_status_notices(ctx.session, now=ctx.now, channels=ctx.channels)
    queued += queue_expiry_reminders(ctx.session, now=ctx.now, policy=ctx.policy)
    report = ctx.deliver()
    ctx.summarise(f"{queued} queued; {report}", worked=bool(queued) or report.worked)
    return report


def onboarding_reminders(ctx: JobContext) -> DeliveryReport:
    """Queue this week's reminder for each onboarding committer in their working hours, and deliver."""
    queued = queue_onboarding_reminders(ctx.session, now=ctx.now, hours=ctx.policy.hours)
    report = ctx.deliver()
    ctx.summarise(f"{queued} queued; {report}", worked=bool(queued) or report.worked)
    return report
