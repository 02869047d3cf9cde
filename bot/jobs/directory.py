"""Every minute: fill in missing Slack ids and time zones in the background, when an import (or an admin) asked."""

from __future__ import annotations

import datetime as dt
import time

from bot.runtime import JobContext
from bot.services.directory import resolve_slack
from bot.types.directory import ResolutionReport


def slack_resolution(ctx: JobContext) -> ResolutionReport:
    """Work the open resolution request (one users.list walk, or a few look-ups) to its end; a request another
    process holds, or none at all, costs one query."""
    if ctx.directory is None:
        return ResolutionReport()
    started = time.monotonic()

    def clock() -> dt.datetime:
        return ctx.now + dt.timedelta(seconds=time.monotonic() - started)

    report = resolve_slack(ctx.session, ctx.directory, now=ctx.now, channels=ctx.channels, clock=clock)
    if report.finished and report.not_found:
        ctx.deliver()
    # An idle minute (nothing asked, or another process walking) logs at DEBUG only.
    ctx.summarise(str(report), worked=report.request_id is not None and not report.busy)
    return report
