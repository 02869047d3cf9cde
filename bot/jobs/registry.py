"""The jobs the bot runs on a schedule: name, function and trigger, in one table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.escalation_reminders import INTERVAL as ESCALATION_REMINDERS_INTERVAL
from bot.jobs.escalation_reminders import escalation_reminders
from bot.jobs.question_nudges import INTERVAL as QUESTION_NUDGES_INTERVAL
from bot.jobs.question_nudges import question_nudges
from bot.settings import Settings

Job = Callable[..., object]


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: `func(now, session, client, settings=...)` run every `interval`."""

    name: str
    func: Job
    interval: dt.timedelta
    description: str

    @property
    def trigger(self) -> str:
        """Describe when the job runs."""
        minutes = int(self.interval.total_seconds() // 60)
        return f"every {minutes} minutes" if minutes < 60 else f"every {minutes // 60} hours"

    def next_run(self, now: dt.datetime) -> dt.datetime:
        """Return the next run after `now`, on the interval's boundaries counted from midnight UTC."""
        midnight = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        periods = (now - midnight) // self.interval + 1
        return midnight + periods * self.interval


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in [
        JobSpec(
            name="question_nudges",
            func=question_nudges,
            interval=QUESTION_NUDGES_INTERVAL,
            description="posts questions that never reached Slack and takes due steps of the SLA ladder",
        ),
        JobSpec(
            name="escalation_reminders",
            func=escalation_reminders,
            interval=ESCALATION_REMINDERS_INTERVAL,
            description="re-notifies managers of unacknowledged escalations, reports overdue ones, reminds owners",
        ),
    ]
}


def run_job(
    name: str, *, now: dt.datetime, session: Session, client: WebClient, settings: Settings
) -> object:
    """Run one job now (or as of `now`); KeyError when there is no such job."""
    return JOBS[name].func(now, session, client, settings=settings)
