"""A round of the yearly recommitment: its dates, its members' cards, opening it (by hand or on schedule), and
its progress."""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from bot.services.audit import audit
from bot.services.errors import UserError
from bot.services.outbox import Outgoing, commit
from bot.services.quiet import Wanted, reminders
from bot.services.roster import list_admins
from bot.services.roster.formats.yaml_lines import gc_paused
from bot.types.keys import Kind
from bot.types.policy import Policy
from bot.types.renewals import MemberCard, Opened, RoundProgress
from bot.views import renewals as views
from storage import renewals as store
from storage import roster as roster_store
from storage.models import (
    Organization,
    Person,
    Renewal,
    RenewalAnswer,
    RenewalAudience,
    RenewalMember,
    RenewalOutcome,
    Role,
    Status,
)

logger = logging.getLogger(__name__)

ALL = "all"
# A round must leave time for its reminders: the last one goes two days before the deadline.
MIN_OPEN = dt.timedelta(days=3)
LAST_REMINDER = dt.timedelta(days=2)
# A scheduled round still opens this many days after its date (the bot may have been down that day).
CATCH_UP_DAYS = 7
# App Home and the digest keep showing a round this long after it closed.
SHOWN_AFTER_CLOSING = dt.timedelta(days=45)
SETTLED_AWAY = {RenewalOutcome.ALUMNI, RenewalOutcome.AGREEMENT_ENDED}


def renewal_year(day: dt.date) -> int:
    """Return the year a round opened on `day` recommits for: the coming year from July on."""
    return day.year + 1 if day.month >= 7 else day.year


def scheduled_date(year: int, month: int, day: int) -> dt.date:
    """Return `month`-`day` of `year` (the 29th of February falls on the 28th outside leap years)."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def closing_instant(closes_on: dt.date) -> dt.datetime:
    """Return when a round closing on `closes_on` closes: the end of that day, UTC."""
    return dt.datetime.combine(closes_on + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def add_month(instant: dt.datetime) -> dt.datetime:
    """Return the same moment a month later (the 31st of January gives the last day of February)."""
    year, month = (instant.year + 1, 1) if instant.month == 12 else (instant.year, instant.month + 1)
    return instant.replace(year=year, month=month, day=min(instant.day, calendar.monthrange(year, month)[1]))


def member_card(session: Session, member: RenewalMember, renewal: Renewal | None = None) -> MemberCard:
    """Return a member's card: the member with its round, person, organisation and contact."""
    renewal = renewal or store.get_renewal(session, member.renewal_id)
    assert renewal is not None

    def person(person_id: int | None) -> Person | None:
        return roster_store.get_person(session, person_id) if person_id else None

    organization = (
        roster_store.get_organization(session, member.organization_id) if member.organization_id else None
    )
    return MemberCard(member, renewal, person(member.person_id), organization, person(member.contact_id))


def member_cards(session: Session, renewal: Renewal, members: Sequence[RenewalMember]) -> list[MemberCard]:
    """Return the cards of many members of one round, their people and organisations read at once."""
    people = roster_store.list_people_by_ids(
        session, [i for m in members for i in (m.person_id, m.contact_id) if i is not None]
    )
    organizations = (
        {o.id: o for o in roster_store.list_organizations(session)}
        if any(m.organization_id for m in members)
        else {}
    )
    return [
        MemberCard(
            m,
            renewal,
            people.get(m.person_id) if m.person_id else None,
            organizations.get(m.organization_id) if m.organization_id else None,
            people.get(m.contact_id) if m.contact_id else None,
        )
        for m in members
    ]


# -- opening -------------------------------------------------------------------------------------------


def _audiences(who: str) -> list[RenewalAudience]:
    if who == ALL:
        return [RenewalAudience.ORGANIZATIONS, RenewalAudience.INDIVIDUALS]
    try:
        return [RenewalAudience(who)]
    except ValueError:
        raise UserError(f"--who must be individuals, organizations or all (not {who!r})") from None


def organization_contact(session: Session, organization: Organization) -> Person | None:
    """Return the roster person (not an alumnus) behind an organisation's contact email, or None."""
    if not organization.contact_email:
        return None
    people = roster_store.list_people_by_email(session, organization.contact_email)
    return next((p for p in people if p.removed_on is None), None)


def organization_contacts(session: Session, organizations: Sequence[Organization]) -> dict[int, Person]:
    """Return `organization_contact` of each organisation that has one, by organisation id, in one query."""
    emails = {o.contact_email.strip().lower() for o in organizations if o.contact_email}
    by_email: dict[str, Person] = {}
    for p in roster_store.list_people_by_emails(session, emails):
        if p.removed_on is None and p.email:
            by_email.setdefault(p.email.lower(), p)
    return {
        o.id: by_email[o.contact_email.strip().lower()]
        for o in organizations
        if o.id is not None and o.contact_email and o.contact_email.strip().lower() in by_email
    }


def _members(
    session: Session, audience: RenewalAudience
) -> list[tuple[Person | None, Organization | None, Person | None]]:
    """Return who a new round asks, as (committer, organisation, contact)."""
    if audience is RenewalAudience.INDIVIDUALS:
        committers = roster_store.list_people_with_role(session, Role.COMMITTER)
        return [(p, None, p) for p in committers if p.status == Status.ACTIVE]
    providers = roster_store.list_providers_with_members(session, Role.COMMITTER)
    contacts = organization_contacts(session, providers)
    return [(None, o, contacts.get(o.id or 0)) for o in providers]


def invitation(
    session: Session,
    card: MemberCard,
    admins: Sequence[Person],
    *,
    now: dt.datetime,
    policy: Policy,
    handed_over: bool = False,
) -> Outgoing | None:
    """Return the DM that asks a member for their answer, with Recommit and Step down (and Snooze).

    A contact named after the round opened (`handed_over`) gets an invitation of their own.
    """
    return invitations(session, [card], admins, now=now, policy=policy, handed_over=handed_over)[0]


def invitations(
    session: Session,
    cards: Sequence[MemberCard],
    admins: Sequence[Person],
    *,
    now: dt.datetime,
    policy: Policy,
    handed_over: bool = False,
) -> list[Outgoing | None]:
    """Return `invitation` of each card, in order (None for a member without a contact), built together."""
    wanted: list[Wanted] = []
    for card in cards:
        if card.contact is None:
            continue
        text, blocks = views.invitation(card, admins)
        parts: list[Any] = [card.id, card.contact.id] if handed_over else [card.id]
        wanted.append(Wanted(Kind.RENEWAL_INVITE, parts, card.contact, text, blocks))
    built = iter(reminders(session, wanted, now=now, hours=policy.hours))
    return [next(built) if card.contact is not None else None for card in cards]


def open_renewal(
    session: Session,
    *,
    year: int,
    who: str,
    closes_on: dt.date | None,
    now: dt.datetime,
    actor: Person | str,
    policy: Policy,
) -> Opened:
    """Open the year's round for individuals, organisations or both, committed with every invitation."""
    today = now.date()
    if not today.year - 1 <= year <= today.year + 1:
        raise UserError(f"YEAR must be {today.year - 1}, {today.year} or {today.year + 1} (not {year})")
    closes_on = closes_on or today + dt.timedelta(days=policy.lifecycle.renewal_days)
    closes_at = closing_instant(closes_on)
    if closes_at - now < MIN_OPEN:
        raise UserError(
            f"--closes must leave at least {MIN_OPEN.days} days for answers and reminders: "
            f"choose {today + MIN_OPEN:%Y-%m-%d} or later"
        )
    with gc_paused():
        return _open(session, year=year, who=who, closes_at=closes_at, now=now, actor=actor, policy=policy)


def _open(
    session: Session,
    *,
    year: int,
    who: str,
    closes_at: dt.datetime,
    now: dt.datetime,
    actor: Person | str,
    policy: Policy,
) -> Opened:
    opened = Opened()
    messages: list[Outgoing | None] = []
    admins = list_admins(session)
    for audience in _audiences(who):
        existing = store.find_renewal(session, year, audience)
        if existing is not None:
            opened.notes.append(
                f"the {year} recommitment of {audience.value} is already open since {existing.opened_at:%Y-%m-%d}"
            )
            continue
        asked = _members(session, audience)
        if not asked:
            opened.notes.append(f"no {audience.value} to ask: no round opened for them")
            continue
        renewal = Renewal(
            year=year,
            audience=audience,
            opened_at=now,
            closes_at=closes_at,
            opened_by=actor if isinstance(actor, str) else actor.github,
        )
        if not store.add_renewal(session, renewal):
            opened.notes.append(f"the {year} recommitment of {audience.value} was opened meanwhile")
            continue
        members = store.add_members(
            session,
            renewal.id or 0,
            [
                {
                    "renewal_id": renewal.id or 0,
                    "person_id": person.id if person else None,
                    "organization_id": organization.id if organization else None,
                    "contact_id": contact.id if contact else None,
                    "invited_at": now,
                    "deadline": closes_at,
                    "answer": RenewalAnswer.PENDING,
                    "extensions": 0,
                }
                for person, organization, contact in asked
            ],
        )
        cards = [
            MemberCard(member, renewal, person, organization, contact)
            for member, (person, organization, contact) in zip(members, asked, strict=True)
        ]
        for card, message in zip(
            cards, invitations(session, cards, admins, now=now, policy=policy), strict=True
        ):
            if message is None:
                opened.notes.append(views.unreachable_note(card))
            messages.append(message)
        audit(
            session,
            now,
            actor,
            "renewal.opened",
            f"renewal:{renewal.id}",
            year=year,
            audience=audience.value,
            asked=len(asked),
        )
        opened.rounds.append((renewal, len(asked)))
    if not opened.rounds:
        session.rollback()
        raise UserError("; ".join(opened.notes) or "nothing to open")
    opened.keys = commit(session, messages, now=now)
    return opened


def open_scheduled(session: Session, *, now: dt.datetime, policy: Policy) -> list[Opened]:
    """Open each round the settings schedule for about now (within a week of its date), once."""
    today = now.date()
    opened = []
    for audience, month, day in policy.lifecycle.renewal_opens:
        when = scheduled_date(today.year, month, day)
        if not when <= today < when + dt.timedelta(days=CATCH_UP_DAYS):
            continue
        year = renewal_year(when)
        if store.find_renewal(session, year, audience) is not None:
            continue
        try:
            opened.append(
                open_renewal(
                    session,
                    year=year,
                    who=audience.value,
                    closes_on=None,
                    now=now,
                    actor="ccbot",
                    policy=policy,
                )
            )
        except UserError as exc:
            logger.info("scheduled %s recommitment for %d not opened: %s", audience.value, year, exc)
    return opened


# -- progress ------------------------------------------------------------------------------------------


def round_progress(session: Session, renewal: Renewal) -> RoundProgress:
    """Return who recommitted, stepped down, is still waiting, or awaits the admins in one round."""
    progress = RoundProgress(renewal)
    for card in member_cards(session, renewal, store.list_members(session, renewal.id or 0)):
        member = card.member
        if member.answer is RenewalAnswer.RECOMMITTED:
            progress.recommitted.append(card)
        elif member.answer is RenewalAnswer.STEPPED_DOWN or member.outcome in SETTLED_AWAY:
            progress.stepped_down.append(card)
        elif member.outcome is RenewalOutcome.LISTED:
            progress.listed.append(card)
        else:
            progress.waiting.append(card)
    return progress


def renewal_progress(session: Session, *, now: dt.datetime) -> list[RoundProgress]:
    """Return the progress of the rounds open now or closed in the last weeks, newest first."""
    return [
        round_progress(session, r)
        for r in store.list_current_renewals(session, since=now - SHOWN_AFTER_CLOSING)
    ]


def list_rounds(session: Session, *, year: int | None = None) -> list[RoundProgress]:
    """Return the progress of every round (of one year, when given), newest first."""
    return [round_progress(session, r) for r in store.list_renewals(session, year=year)]


def my_renewals(session: Session, person: Person, *, now: dt.datetime) -> list[MemberCard]:
    """Return the open recommitments this person is asked to answer (for App Home)."""
    cards = []
    for member in store.list_memberships(session, person_id=person.id or 0):
        if member.contact_id != person.id or member.settled_at is not None:
            continue
        if member.organization_id is not None and person.removed_on is not None:
            continue
        cards.append(member_card(session, member))
    return cards
