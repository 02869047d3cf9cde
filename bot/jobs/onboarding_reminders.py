"""Hourly: once a week, in their working hours, each committer still onboarding hears exactly what is missing."""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.question_nudges import sla_policy
from bot.services.outbox import DELIVERY_WORKERS, DeliveryReport, Outgoing, deliver_pending, enqueue
from bot.services.reminders import is_working_time, list_onboarding_gaps
from bot.services.roster import list_admins
from bot.settings import Settings, load_settings
from bot.slack import SlackMessenger
from bot.views.reminders import onboarding_reminder

logger = logging.getLogger(__name__)


def onboarding_reminders(
    now: dt.datetime, session: Session, client: WebClient, *, settings: Settings | None = None
) -> DeliveryReport:
    """Queue this week's reminder for each onboarding committer in their working hours, and deliver."""
    settings = settings or load_settings()
    hours = sla_policy(settings).hours
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
    report = deliver_pending(session, SlackMessenger(client), now=now, workers=DELIVERY_WORKERS)
    logger.info("onboarding_reminders: %d queued; %s", queued, report)
    return report
