"""Hourly: close nominations at the end of their comment period, post the result, hand admins the checklist."""

from __future__ import annotations

import logging

from bot.publish import refresh_nomination
from bot.runtime import JobContext
from bot.services.nominations import close_due_nominations
from bot.services.outbox import DeliveryReport, Outgoing, enqueue
from bot.services.policy import current_policy
from bot.services.roster import list_admins
from bot.views.nominations import checklist_text, result_text

logger = logging.getLogger(__name__)


def nomination_results(ctx: JobContext) -> DeliveryReport:
    """Close due nominations (an approved nominee joins as onboarding), then post results and checklists once."""
    now, session = ctx.now, ctx.session
    rules = ctx.policy.nomination
    champions_needed = current_policy(session).champions_required
    admins = {p.slack_user_id for p in list_admins(session) if p.slack_user_id} | set(ctx.channels.admins)
    for card in close_due_nominations(session, now=now, rules=rules):
        nomination = card.nomination
        messages = []
        if nomination.channel and nomination.ts:
            messages.append(
                Outgoing(
                    key=f"nomination-result:{card.id}",
                    kind="nomination",
                    channel=nomination.channel,
                    text=result_text(card),
                    thread_ts=nomination.ts,
                )
            )
        if card.created is not None:
            text = checklist_text(card, champions_needed=champions_needed)
            messages += [
                Outgoing(key=f"nomination-checklist:{card.id}:{a}", kind="nomination", channel=a, text=text)
                for a in sorted(admins)
            ]
        enqueue(session, messages, now=now)
        session.commit()
        refresh_nomination(client, card)
    report = ctx.deliver()
    logger.info("nomination_results: %s", report)
    return report
