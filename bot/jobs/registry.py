"""The jobs the bot runs on a schedule: name, function and trigger, in one table."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.jobs.access import access_drift
from bot.jobs.digest import weekly_digest
from bot.jobs.directory import slack_resolution
from bot.jobs.escalations import escalation_reminders
from bot.jobs.membership import inactivity_review
from bot.jobs.nominations import nomination_results
from bot.jobs.outbox import outbox_delivery
from bot.jobs.owners import github_owners_sync
from bot.jobs.publish import public_page
from bot.jobs.questions import question_nudges
from bot.jobs.reminders import agreement_expiry_reminders, onboarding_reminders
from bot.jobs.renewals import renewal_reminders
from bot.jobs.retros import retro_reminders
from bot.logs import job_run
from bot.runtime import JobContext
from bot.services.operations import record_job_run
from bot.settings import Settings

Job = Callable[..., object]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: `func(ctx)` run on a cron schedule."""

    name: str
    func: Job
    cron: dict[str, str]
    description: str
    timezone_setting: str | None = None

    def trigger(self, settings: Settings) -> CronTrigger:
        """Return the APScheduler trigger, in the configured time zone where the job has one."""
        tz = ZoneInfo(getattr(settings, self.timezone_setting)) if self.timezone_setting else ZoneInfo("UTC")
        return CronTrigger(timezone=tz, **self.cron)

    def describe(self, settings: Settings) -> str:
        """Say when the job runs, in words."""
        cron = self.cron
        if "day_of_week" in cron:
            tz = getattr(settings, self.timezone_setting) if self.timezone_setting else "UTC"
            return f"{cron['day_of_week']} {int(cron['hour']):02d}:{int(cron['minute']):02d} {tz}"
        if cron.get("minute") == "*":
            return "every minute"
        if "hour" in cron:
            return f"daily {int(cron['hour']):02d}:{int(cron['minute']):02d} UTC"
        if cron.get("minute", "").startswith("*/"):
            return f"every {cron['minute'][2:]} minutes"
        return f"hourly at :{int(cron['minute']):02d}"

    def next_run(self, now: dt.datetime, settings: Settings) -> dt.datetime | None:
        """Return the next run strictly after `now`."""
        fire = self.trigger(settings).get_next_fire_time(None, now + dt.timedelta(seconds=1))
        return fire.astimezone(dt.UTC) if fire else None


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in [
        JobSpec(
            name="outbox_delivery",
            func=outbox_delivery,
            cron={"minute": "*"},
            description="sends what is queued: retries after Slack failures, and anything a crash left undelivered",
        ),
        JobSpec(
            name="slack_resolution",
            func=slack_resolution,
            cron={"minute": "*"},
            description="fills in roster people's missing Slack ids (by e-mail) and time zones from Slack after an "
            "import, walking users.list; tells the admins whom Slack did not have",
        ),
        JobSpec(
            name="question_nudges",
            func=question_nudges,
            cron={"minute": "*/15"},
            description="takes the due steps of each unanswered question's SLA ladder",
        ),
        JobSpec(
            name="escalation_reminders",
            func=escalation_reminders,
            cron={"minute": "*/5"},
            description="re-notifies managers of unacknowledged escalations, reports overdue ones, reminds owners",
        ),
        JobSpec(
            name="agreement_expiry_reminders",
            func=agreement_expiry_reminders,
            cron={"minute": "5"},
            description="reminds committers (and champions, org contacts) before agreements expire; tells of lapses",
        ),
        JobSpec(
            name="onboarding_reminders",
            func=onboarding_reminders,
            cron={"minute": "10"},
            description="reminds each committer still onboarding, weekly in their working hours, of what is missing",
        ),
        JobSpec(
            name="retro_reminders",
            func=retro_reminders,
            cron={"minute": "15"},
            description="retro invitations, reminders at midpoint and on the last day, and the report at closing",
        ),
        JobSpec(
            name="nomination_results",
            func=nomination_results,
            cron={"minute": "20"},
            description="closes nominations at the end of their comment period; approved nominees join as onboarding",
        ),
        JobSpec(
            name="access_drift",
            func=access_drift,
            cron={"hour": "6", "minute": "30"},
            description="compares GitHub team membership with the roster and tells the admins of drift "
            "(changes GitHub only with CCBOT_ACCESS_AUTO_APPLY=true)",
        ),
        JobSpec(
            name="github_owners_sync",
            func=github_owners_sync,
            cron={"hour": "6", "minute": "0"},
            description="refreshes repository owners from catalog-info.yaml and CODEOWNERS on GitHub (CCBOT_GITHUB_OWNERS)",
        ),
        JobSpec(
            name="renewal_reminders",
            func=renewal_reminders,
            cron={"minute": "25"},
            description="opens scheduled recommitment rounds, reminds who has not answered, settles deadlines",
        ),
        JobSpec(
            name="inactivity_review",
            func=inactivity_review,
            cron={"day_of_week": "mon", "hour": "8", "minute": "30"},
            description="proposes to the admins the committers inactive for longer than CCBOT_INACTIVE_DAYS",
            timezone_setting="digest_timezone",
        ),
        JobSpec(
            name="weekly_digest",
            func=weekly_digest,
            cron={"day_of_week": "mon", "hour": "9", "minute": "0"},
            description="the past week's numbers to each manager by DM and to the digest channel",
            timezone_setting="digest_timezone",
        ),
        JobSpec(
            name="public_page",
            func=public_page,
            cron={"day_of_week": "mon", "hour": "10", "minute": "0"},
            description="opens or updates the pull request keeping the program's public page current "
            "(CCBOT_PUBLISH_TARGET; off when unset)",
            timezone_setting="digest_timezone",
        ),
    ]
}


def run_job(name: str, ctx: JobContext) -> object:
    """Run one job with its context, count the run where every process's `/metrics` reads it, and log it in one
    line; KeyError when there is no such job.

    The line names the job, its outcome, its milliseconds and what it did, under the run's id (`job_run_id`): INFO
    when the run did something, DEBUG when it was idle (so a quiet minute writes nothing at INFO), ERROR with the
    traceback when it failed.
    """
    spec = JOBS[name]
    with job_run(name) as run_id:
        started = time.monotonic()
        try:
            result = spec.func(ctx)
        except BaseException:
            ctx.session.rollback()
            seconds = time.monotonic() - started
            record_job_run(ctx.session, name, started_at=ctx.now, ok=False, seconds=seconds)
            logger.error(
                "job %s failed in %d ms", name, seconds * 1000, exc_info=True, extra={"job_run_id": run_id}
            )
            raise
        seconds = time.monotonic() - started
        record_job_run(ctx.session, name, started_at=ctx.now, ok=True, seconds=seconds)
        summary = ctx.summary.text if ctx.summary.text is not None else str(result)
        logger.log(
            logging.INFO if ctx.summary.worked else logging.DEBUG,
            "job %s ok in %d ms: %s",
            name,
            seconds * 1000,
            summary,
            extra={"job_run_id": run_id},
        )
    return result
