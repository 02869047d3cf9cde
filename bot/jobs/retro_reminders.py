"""Hourly: retro invitations and reminders (opening, midpoint, last day) and, at closing, the report."""

from __future__ import annotations

import logging

from bot.runtime import JobContext
from bot.services.outbox import DeliveryReport, Outgoing, enqueue
from bot.services.retros import due_stages, list_retros_to_close, mark_closed, report_recipients, retro_report
from bot.views.retros import invitation_blocks, report_blocks, report_text

logger = logging.getLogger(__name__)


def retro_reminders(ctx: JobContext) -> DeliveryReport:
    """Queue each due invitation or reminder once per participant, close due retros with their report, deliver."""
    now, session = ctx.now, ctx.session
    queued = 0
    for stage in due_stages(session, now=now):
        blocks = [block.to_dict() for block in invitation_blocks(stage.retro, stage.stage)]
        text = f"Retro “{stage.retro.name}”: share your feedback"
        messages = [
            Outgoing(
                key=f"retro-{stage.stage}:{stage.retro.id}:{p.id}",
                kind="retro",
                channel=p.slack_user_id,
                text=text,
                blocks=blocks,
            )
            for p in stage.people
            if p.slack_user_id
        ]
        queued += enqueue(session, messages, now=now)
        session.commit()
    for retro in list_retros_to_close(session, now=now):
        report = retro_report(session, retro)
        blocks = [block.to_dict() for block in report_blocks(report)]
        messages = [
            Outgoing(
                key=f"retro-report:{retro.id}:{p.id}",
                kind="retro-report",
                channel=p.slack_user_id,
                text=report_text(report),
                blocks=blocks,
            )
            for p in report_recipients(session, retro)
            if p.slack_user_id
        ]
        # Closing and the reports commit together: a crash leaves either both or neither.
        queued += enqueue(session, messages, now=now)
        mark_closed(session, retro, now=now)
        session.commit()
    report_ = ctx.deliver()
    logger.info("retro_reminders: %d queued; %s", queued, report_)
    return report_
