"""The managers' weekly digest: the past week's numbers, computed by aggregate queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.services.deployments import ALERT_EVENTS
from bot.services.keys import Kind
from bot.services.outbox import Outgoing, commit, post
from bot.services.policy import Channels, LifecyclePolicy
from bot.services.reminders import OnboardingGaps, list_onboarding_gaps
from bot.services.yearly import YearlyOverview, yearly_overview
from bot.views import digest as views
from storage import digest as store
from storage import roster as roster_store
from storage.models import AgreementKind, Person, Retro, Status
from storage.nominations import count_open_nominations

WEEK = dt.timedelta(days=7)
EXPIRY_HORIZON = dt.timedelta(days=30)


@dataclass(frozen=True)
class ChampionLoad:
    """One champion's (or responder's) open questions now and answers this week."""

    person: Person
    open: int
    answered: int
    median_first_response: dt.timedelta | None = None


@dataclass(frozen=True)
class Expiring:
    """A required agreement ending within the horizon: whose, which kind, when."""

    holder: str
    kind: AgreementKind
    expires_on: dt.date


@dataclass
class Digest:
    """What the weekly digest reports for the week ending at `end`."""

    start: dt.datetime
    end: dt.datetime
    asked: int
    answered: int
    still_open: int
    first_response_median: dt.timedelta | None
    first_response_p90: dt.timedelta | None
    loads: list[ChampionLoad]
    escalations_opened: int
    escalations_acknowledged: int
    escalations_resolved: int
    escalations_overdue: int
    expiring: list[Expiring] = field(default_factory=list)
    lapsed: list[Person] = field(default_factory=list)
    onboarding: list[OnboardingGaps] = field(default_factory=list)
    retro: tuple[Retro, int, int] | None = None
    notices: int = 0
    pending_nominations: int = 0
    reverted: int = 0
    time_to_revert: dt.timedelta | None = None
    yearly: YearlyOverview | None = None

    @property
    def period(self) -> str:
        """The ISO week the digest is for, as a key (`2026-W50`)."""
        year, week, _ = self.end.date().isocalendar()
        return f"{year}-W{week:02d}"


def build_digest(session: Session, *, now: dt.datetime, lifecycle: LifecyclePolicy | None = None) -> Digest:
    """Return the digest of the seven days before `now` (with the yearly cycle's rounds and inactivity)."""
    start = now - WEEK
    asked, answered, still_open = store.count_questions(session, start=start, end=now)
    median, p90 = store.first_response_percentiles(session, start=start, end=now, percentiles=(0.5, 0.9))
    rows = store.champion_loads(session, start=start, end=now)
    medians = store.first_response_medians(session, start=start, end=now)
    people = roster_store.list_people_by_ids(session, [person_id for person_id, _, _ in rows])
    loads = [
        ChampionLoad(people[pid], open_, done, dt.timedelta(seconds=medians[pid]) if pid in medians else None)
        for pid, open_, done in rows
        if pid in people
    ]
    opened, acknowledged, resolved, overdue = store.count_escalations(session, start=start, end=now)
    alerts = [e.value for e in ALERT_EVENTS]
    notices, reverted, revert_seconds = store.notice_stats(session, start=start, end=now, events=alerts)
    today = now.date()
    expiring = []
    ending = roster_store.list_expiring_agreements(
        session, after=today - dt.timedelta(days=1), until=today + EXPIRY_HORIZON
    )
    holders = roster_store.list_people_by_ids(
        session, [a.person_id for a in ending if a.person_id is not None]
    )
    for agreement in ending:
        assert agreement.expires_on is not None
        if agreement.person_id is not None:
            holder = holders.get(agreement.person_id)
            if holder is None or holder.removed_on is not None:
                continue
            label = holder.github
        else:
            org = roster_store.get_organization(session, agreement.organization_id or 0)
            if org is None or not org.is_provider:
                continue
            label = org.name
        expiring.append(Expiring(label, AgreementKind(agreement.kind), agreement.expires_on))
    return Digest(
        start=start,
        end=now,
        asked=asked,
        answered=answered,
        still_open=still_open,
        first_response_median=dt.timedelta(seconds=median) if median is not None else None,
        first_response_p90=dt.timedelta(seconds=p90) if p90 is not None else None,
        loads=loads,
        escalations_opened=opened,
        escalations_acknowledged=acknowledged,
        escalations_resolved=resolved,
        escalations_overdue=overdue,
        expiring=expiring,
        lapsed=store.list_committers_with_status(session, Status.LAPSED.value),
        onboarding=list_onboarding_gaps(session, today=today),
        retro=store.latest_retro_rate(session),
        notices=notices,
        pending_nominations=count_open_nominations(session),
        reverted=reverted,
        time_to_revert=dt.timedelta(seconds=revert_seconds) if revert_seconds is not None else None,
        yearly=yearly_overview(session, now=now, policy=lifecycle or LifecyclePolicy()),
    )


def digest_recipients(session: Session) -> list[Person]:
    """Return the managers who get the digest by DM."""
    return roster_store.list_people_with_role(session, "manager")


def queue_weekly_digest(
    session: Session, *, now: dt.datetime, channels: Channels, lifecycle: LifecyclePolicy | None = None
) -> tuple[str, int]:
    """Queue this week's digest once per manager and for the digest channel (with the CSV when the table
    does not fit); return the week and how many messages were queued."""
    digest = build_digest(session, now=now, lifecycle=lifecycle)
    blocks = views.digest_blocks(digest)
    text = views.digest_text(digest)
    recipients = [(str(p.id), p.slack_user_id) for p in digest_recipients(session)]
    recipients.append(("channel", channels.digest))
    messages: list[Outgoing | None] = []
    for recipient, channel in recipients:
        messages.append(post(Kind.DIGEST, [digest.period, recipient], channel, text, blocks=blocks))
        if len(digest.loads) > views.MAX_LOAD_ROWS:
            messages.append(
                post(
                    Kind.DIGEST,
                    [digest.period, recipient, "csv"],
                    channel,
                    views.load_csv(digest),
                    file_name=f"champion-load-{digest.period}.csv",
                )
            )
    return digest.period, len(commit(session, messages, now=now))
