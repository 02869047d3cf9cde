"""The in-process scheduler: APScheduler 3 running every job of the registry, each run in its own session."""

from __future__ import annotations

import logging
from contextlib import suppress
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler

from bot.jobs.registry import JOBS, run_job
from bot.logs import in_job_run
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

# A run missed by more than this (the process was down) is skipped; the next one catches up,
# since every job works from the database's state rather than from the run it missed.
MISFIRE_GRACE_SECONDS = 300


@in_job_run
def run_scheduled_job(name: str, runtime: Runtime) -> None:
    """Run one job as the scheduler does: the runtime's clock, a fresh session, its one log line (run_job's)."""
    # A failed run must not stop the scheduler; the next run starts again from the database.
    try:
        with runtime.session_factory() as session, suppress(Exception):
            # run_job logged a failure itself, with its traceback, under the run's id.
            run_job(name, runtime.job_context(session))
    except Exception:
        logger.exception("job %s: its session could not be closed", name)


def build_scheduler(runtime: Runtime) -> BackgroundScheduler:
    """Return a scheduler with every registered job (not started)."""
    scheduler = BackgroundScheduler(timezone=ZoneInfo("UTC"))
    for spec in JOBS.values():
        scheduler.add_job(
            run_scheduled_job,
            trigger=spec.trigger(runtime.settings),
            id=spec.name,
            name=spec.name,
            args=[spec.name, runtime],
            coalesce=True,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            max_instances=1,
            replace_existing=True,
        )
    return scheduler
