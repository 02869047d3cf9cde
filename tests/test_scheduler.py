"""The scheduler runs every registered job; two instances at once send each message once."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

from freezegun import freeze_time

from bot.assembly import Bot
from bot.jobs.registry import JOBS
from bot.scheduler import MISFIRE_GRACE_SECONDS
from bot.services.questions import ask_question, validate_question
from bot.slack_standin import SlackStandIn
from storage.roster import get_person_by_github
from tests.conftest import NOW, load_pilot, make_bot, wait_until


def test_every_job_is_registered_with_coalescing_and_a_misfire_grace(job_bot: Bot) -> None:
    scheduler = job_bot.scheduler()
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == set(JOBS)
    for job in jobs.values():
        assert job.coalesce is True
        assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS
        assert job.max_instances == 1


def test_the_scheduler_runs_a_job_that_posts_a_lost_question(job_bot: Bot, slack: SlackStandIn) -> None:
    with job_bot.runtime.session_factory() as session:
        load_pilot(session)
        zia = get_person_by_github(session, "ziafazal")
        draft = validate_question(
            pr_url="https://github.com/openedx/edx-platform/pull/9", text="Lost?", urgency="normal"
        )
        # Stored with its thread root, then the process died before delivering it.
        when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
        ask_question(session, zia, draft, now=when, channels=job_bot.runtime.channels)  # type: ignore[arg-type]
    scheduler = job_bot.scheduler()
    scheduler.start()
    try:
        scheduler.get_job("outbox_delivery").modify(next_run_time=dt.datetime.now(dt.UTC))
        wait_until(lambda: slack.messages("C0COORD01"), timeout=10, what="the question posted by the job")
    finally:
        scheduler.shutdown(wait=True)
    assert len(slack.messages("C0COORD01")) == 1


def test_two_instances_running_every_job_at_the_same_instant_send_each_message_once(
    db_url: str, slack: SlackStandIn
) -> None:
    bots = [make_bot(db_url, slack, CCBOT_DIGEST_CHANNEL="C0DIGEST1") for _ in range(2)]
    with bots[0].runtime.session_factory() as session:
        load_pilot(session, now=NOW)
        zia = get_person_by_github(session, "ziafazal")
        draft = validate_question(
            pr_url="https://github.com/openedx/edx-platform/pull/9", text="Lost?", urgency="normal"
        )
        asked = dt.datetime(2026, 12, 24, 14, 0, tzinfo=dt.UTC)
        ask_question(session, zia, draft, now=asked, channels=bots[0].runtime.channels)  # type: ignore[arg-type]
    # Thursday 24 December 20:00 UTC: the question is unposted and overdue, agreements 7 days from their end.
    at = dt.datetime(2026, 12, 24, 20, 0, tzinfo=dt.UTC)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def instance(index: int) -> None:
        try:
            barrier.wait()
            for name in JOBS:
                bots[index].run_job(name, now=at)
        except BaseException as exc:  # reported below
            errors.append(exc)

    with freeze_time(at, ignore=["threading", "urllib3", "http"]):
        threads = [threading.Thread(target=instance, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    for bot in bots:
        bot.close()
    assert errors == []
    posted = Counter((m["channel"], m["text"], m.get("thread_ts")) for m in slack.messages())
    duplicates = {key: n for key, n in posted.items() if n > 1}
    assert duplicates == {}
    assert len([m for m in slack.messages("C0COORD01") if not m.get("thread_ts")]) == 1, (
        "the lost question, once"
    )
    assert any("Heads-up" in m["text"] for m in slack.messages("U0CHAMP01"))
