"""Who must hear about what, and when: agreement expiry, lapses and renewals, onboarding gaps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass

from sqlmodel import Session

from bot.services.admins import admin_ids
from bot.services.business_hours import WorkingHours, zone
from bot.services.keys import Kind
from bot.services.outbox import Outgoing, commit, dm
from bot.services.policy import Channels, Policy, current_policy
from bot.services.quiet import reminder
from bot.services.roster import get_profile, list_admins, refresh_statuses
from bot.services.standing import Gap
from bot.views import reminders as views
from storage import digest as digest_store
from storage import roster as store
from storage.models import Agreement, AgreementKind, Organization, Person, Role, Status

# Members of an organisation are read this many at a time, with their champions.
MEMBER_PAGE = 500


@dataclass(frozen=True)
class ExpiryNotice:
    """A required agreement close to its end, the threshold it crossed, and who is affected."""

    agreement: Agreement
    kind: AgreementKind
    expires_on: dt.date
    days_left: int
    threshold: int
    committers: Collection[Person]
    organization: Organization | None
    champions: Mapping[int, list[Person]]
    org_contact: Person | None


class Members(Collection[Person]):
    """An organisation's current committers, read page by page as they are iterated, never all at once.

    Built by the expiry scan for an entity agreement: the scan itself reads no member, so its cost does
    not grow with the organisation; whoever sends the reminders walks the members in pages.
    """

    def __init__(
        self, session: Session, organization_id: int, *, with_champions: bool, page_size: int = MEMBER_PAGE
    ) -> None:
        self._session = session
        self._organization_id = organization_id
        self._with_champions = with_champions
        self._page_size = page_size
        self._count: int | None = None
        # The champions of the page being walked, keyed by committer id.
        self.page_champions: dict[int, list[Person]] = {}

    def __iter__(self) -> Iterator[Person]:
        after: str | None = None
        while True:
            page = store.list_current_members(
                self._session, self._organization_id, Role.COMMITTER.value, after=after, limit=self._page_size
            )
            if self._with_champions:
                found = store.champions_by_committer(self._session, [p.id or 0 for p in page])
                self.page_champions = {p.id or 0: found.get(p.id or 0, []) for p in page}
            else:
                self.page_champions = {p.id or 0: [] for p in page}
            yield from page
            if len(page) < self._page_size:
                return
            after = page[-1].github_key

    def __len__(self) -> int:
        if self._count is None:
            self._count = store.count_current_members(
                self._session, self._organization_id, Role.COMMITTER.value
            )
        return self._count

    def __contains__(self, person: object) -> bool:
        return isinstance(person, Person) and any(p.id == person.id for p in self)


class MemberChampions(Mapping[int, list[Person]]):
    """The champions of an organisation's members, for the page of members being walked."""

    def __init__(self, members: Members) -> None:
        self._members = members

    def __getitem__(self, committer_id: int) -> list[Person]:
        if committer_id in self._members.page_champions:
            return self._members.page_champions[committer_id]
        # Asked outside the walk: look for the member from the start.
        for member in self._members:
            if member.id == committer_id:
                return self._members.page_champions[committer_id]
        raise KeyError(committer_id)

    def __iter__(self) -> Iterator[int]:
        return (member.id or 0 for member in self._members)

    def __len__(self) -> int:
        return len(self._members)


@dataclass(frozen=True)
class StatusChange:
    """A committer whose standing changed in this run, with the people to tell."""

    person: Person
    old: str
    new: str
    gaps: list[Gap]
    managers: list[Person]


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
    page_size: int = MEMBER_PAGE,
) -> list[ExpiryNotice]:
    """Return each required agreement of a current committer that crossed a reminder threshold, not renewed.

    An organisation's notice lists its committers lazily (`Members`, `page_size` at a time): the scan reads
    agreements and holders, not memberships. Champions are included for notices at `champion_thresholds`
    (all when None).
    """
    if not thresholds:
        return []
    policy = current_policy(session)
    until = today + dt.timedelta(days=max(thresholds))
    committer = Role.COMMITTER.value

    # The smallest threshold at or above each number of days left, looked up once per agreement.
    by_days_left = {days: min(t for t in thresholds if days <= t) for days in range(max(thresholds) + 1)}

    def threshold(agreement: Agreement) -> int:
        return by_days_left[((agreement.expires_on or today) - today).days]

    def reaches_champions(agreement: Agreement) -> bool:
        return champion_thresholds is None or threshold(agreement) in champion_thresholds

    def required(agreement: Agreement) -> bool:
        return policy.nda_required or AgreementKind(agreement.kind) is not AgreementKind.NDA

    people = [
        (agreement, holder)
        for agreement, holder, is_committer in store.list_expiring_person_agreements(
            session, after=today, until=until, role=committer
        )
        if is_committer and required(agreement)
    ]
    # One query for the champions of every committer whose notice reaches champions.
    champions = store.champions_by_committer(
        session, [holder.id or 0 for agreement, holder in people if reaches_champions(agreement)]
    )
    found: list[tuple[Agreement, list[Person] | Members, Organization | None, Mapping[int, list[Person]]]] = [
        (
            agreement,
            [holder],
            None,
            {holder.id or 0: champions.get(holder.id or 0, []) if reaches_champions(agreement) else []},
        )
        for agreement, holder in people
    ]
    for agreement, org, has_committers in store.list_expiring_organization_agreements(
        session, after=today, until=until, role=committer
    ):
        entity = AgreementKind(agreement.kind) is AgreementKind.ENTITY
        if not (has_committers and org.is_provider and entity and required(agreement)):
            continue
        members = Members(
            session, org.id or 0, with_champions=reaches_champions(agreement), page_size=page_size
        )
        found.append((agreement, members, org, MemberChampions(members)))

    notices = []
    for agreement, committers, organization, by_committer in sorted(
        found, key=lambda row: (row[0].expires_on or today, row[0].id or 0)
    ):
        assert agreement.expires_on is not None
        contact = None
        if organization is not None and organization.contact_email:
            contact = next(iter(store.list_people_by_email(session, organization.contact_email)), None)
        notices.append(
            ExpiryNotice(
                agreement=agreement,
                kind=AgreementKind(agreement.kind),
                expires_on=agreement.expires_on,
                days_left=(agreement.expires_on - today).days,
                threshold=threshold(agreement),
                committers=committers,
                organization=organization,
                champions=by_committer,
                org_contact=contact,
            )
        )
    return notices


def _is_current_committer(session: Session, person: Person) -> bool:
    return person.removed_on is None and Role.COMMITTER.value in store.list_roles(session, person.id or 0)


def apply_status_changes(session: Session, *, today: dt.date) -> list[StatusChange]:
    """Recompute standings (without committing) and return the committers who lapsed or became active."""
    return tellable_changes(session, refresh_statuses(session, today=today), today=today)


def tellable_changes(
    session: Session, moved: Iterable[tuple[Person, str, str]], *, today: dt.date
) -> list[StatusChange]:
    """Return, of the stored standings that moved (person, old, new), the lapses and activations to tell."""
    changes: list[StatusChange] = []
    moved = list(moved)
    if not moved:
        return changes
    managers = store.list_people_with_role(session, Role.MANAGER.value)
    for person, old, new in moved:
        if new not in {Status.LAPSED.value, Status.ACTIVE.value} or old == Status.ALUMNI.value:
            continue
        if not _is_current_committer(session, person):
            continue
        gaps = get_profile(session, person.id or 0, today=today).standing.gaps
        changes.append(StatusChange(person, old, new, gaps, managers))
    return changes


def list_onboarding_gaps(session: Session, *, today: dt.date) -> list[OnboardingGaps]:
    """Return every current committer still onboarding, with what they lack."""
    stuck = []
    # Only committers stored as onboarding can still be onboarding: the rest are not read.
    for person in digest_store.list_committers_with_status(session, Status.ONBOARDING.value):
        if person.id is None:
            continue
        profile = get_profile(session, person.id, today=today)
        if profile.standing.status is Status.ONBOARDING:
            stuck.append(OnboardingGaps(person, profile.standing.gaps))
    return stuck


# -- the messages reminders send -------------------------------------------------------------------

# Champions (and organisation contacts) hear only at these thresholds.
CHAMPION_THRESHOLDS = {7, 1}


def status_change_messages(
    session: Session, *, today: dt.date, channels: Channels | None = None
) -> list[Outgoing | None]:
    """Recompute standings (uncommitted) and return the notices each lapse or activation implies."""
    return status_notices(session, apply_status_changes(session, today=today), today=today, channels=channels)


def status_notices(
    session: Session, changes: list[StatusChange], *, today: dt.date, channels: Channels | None = None
) -> list[Outgoing | None]:
    """Return the notices these lapses and activations imply: the committer, and for a lapse managers and admins
    (those on the roster, and CCBOT_ADMINS from `channels`)."""
    admins = list_admins(session) if changes else []
    lapses = any(change.new == Status.LAPSED.value for change in changes)
    told = admin_ids(session, channels or Channels()) if lapses else []
    messages: list[Outgoing | None] = []
    for change in changes:
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
            managers = [p.slack_user_id for p in change.managers if p.slack_user_id]
            # Each manager or admin once, by Slack id; the committer is told above, never twice.
            for recipient in dict.fromkeys([*managers, *told]):
                if recipient != person.slack_user_id:
                    messages.append(
                        dm(
                            Kind.LAPSED,
                            [person.id, today, recipient],
                            recipient,
                            views.lapsed_to_manager(change),
                        )
                    )
        elif change.old == Status.LAPSED.value:
            messages.append(
                dm(Kind.ACTIVE_AGAIN, [person.id, today], person.slack_user_id, views.active_again(change))
            )
        elif change.old == Status.ONBOARDING.value:
            messages.append(
                dm(Kind.NOW_ACTIVE, [person.id, today], person.slack_user_id, views.now_active(change))
            )
    return messages


def queue_status_notices(session: Session, *, now: dt.datetime, channels: Channels | None = None) -> int:
    """Record lapses and renewals and commit them with their notices; return how many notices were queued."""
    # Status changes and their notices commit together, so a notice is never lost or repeated.
    return len(commit(session, status_change_messages(session, today=now.date(), channels=channels), now=now))


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
