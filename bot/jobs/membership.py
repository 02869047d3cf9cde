"""Mondays: propose to the admins the committers inactive for longer than allowed (GitHub work counts), then deliver."""

from __future__ import annotations

from bot.runtime import JobContext
from bot.services.membership import review_inactive
from bot.services.outbox import DeliveryReport


def inactivity_review(ctx: JobContext) -> DeliveryReport:
    """Propose this week's inactive committers once, in one list per admin (Keep / Move to alumni), and deliver."""
    proposed = review_inactive(
        ctx.session, now=ctx.now, policy=ctx.policy.lifecycle, channels=ctx.channels, github=ctx.github
    )
    report = ctx.deliver()
    ctx.summarise(f"{proposed} proposed; {report}", worked=True)
    return report
