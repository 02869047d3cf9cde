"""The managers' weekly digest: the past week's numbers, from two aggregate statements and a few short lists."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.services.outbox import Outgoing, commit, post, upload, upload_picture
from bot.services.reminders import list_onboarding_gaps
from bot.services.responsiveness import measure, nudge_report, responsiveness_series, week_numbers
from bot.services.yearly import yearly_overview
from bot.types.digest import ChampionLoad, Digest, Expiring
from bot.types.keys import Kind
from bot.types.notices import ALERT_EVENTS
from bot.types.policy import DEFAULT_HOURS, Channels, LifecyclePolicy, Policy, WorkingHours
from bot.views import chart as chart_views
from bot.views import digest as views
from storage import digest as store
from storage import github as github_store
from storage import roster as roster_store
from storage.models import AgreementKind, Person, Role, Status

WEEK = dt.timedelta(days=7)
EXPIRY_HORIZON = dt.timedelta(days=30)
# Weeks of responsiveness the digest's chart shows.
CHART_WEEKS = 12


def build_digest(
    session: Session,
    *,
    now: dt.datetime,
    lifecycle: LifecyclePolicy | None = None,
    hours: WorkingHours = DEFAULT_HOURS,
    response_target: dt.timedelta = Policy.response_target,
) -> Digest:
    """Return the digest of the seven days before `now` (with the yearly cycle's rounds and inactivity, and the
    champions' responsiveness in business time against the target)."""
    start = now - WEEK
    measured = measure(session, start=start, end=now)
    questions = store.question_numbers(session, start=start, end=now, percentiles=(0.5, 0.9))
    median, p90 = questions.percentiles
    week = store.week_numbers(session, start=start, end=now, events=list(ALERT_EVENTS))
    today = now.date()
    return Digest(
        start=start,
        end=now,
        asked=questions.asked,
        answered=questions.answered,
        still_open=questions.still_open,
        first_response_median=_seconds(median),
        first_response_p90=_seconds(p90),
        loads=[
            ChampionLoad(row.person, row.open, row.answered, _seconds(row.median_first_response))
            for row in questions.loads
        ],
        escalations_opened=week.escalations_opened,
        escalations_acknowledged=week.escalations_acknowledged,
        escalations_resolved=week.escalations_resolved,
        escalations_overdue=week.escalations_overdue,
        expiring=[
            Expiring(holder, AgreementKind(kind), ends)
            for holder, kind, ends in store.list_expiring(
                session, after=today - dt.timedelta(days=1), until=today + EXPIRY_HORIZON
            )
        ],
        lapsed=store.list_committers_with_status(session, Status.LAPSED),
        onboarding=list_onboarding_gaps(session, today=today),
        retro=week.retro,
        notices=week.notices,
        pending_nominations=week.pending_nominations,
        reverted=week.reverted,
        time_to_revert=_seconds(week.median_revert),
        github=github_store.activity_totals(session, since=start, until=now),
        yearly=yearly_overview(session, now=now, policy=lifecycle or LifecyclePolicy()),
        responsiveness=week_numbers(
            measured, start=start.date(), answered=questions.answered, now=now, hours=hours
        ),
        nudges=nudge_report(session, start=start, end=now, now=now, hours=hours, items=measured),
        response_target=response_target,
    )


def _seconds(value: float | None) -> dt.timedelta | None:
    # SQLite's julianday arithmetic is a few microseconds off (7199.99999 for two hours): whole milliseconds.
    return None if value is None else dt.timedelta(seconds=round(value, 3))


def digest_recipients(session: Session) -> list[Person]:
    """Return the managers who get the digest by DM."""
    return roster_store.list_people_with_role(session, Role.MANAGER)


def queue_weekly_digest(
    session: Session,
    *,
    now: dt.datetime,
    channels: Channels,
    lifecycle: LifecyclePolicy | None = None,
    policy: Policy | None = None,
) -> tuple[str, int]:
    """Queue this week's digest once per manager and for the digest channel, each with the chart of the last
    twelve weeks (and the CSV when the table does not fit); return the week and how many messages were queued.

    The champion load is a table block; should Slack refuse it, the same digest with the load as a list goes
    instead.
    """
    policy = policy or Policy()
    digest = build_digest(
        session,
        now=now,
        lifecycle=lifecycle or policy.lifecycle,
        hours=policy.hours,
        response_target=policy.response_target,
    )
    blocks = views.digest_blocks(digest, table=True)
    plain = views.digest_blocks(digest)
    text = views.digest_text(digest)
    series = responsiveness_series(
        session, now=now, weeks=CHART_WEEKS, target=policy.response_target, hours=policy.hours
    )
    chart = chart_views.chart_png(series)
    alt_text = chart_views.chart_alt_text(series)
    recipients = [(str(p.id), p.slack_user_id) for p in digest_recipients(session)]
    recipients.append(("channel", channels.digest))
    messages: list[Outgoing | None] = []
    for recipient, channel in recipients:
        parts = [digest.period, recipient]
        fallback = post(Kind.DIGEST, [*parts, "plain"], channel, text, blocks=plain)
        messages.append(post(Kind.DIGEST, parts, channel, text, blocks=blocks, fallback=fallback))
        messages.append(
            upload_picture(
                Kind.DIGEST,
                [*parts, "chart"],
                channel,
                f"responsiveness-{digest.period}.png",
                chart,
                alt_text,
            )
        )
        if len(digest.loads) > views.MAX_LOAD_ROWS:
            messages.append(
                upload(
                    Kind.DIGEST,
                    [digest.period, recipient, "csv"],
                    channel,
                    f"champion-load-{digest.period}.csv",
                    views.load_csv(digest),
                )
            )
    return digest.period, len(commit(session, messages, now=now))
