"""Hourly: reminders before agreements expire, and notices when a committer lapses or is active again."""

from __future__ import annotations

import logging

from bot.runtime import JobContext
from bot.services.outbox import DeliveryReport, Outgoing, enqueue
from bot.services.reminders import apply_status_changes, is_working_time, list_expiry_notices
from bot.services.roster import list_admins
from bot.views.reminders import (
    active_again,
    expiry_to_champion,
    expiry_to_committer,
    expiry_to_contact,
    lapsed_to_committer,
    lapsed_to_manager,
)
from storage.models import Person, Status

logger = logging.getLogger(__name__)

# Champions (and organisation contacts) hear only at these thresholds.
CHAMPION_THRESHOLDS = {7, 1}


def _dm(key: str, person: Person | None, text: str) -> list[Outgoing]:
    if person is None or not person.slack_user_id:
        return []
    return [Outgoing(key=key, kind=key.split(":", 1)[0], channel=person.slack_user_id, text=text)]


def agreement_expiry_reminders(ctx: JobContext) -> DeliveryReport:
    """Record lapses and renewals with their notices, queue due expiry reminders, and deliver."""
    now, session = ctx.now, ctx.session
    today = now.date()
    admins = list_admins(session)
    hours = ctx.policy.hours
    messages: list[Outgoing] = []
    for change in apply_status_changes(session, today=today):
        person = change.person
        if change.new == Status.LAPSED.value:
            messages += _dm(
                f"lapsed:{person.id}:{today}:{person.id}", person, lapsed_to_committer(change, admins)
            )
            for recipient in {p.id: p for p in [*change.managers, *change.admins]}.values():
                messages += _dm(
                    f"lapsed:{person.id}:{today}:{recipient.id}", recipient, lapsed_to_manager(change)
                )
        elif change.old == Status.LAPSED.value:
            messages += _dm(f"active-again:{person.id}:{today}", person, active_again(change))
    # Status changes and their notices commit together, so a notice is never lost or repeated.
    enqueue(session, messages, now=now)
    session.commit()

    queued = 0
    notices = list_expiry_notices(
        session,
        today=today,
        thresholds=ctx.policy.expiry_reminder_days,
        champion_thresholds=CHAMPION_THRESHOLDS,
    )
    for notice in notices:
        reminders: list[Outgoing] = []
        base = f"expiry:{notice.agreement.id}:{notice.threshold}"
        for committer in notice.committers:
            # The last reminder goes out at once: waiting for office hours could mean after the expiry.
            if notice.days_left <= 1 or is_working_time(now, committer, hours):
                reminders += _dm(f"{base}:{committer.id}", committer, expiry_to_committer(notice, admins))
            if notice.threshold in CHAMPION_THRESHOLDS:
                for champion in notice.champions.get(committer.id or 0, []):
                    reminders += _dm(
                        f"{base}:{committer.id}:{champion.id}",
                        champion,
                        expiry_to_champion(notice, committer),
                    )
        if notice.threshold in CHAMPION_THRESHOLDS and notice.org_contact is not None:
            reminders += _dm(
                f"{base}:contact:{notice.org_contact.id}", notice.org_contact, expiry_to_contact(notice)
            )
        queued += enqueue(session, reminders, now=now)
        session.commit()
    report = ctx.deliver()
    logger.info("agreement_expiry_reminders: %d queued; %s", queued, report)
    return report
