"""The weekly inactivity review across months: the clock starts at the first review, questions reset it,
the first proposal comes the Monday after CCBOT_INACTIVE_DAYS, and its schedule keeps 08:30 across DST."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.assembly import Bot
from bot.github_standin import GitHubStandIn
from bot.jobs.registry import JOBS
from bot.services.renewals import open_renewal
from bot.slack_standin import SlackStandIn
from storage.db import make_session_factory
from storage.models import Activity, AuditEntry, InactivityProposal, ProgramSetting
from tests.conftest import NOW, RunningBot, bot_settings, load_pilot, make_bot, run_at, wait_until
from tests.flows import ask, person


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        load_pilot(session, now=NOW)
        yield session


def test_the_first_proposals_come_the_monday_after_183_days_and_not_for_who_asked(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    first = utc("2026-12-07T08:30")
    run_at(job_bot, "inactivity_review", first)  # starts the clock
    ask(db, "ziafazal", now=utc("2026-12-15T10:00"))
    monday, proposed_on = first, None
    while monday < utc("2027-07-01T00:00"):
        monday += dt.timedelta(days=7)
        run_at(job_bot, "inactivity_review", monday)
        if proposed_on is None and db.exec(select(InactivityProposal)).first() is not None:
            proposed_on = monday
    assert proposed_on == utc("2027-06-14T08:30"), "7 June is 182 days in; 14 June is 189"

    def proposed(period: str) -> set[int]:
        query = select(InactivityProposal.person_id).where(InactivityProposal.period == period)
        return set(db.exec(query).all())

    assert person(db, "ziafazal").id not in proposed("2027-W24"), "a question in December, 181 days before"
    assert person(db, "bradenmacdonald").id in proposed("2027-W24")
    assert person(db, "ziafazal").id in proposed("2027-W25"), "188 days after the question"
    lists = [m for m in slack.messages("U0ADMIN99") if "Inactive committers" in json.dumps(m["blocks"])]
    assert [m["text"].split(" (")[-1] for m in lists] == [
        "2027-W24)",
        "2027-W25)",
        "2027-W26)",
        "2027-W27)",
    ], "one list a week while nobody decides"


def test_the_review_keeps_its_local_time_across_the_dst_change(db_url: str, slack: SlackStandIn) -> None:
    settings = bot_settings(db_url, slack, CCBOT_DIGEST_TIMEZONE="America/New_York")
    spec = JOBS["inactivity_review"]
    assert spec.describe(settings) == "mon 08:30 America/New_York"
    assert spec.next_run(utc("2026-10-23T12:00"), settings) == utc("2026-10-26T12:30")  # EDT
    assert spec.next_run(utc("2026-10-30T12:00"), settings) == utc("2026-11-02T13:30")  # EST


def test_admins_see_renewal_progress_and_inactivity_in_app_home(
    bot: RunningBot, clock: list[dt.datetime]
) -> None:
    with bot.runtime.session_factory() as session:
        open_renewal(
            session,
            year=2027,
            who="individuals",
            closes_on=dt.date(2027, 6, 30),
            now=utc("2027-06-01T10:00"),
            actor="t",
            policy=bot.runtime.policy,
        )
    bot.bot.run_job("inactivity_review", now=utc("2026-11-30T08:30"))
    clock[0] = utc("2027-06-10T10:00")  # 196 days after the roster (and its grants) came in
    event = {
        "type": "app_home_opened",
        "user": "U0ADMIN01",
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": "1.2",
    }
    bot.sender.event(event, event_id="EvAdminYearly")
    wait_until(lambda: "U0ADMIN01" in bot.slack.state.home_views, what="admin home")
    text = json.dumps(bot.slack.state.home_views["U0ADMIN01"]["blocks"])
    assert "Recommitment 2027, individuals* (open until 2027-06-30): 0 of 8 answered" in text
    assert "Inactive for more than 183 days:* 9" in text


def at(text: str) -> dt.datetime:
    return utc(text)


@pytest.fixture
def github_bot(db_url: str, slack: SlackStandIn, github: GitHubStandIn) -> Iterator[Bot]:
    """The bot with GitHub's API pointed at the stand-in."""
    built = make_bot(db_url, slack, GITHUB_API_URL=github.url, CCBOT_GITHUB_TOKEN=github.token)
    yield built
    built.close()


def _history(github: GitHubStandIn) -> None:
    """GitHub's record of the pilot committers' work before ccbot watched it."""
    # Updated after its merge: sorted by update, it comes first, yet #501 was merged later.
    github.add_pull(
        "openedx/edx-platform",
        480,
        author="ziafazal",
        merged_at=at("2026-09-20T10:00"),
        updated_at=at("2026-11-20T10:00"),
    )
    github.add_pull("openedx/edx-platform", 501, author="ziafazal", merged_at=at("2026-10-01T12:00"))
    # Braden reviewed #77 long ago and it was updated since; his review of #60 is the later one.
    github.add_pull(
        "openedx/XBlock",
        77,
        author="someone",
        reviews=[("bradenmacdonald", at("2026-08-01T09:00"))],
        updated_at=at("2026-11-01T09:00"),
    )
    github.add_pull(
        "openedx/XBlock",
        60,
        author="other",
        reviews=[("BradenMacDonald", at("2026-09-15T09:00")), ("ziafazal", at("2026-09-16T09:00"))],
    )
    github.add_pull("openedx/edx-platform", 100, author="felipemontoya", merged_at=at("2025-03-01T12:00"))
    # Outside the program's organisations, and a review of one's own pull request: neither counts.
    github.add_pull("pdpinch/dotfiles", 3, author="pdpinch", merged_at=at("2026-11-01T12:00"))
    github.add_pull(
        "openedx/edx-ora2", 5, author="pomegranited", reviews=[("pomegranited", at("2026-11-01T12:00"))]
    )


def _signs(db: Session, handle: str) -> list[tuple[str, str, dt.datetime]]:
    db.expire_all()
    rows = db.exec(select(Activity).where(Activity.person_id == person(db, handle).id)).all()
    return sorted((str(a.kind), a.ref, a.at) for a in rows)


def test_the_first_review_with_github_reads_each_committers_latest_work_once(
    db: Session, github_bot: Bot, github: GitHubStandIn, slack: SlackStandIn
) -> None:
    _history(github)
    first = at("2026-12-07T08:30")
    # Not under freeze_time: githubkit imports its models lazily, and they break when built on a frozen clock.
    github_bot.run_job("inactivity_review", now=first)
    assert _signs(db, "ziafazal") == [
        ("authored", "openedx/edx-platform#501", at("2026-10-01T12:00")),
        ("reviewed", "openedx/XBlock#60", at("2026-09-16T09:00")),
    ]
    assert _signs(db, "bradenmacdonald") == [("reviewed", "openedx/XBlock#60", at("2026-09-15T09:00"))]
    assert _signs(db, "felipemontoya") == [("authored", "openedx/edx-platform#100", at("2025-03-01T12:00"))]
    assert _signs(db, "pdpinch") == [], "only work in the program's organisations counts"
    assert _signs(db, "pomegranited") == [], "reviewing one's own pull request is no review"
    searches = [c for c in github.calls if c.path == "/search/issues"]
    assert {c.query["q"] for c in searches} >= {"is:pr is:merged author:ziafazal org:openedx"}
    proposed = {p.person_id for p in db.exec(select(InactivityProposal)).all()}
    assert proposed == {person(db, "felipemontoya").id}, "only who has not merged nor reviewed for 183 days"
    lists = [m for m in slack.messages("U0ADMIN99") if "Inactive committers" in json.dumps(m["blocks"])]
    assert "2025-03-01" in json.dumps(lists[0]["blocks"])
    [done] = db.exec(select(AuditEntry).where(AuditEntry.action == "activity.backfilled")).all()
    assert done.details["read"] == 9

    github_bot.run_job("inactivity_review", now=first + dt.timedelta(days=7))
    assert [c for c in github.calls if c.path == "/search/issues"] == searches, "read once"


def test_a_backfill_another_instance_holds_is_left_to_it_and_a_failed_one_is_tried_again(
    db: Session, github_bot: Bot, github: GitHubStandIn
) -> None:
    _history(github)
    first = at("2026-12-07T08:30")
    db.add(ProgramSetting(key="github_activity_backfill:2026-12-07", value="2026-12-07T08:29:59+00:00"))
    db.commit()
    github_bot.run_job("inactivity_review", now=first)
    assert github.calls == [], "another instance is reading GitHub"
    # The next week GitHub's rate limit is spent for an hour: nothing is recorded, the review goes on.
    github.rate_limit("/search/issues", count=1, reset_in=3600)
    github_bot.run_job("inactivity_review", now=first + dt.timedelta(days=7))
    assert _signs(db, "ziafazal") == []
    assert db.get(ProgramSetting, "github_activity_backfill") is None
    github_bot.run_job("inactivity_review", now=first + dt.timedelta(days=14))
    assert _signs(db, "ziafazal")[0] == ("authored", "openedx/edx-platform#501", at("2026-10-01T12:00"))
