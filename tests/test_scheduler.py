"""The scheduler runs every registered job; two instances at once send each message once."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from freezegun import freeze_time

from bot.app import build_runtime
from bot.jobs.registry import JOBS, run_job
from bot.scheduler import MISFIRE_GRACE_SECONDS, build_scheduler
from bot.services.questions import ask_question, validate_question
from bot.settings import Settings, load_settings
from bot.slack import make_client
from bot.slack_standin import SlackStandIn
from storage.roster import get_person_by_github
from tests.conftest import NOW, load_pilot, wait_until


@pytest.fixture
def settings(db_url: str, slack: SlackStandIn) -> Settings:
    return load_settings(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_API_URL=slack.url,
        CCBOT_DATABASE_URL=db_url,
        CCBOT_COORDINATION_CHANNEL="C0COORD01",
        CCBOT_MANAGEMENT_CHANNEL="C0MGMT001",
        CCBOT_DIGEST_CHANNEL="C0DIGEST1",
    )


def test_every_job_is_registered_with_coalescing_and_a_misfire_grace(settings: Settings) -> None:
    client = make_client(settings)
    runtime = build_runtime(settings, client)
    scheduler = build_scheduler(runtime, client)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == set(JOBS)
    for job in jobs.values():
        assert job.coalesce is True
        assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS
        assert job.max_instances == 1
    runtime.engine.dispose()


def test_the_scheduler_runs_a_job_that_posts_a_lost_question(settings: Settings, slack: SlackStandIn) -> None:
    client = make_client(settings)
    runtime = build_runtime(settings, client)
    with runtime.session_factory() as session:
        load_pilot(session)
        zia = get_person_by_github(session, "ziafazal")
        draft = validate_question(
            pr_url="https://github.com/openedx/edx-platform/pull/9", text="Lost?", urgency="normal"
        )
        ask_question(session, zia, draft, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))  # type: ignore[arg-type]
    scheduler = build_scheduler(runtime, client)
    scheduler.start()
    try:
        scheduler.get_job("question_nudges").modify(next_run_time=dt.datetime.now(dt.UTC))
        wait_until(lambda: slack.messages("C0COORD01"), timeout=10, what="the question posted by the job")
    finally:
        scheduler.shutdown(wait=True)
        runtime.engine.dispose()
    assert len(slack.messages("C0COORD01")) == 1


def test_two_instances_running_every_job_at_the_same_instant_send_each_message_once(
    settings: Settings, slack: SlackStandIn
) -> None:
    runtimes = [build_runtime(settings, make_client(settings)) for _ in range(2)]
    with runtimes[0].session_factory() as session:
        load_pilot(session, now=NOW)
        zia = get_person_by_github(session, "ziafazal")
        draft = validate_question(
            pr_url="https://github.com/openedx/edx-platform/pull/9", text="Lost?", urgency="normal"
        )
        ask_question(session, zia, draft, now=dt.datetime(2026, 12, 24, 14, 0, tzinfo=dt.UTC))  # type: ignore[arg-type]
    # Thursday 24 December 20:00 UTC: the question is unposted and overdue, agreements 7 days from their end.
    at = dt.datetime(2026, 12, 24, 20, 0, tzinfo=dt.UTC)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def instance(index: int) -> None:
        runtime = runtimes[index]
        try:
            barrier.wait()
            for name in JOBS:
                with runtime.session_factory() as session:
                    run_job(name, now=at, session=session, client=make_client(settings), settings=settings)
        except BaseException as exc:  # reported below
            errors.append(exc)

    with freeze_time(at, ignore=["threading", "urllib3", "http"]):
        threads = [threading.Thread(target=instance, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    for runtime in runtimes:
        runtime.engine.dispose()
    assert errors == []
    posted = Counter((m["channel"], m["text"], m.get("thread_ts")) for m in slack.messages())
    duplicates = {key: n for key, n in posted.items() if n > 1}
    assert duplicates == {}
    assert len([m for m in slack.messages("C0COORD01") if not m.get("thread_ts")]) == 1, (
        "the lost question, once"
    )
    assert any("Heads-up" in m["text"] for m in slack.messages("U0CHAMP01"))
