"""Who must hear about what, and when: agreements close to their end, and committers still onboarding.

Lapses and activations are told where standings are stored, in `bot.services.roster.statuses`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping

from sqlmodel import Session

from bot.services.business_hours import zone
from bot.services.outbox import Outgoing, commit
from bot.services.policy import current_policy
from bot.services.quiet import reminder
from bot.services.roster.people import list_admins
from bot.services.roster.profiles import get_profile
from bot.types.keys import Kind
from bot.types.policy import Policy, WorkingHours
from bot.types.reminders import ExpiryNotice, OnboardingGaps
from bot.views import reminders as views
from storage import digest as digest_store
from storage import roster as store
from storage.models import Agreement, AgreementKind, Organization, Person, Role, Status

# Members of an organisation are read this many at a time, with their champions.
MEMBER_PAGE = 500


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
                self._session, self._organization_id, Role.COMMITTER, after=after, limit=self._page_size
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
            self._count = store.count_current_members(self._session, self._organization_id, Role.COMMITTER)
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
    committer = Role.COMMITTER

    # The smallest threshold at or above each number of days left, looked up once per agreement.
    by_days_left = {days: min(t for t in thresholds if days <= t) for days in range(max(thresholds) + 1)}

    def threshold(agreement: Agreement) -> int:
        return by_days_left[((agreement.expires_on or today) - today).days]

    def reaches_champions(agreement: Agreement) -> bool:
        return champion_thresholds is None or threshold(agreement) in champion_thresholds

    def required(agreement: Agreement) -> bool:
        return policy.nda_required or agreement.kind != AgreementKind.NDA

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
        entity = agreement.kind == AgreementKind.ENTITY
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


def list_onboarding_gaps(session: Session, *, today: dt.date) -> list[OnboardingGaps]:
    """Return every current committer still onboarding, with what they lack."""
    stuck = []
    # Only committers stored as onboarding can still be onboarding: the rest are not read.
    for person in digest_store.list_committers_with_status(session, Status.ONBOARDING):
        if person.id is None:
            continue
        profile = get_profile(session, person.id, today=today)
        if profile.standing.status is Status.ONBOARDING:
            stuck.append(OnboardingGaps(person, profile.standing.gaps))
    return stuck


# -- the messages reminders send -------------------------------------------------------------------

# Champions (and organisation contacts) hear only at these thresholds.
CHAMPION_THRESHOLDS = {7, 1}


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
