"""Hourly: once a week, in their working hours, each committer still onboarding hears exactly what is missing."""

from __future__ import annotations

import logging

from bot.runtime import JobContext
from bot.services.outbox import DeliveryReport, Outgoing, enqueue
from bot.services.reminders import is_working_time, list_onboarding_gaps
from bot.services.roster import list_admins
from bot.views.reminders import onboarding_reminder

logger = logging.getLogger(__name__)


def onboarding_reminders(ctx: JobContext) -> DeliveryReport:
    """Queue this week's reminder for each onboarding committer in their working hours, and deliver."""
    now, session = ctx.now, ctx.session
    hours = ctx.policy.hours
    admins = list_admins(session)
    year, week, _ = now.date().isocalendar()
    messages = []
    for stuck in list_onboarding_gaps(session, today=now.date()):
        person = stuck.person
        if person.slack_user_id and is_working_time(now, person, hours):
            key = f"onboarding:{person.id}:{year}-W{week:02d}"
            messages.append(
                Outgoing(
                    key=key,
                    kind="onboarding",
                    channel=person.slack_user_id,
                    text=onboarding_reminder(stuck, admins),
                )
            )
    queued = enqueue(session, messages, now=now)
    session.commit()
    report = ctx.deliver()
    logger.info("onboarding_reminders: %d queued; %s", queued, report)
    return report
