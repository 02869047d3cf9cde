"""Who must hear about what, and when: agreement expiry, lapses and renewals, onboarding gaps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from bot.services.business_hours import WorkingHours, zone
from bot.services.keys import Kind
from bot.services.outbox import Outgoing, commit, dm
from bot.services.policy import Policy, current_policy
from bot.services.quiet import reminder
from bot.services.roster import get_profile, list_admins, refresh_statuses
from bot.services.status import Gap
from bot.views import reminders as views
from storage import roster as store
from storage.models import Agreement, AgreementKind, Organization, Person, Role, Status


@dataclass(frozen=True)
class ExpiryNotice:
    """A required agreement close to its end, the threshold it crossed, and who is affected."""

    agreement: Agreement
    kind: AgreementKind
    expires_on: dt.date
    days_left: int
    threshold: int
    committers: list[Person]
    organization: Organization | None
    champions: dict[int, list[Person]]
    org_contact: Person | None


@dataclass(frozen=True)
class StatusChange:
    """A committer whose standing changed in this run, with the people to tell."""

    person: Person
    old: str
    new: str
    gaps: list[Gap]
    managers: list[Person]
    admins: list[Person]


@dataclass(frozen=True)
class OnboardingGaps:
    """A committer still onboarding and exactly what they lack."""

    person: Person
    gaps: list[Gap]


def is_working_time(instant: dt.datetime, person: Person, hours: WorkingHours) -> bool:
    """Whether `instant` falls in this person's working hours, in their time zone."""
    local = instant.astimezone(zone(person.timezone))
    return local.weekday() in hours.weekdays and hours.start <= local.time() < hours.end


def list_expiry_notices(
    session: Session,
    *,
    today: dt.date,
    thresholds: tuple[int, ...],
    champion_thresholds: set[int] | None = None,
) -> list[ExpiryNotice]:
    """Return each required agreement of a current committer that crossed a reminder threshold, not renewed."""
    if not thresholds:
        return []
    policy = current_policy(session)
    found = []
    expiring = store.list_expiring_agreements(
        session, after=today, until=today + dt.timedelta(days=max(thresholds))
    )
    holder_ids = [a.person_id for a in expiring if a.person_id is not None]
    holders = store.list_people_by_ids(session, holder_ids)
    holder_roles = store.roles_of(session, holder_ids)
    for agreement in expiring:
        assert agreement.expires_on is not None
        kind = AgreementKind(agreement.kind)
        if kind is AgreementKind.NDA and not policy.nda_required:
            continue
        organization = None
        if agreement.person_id is not None:
            holder = holders.get(agreement.person_id)
            current = holder is not None and holder.removed_on is None
            committers = (
                [holder]
                if holder and current and Role.COMMITTER.value in holder_roles[holder.id or 0]
                else []
            )
        else:
            organization = store.get_organization(session, agreement.organization_id or 0)
            if organization is None or not organization.is_provider or kind is not AgreementKind.ENTITY:
                continue
            committers = store.list_current_members(session, organization.id or 0, Role.COMMITTER.value)
        if committers:
            found.append((agreement, kind, organization, committers))

    # One query for the champions of every committer whose notice reaches champions (all, when not said).
    def threshold(agreement: Agreement) -> int:
        days_left = ((agreement.expires_on or today) - today).days
        return min(t for t in thresholds if days_left <= t)

    wanted = [
        c.id or 0
        for agreement, _, _, people in found
        if champion_thresholds is None or threshold(agreement) in champion_thresholds
        for c in people
    ]
    champions = store.champions_by_committer(session, wanted)
    notices = []
    for agreement, kind, organization, committers in found:
        assert agreement.expires_on is not None
        days_left = (agreement.expires_on - today).days
        contact = None
        if organization is not None and organization.contact_email:
            contact = next(iter(store.list_people_by_email(session, organization.contact_email)), None)
        notices.append(
            ExpiryNotice(
                agreement=agreement,
                kind=kind,
                expires_on=agreement.expires_on,
                days_left=days_left,
                threshold=min(t for t in thresholds if days_left <= t),
                committers=committers,
                organization=organization,
                champions={c.id or 0: champions.get(c.id or 0, []) for c in committers},
                org_contact=contact,
            )
        )
    return notices


def _is_current_committer(session: Session, person: Person) -> bool:
    return person.removed_on is None and Role.COMMITTER.value in store.list_roles(session, person.id or 0)


def apply_status_changes(session: Session, *, today: dt.date) -> list[StatusChange]:
    """Recompute standings (without committing) and return the committers who lapsed or became active."""
    changes = []
    managers = store.list_people_with_role(session, Role.MANAGER.value)
    admins = store.list_people_with_role(session, Role.ADMIN.value)
    for person, old, new in refresh_statuses(session, today=today):
        if new not in {Status.LAPSED.value, Status.ACTIVE.value} or old == Status.ALUMNI.value:
            continue
        if not _is_current_committer(session, person):
            continue
        gaps = get_profile(session, person.id or 0, today=today).standing.gaps
        changes.append(StatusChange(person, old, new, gaps, managers, admins))
    return changes


def list_onboarding_gaps(session: Session, *, today: dt.date) -> list[OnboardingGaps]:
    """Return every current committer still onboarding, with what they lack."""
    stuck = []
    for person in store.list_people_with_role(session, Role.COMMITTER.value):
        if person.status != Status.ONBOARDING.value or person.id is None:
            continue
        profile = get_profile(session, person.id, today=today)
        if profile.standing.status is Status.ONBOARDING:
            stuck.append(OnboardingGaps(person, profile.standing.gaps))
    return stuck


# -- the messages reminders send -------------------------------------------------------------------

# Champions (and organisation contacts) hear only at these thresholds.
CHAMPION_THRESHOLDS = {7, 1}


def queue_status_notices(session: Session, *, now: dt.datetime) -> int:
    """Record lapses and renewals and commit them with their notices; return how many notices were queued."""
    admins = list_admins(session)
    today = now.date()
    messages: list[Outgoing | None] = []
    for change in apply_status_changes(session, today=today):
        person = change.person
        if change.new == Status.LAPSED.value:
            messages.append(
                dm(
                    Kind.LAPSED,
                    [person.id, today, person.id],
                    person.slack_user_id,
                    views.lapsed_to_committer(change, admins),
                )
            )
            for recipient in {p.id: p for p in [*change.managers, *change.admins]}.values():
                messages.append(
                    dm(
                        Kind.LAPSED,
                        [person.id, today, recipient.id],
                        recipient.slack_user_id,
                        views.lapsed_to_manager(change),
                    )
                )
        elif change.old == Status.LAPSED.value:
            messages.append(
                dm(Kind.ACTIVE_AGAIN, [person.id, today], person.slack_user_id, views.active_again(change))
            )
    # Status changes and their notices commit together, so a notice is never lost or repeated.
    return len(commit(session, messages, now=now))


def queue_expiry_reminders(session: Session, *, now: dt.datetime, policy: Policy) -> int:
    """Queue each due reminder before an agreement ends, once per recipient and threshold; return how many."""
    admins = list_admins(session)
    queued = 0
    notices = list_expiry_notices(
        session,
        today=now.date(),
        thresholds=policy.expiry_reminder_days,
        champion_thresholds=CHAMPION_THRESHOLDS,
    )
    for notice in notices:
        reminders: list[Outgoing | None] = []
        parts = [notice.agreement.id, notice.threshold]
        for committer in notice.committers:
            # The last reminder goes out at once: waiting for office hours could mean after the expiry.
            if notice.days_left <= 1 or is_working_time(now, committer, policy.hours):
                reminders.append(
                    reminder(
                        session,
                        Kind.EXPIRY,
                        [*parts, committer.id],
                        committer,
                        views.expiry_to_committer(notice, admins),
                        now=now,
                        hours=policy.hours,
                    )
                )
            if notice.threshold in CHAMPION_THRESHOLDS:
                reminders += [
                    reminder(
                        session,
                        Kind.EXPIRY,
                        [*parts, committer.id, champion.id],
                        champion,
                        views.expiry_to_champion(notice, committer),
                        now=now,
                        hours=policy.hours,
                    )
                    for champion in notice.champions.get(committer.id or 0, [])
                ]
        contact = notice.org_contact
        if notice.threshold in CHAMPION_THRESHOLDS and contact is not None:
            reminders.append(
                reminder(
                    session,
                    Kind.EXPIRY,
                    [*parts, "contact", contact.id],
                    contact,
                    views.expiry_to_contact(notice),
                    now=now,
                    hours=policy.hours,
                )
            )
        queued += len(commit(session, reminders, now=now))
    return queued


def queue_onboarding_reminders(session: Session, *, now: dt.datetime, hours: WorkingHours) -> int:
    """Queue this week's reminder for each onboarding committer in their working hours; return how many."""
    admins = list_admins(session)
    year, week, _ = now.date().isocalendar()
    messages = [
        reminder(
            session,
            Kind.ONBOARDING,
            [stuck.person.id, f"{year}-W{week:02d}"],
            stuck.person,
            views.onboarding_reminder(stuck, admins),
            now=now,
            hours=hours,
        )
        for stuck in list_onboarding_gaps(session, today=now.date())
        if is_working_time(now, stuck.person, hours)
    ]
    return len(commit(session, messages, now=now))
