"""Every 5 minutes: post escalations that never reached Slack and climb each escalation's acknowledgement ladder."""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.question_nudges import sla_policy
from bot.publish import post_escalation
from bot.services.escalations import (
    DueEscalationStep,
    EscalationPolicy,
    list_due_escalation_steps,
    list_unposted_escalations,
    take_escalation_step,
)
from bot.services.outbox import DELIVERY_WORKERS, DeliveryReport, Outgoing, deliver_pending
from bot.settings import Settings, load_settings
from bot.slack import SlackMessenger
from bot.views.escalations import ladder_texts, overdue_post

logger = logging.getLogger(__name__)

INTERVAL = dt.timedelta(minutes=5)
UNPOSTED_GRACE = dt.timedelta(minutes=2)


def escalation_policy(settings: Settings) -> EscalationPolicy:
    """Return the acknowledgement ladder's allowances from the settings."""
    return EscalationPolicy(
        ack_normal=settings.escalation_ack_normal,
        ack_urgent=settings.escalation_ack_urgent,
        renotify_limit=settings.escalation_renotify_limit,
        resolve_after=dt.timedelta(days=settings.escalation_resolve_days),
        hours=sla_policy(settings).hours,
    )


def ladder_messages(due: DueEscalationStep, *, settings: Settings) -> list[Outgoing]:
    """Return what one ladder step sends: a note in the post's thread, a DM to its target, or the overdue post."""
    card = due.card
    base = f"escalation-step:{card.id}:{due.step}"
    thread_text, dm_text = ladder_texts(due)
    messages = []
    if card.escalation.channel and card.escalation.ts:
        messages.append(
            Outgoing(
                key=base,
                kind="escalation-step",
                channel=card.escalation.channel,
                text=thread_text,
                thread_ts=card.escalation.ts,
            )
        )
    if dm_text and due.target is not None and due.target.slack_user_id:
        messages.append(
            Outgoing(
                key=f"{base}:{due.target.id}",
                kind="escalation-step",
                channel=due.target.slack_user_id,
                text=dm_text,
            )
        )
    if due.overdue and settings.digest_channel:
        messages.append(
            Outgoing(
                key=f"{base}:digest",
                kind="escalation-overdue",
                channel=settings.digest_channel,
                text=overdue_post(due),
            )
        )
    return messages


def escalation_reminders(
    now: dt.datetime, session: Session, client: WebClient, *, settings: Settings | None = None
) -> DeliveryReport:
    """Post unposted escalations, take each due ladder step once, and deliver what is queued."""
    settings = settings or load_settings()
    for card in list_unposted_escalations(session):
        if card.escalation.opened_at <= now - UNPOSTED_GRACE:
            logger.info("posting escalation %s that never reached Slack", card.id)
            post_escalation(client, session, card, settings=settings, now=now)
    taken = 0
    for due in list_due_escalation_steps(session, now=now, policy=escalation_policy(settings)):
        taken += take_escalation_step(
            session, due, now=now, messages=lambda d: ladder_messages(d, settings=settings)
        )
    report = deliver_pending(session, SlackMessenger(client), now=now, workers=DELIVERY_WORKERS)
    logger.info("escalation_reminders: %d steps taken; %s", taken, report)
    return report
