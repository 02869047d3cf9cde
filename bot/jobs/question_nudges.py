"""Every 15 minutes: post questions that never reached Slack, and take the due steps of the SLA ladder."""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from sqlmodel import Session

from bot.publish import post_question
from bot.services.business_hours import WorkingHours
from bot.services.outbox import DELIVERY_WORKERS, DeliveryReport, Outgoing, deliver_pending
from bot.services.questions import list_unposted
from bot.services.sla import DueStep, SlaPolicy, Step, list_due_steps, take_step
from bot.settings import Settings, load_settings
from bot.slack import SlackMessenger
from bot.views.questions import management_post, nudge_texts

logger = logging.getLogger(__name__)

INTERVAL = dt.timedelta(minutes=15)
# A question younger than this may still be on its way to Slack from the handler that stored it.
UNPOSTED_GRACE = dt.timedelta(minutes=2)


def sla_policy(settings: Settings) -> SlaPolicy:
    """Return the SLA ladder's allowances and working hours from the settings."""
    start, end = settings.working_hours
    return SlaPolicy(
        normal=settings.sla_normal,
        urgent=settings.sla_urgent,
        hours=WorkingHours(start=start, end=end, weekdays=settings.working_days),
    )


def nudge_messages(due: DueStep, *, settings: Settings) -> list[Outgoing]:
    """Return the messages one ladder step sends: a thread note, and a DM or a management-channel post."""
    card = due.card
    base = f"question-nudge:{card.id}:{int(due.step)}"
    thread_text, dm_text = nudge_texts(due, management_channel=settings.management_channel)
    messages = []
    if card.question.channel and card.question.thread_ts:
        messages.append(
            Outgoing(
                key=base,
                kind="question-nudge",
                channel=card.question.channel,
                text=thread_text,
                thread_ts=card.question.thread_ts,
            )
        )
    if dm_text:
        for person in due.targets:
            if person.slack_user_id:
                messages.append(
                    Outgoing(
                        key=f"{base}:{person.id}",
                        kind="question-nudge",
                        channel=person.slack_user_id,
                        text=dm_text,
                    )
                )
    if due.step is Step.MANAGEMENT and not due.targets and settings.management_channel:
        messages.append(
            Outgoing(
                key=f"{base}:management",
                kind="question-nudge",
                channel=settings.management_channel,
                text=management_post(due),
            )
        )
    return messages


def question_nudges(
    now: dt.datetime, session: Session, client: WebClient, *, settings: Settings | None = None
) -> DeliveryReport:
    """Post unposted questions, take each due ladder step once, and deliver what is queued."""
    settings = settings or load_settings()
    for card in list_unposted(session, now=now, grace=UNPOSTED_GRACE):
        logger.info("posting question %s that never reached Slack", card.id)
        post_question(client, session, card, settings=settings, now=now)
    taken = 0
    for due in list_due_steps(session, now=now, policy=sla_policy(settings)):
        taken += take_step(session, due, now=now, messages=lambda d: nudge_messages(d, settings=settings))
    report = deliver_pending(session, SlackMessenger(client), now=now, workers=DELIVERY_WORKERS)
    logger.info(
        "question_nudges: %d steps taken, %d messages sent, %d failed", taken, report.sent, len(report.failed)
    )
    return report
