"""Daily: compare GitHub team membership with the roster, tell the admins of drift, apply only when allowed."""

from __future__ import annotations

from bot.runtime import JobContext
from bot.services.access import DriftOutcome, check_access_drift


def access_drift(ctx: JobContext) -> DriftOutcome:
    """Check access against GitHub (its report to the admins commits with it), then deliver that report."""
    outcome = check_access_drift(
        ctx.session, ctx.github, ctx.policy.github, now=ctx.now, channels=ctx.channels
    )
    report = ctx.deliver(outcome.keys)
    ctx.summarise(f"{outcome}; {report}", worked=True)  # once a day: its line says the check ran
    return outcome
