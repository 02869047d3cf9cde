"""The yearly recommitment (OEP-54: organisations in December, individuals in January): opening a round,
the answers (Recommit for YEAR / Step down), the reminders, and what each deadline settles.

Each committer (or each provider organisation's contact) is a member of the round with a deadline. At the
deadline, those who stepped down become alumni (an organisation's entity agreement ends instead), those
who recommitted are done, and those who did not answer are listed for the admins with Move to alumni
and Extend a month. Every step commits with its messages and is taken once, whichever instance runs it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from bot.services.activity import record_activity
from bot.services.admin import Decided
from bot.services.admins import admin_ids
from bot.services.agreement_history import end_agreements
from bot.services.audit import audit
from bot.services.errors import NotOnRoster, UserError
from bot.services.keys import Kind, Subject, message_key
from bot.services.membership import admin_list_messages, admin_list_redraws, alumni_notice, move_to_alumni
from bot.services.outbox import Outgoing, commit, dm
from bot.services.policy import Channels, Policy
from bot.services.quiet import reminder
from bot.services.reminders import is_working_time
from bot.services.roster import list_admins
from bot.views import renewals as views
from storage import quiet as quiet_store
from storage import renewals as store
from storage import roster as roster_store
from storage.models import (
    ActivityKind,
    AgreementKind,
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


@dataclass(frozen=True)
class MemberCard:
    """A member of a round with the people and organisation around it."""

    member: RenewalMember
    renewal: Renewal
    person: Person | None
    organization: Organization | None
    contact: Person | None

    @property
    def id(self) -> int:
        """The member's id."""
        assert self.member.id is not None
        return self.member.id

    @property
    def is_organization(self) -> bool:
        """Whether the round asks an organisation (through its contact)."""
        return self.organization is not None


def _card(session: Session, member: RenewalMember, renewal: Renewal | None = None) -> MemberCard:
    renewal = renewal or store.get_renewal(session, member.renewal_id)
    assert renewal is not None

    def person(person_id: int | None) -> Person | None:
        return roster_store.get_person(session, person_id) if person_id else None

    organization = (
        roster_store.get_organization(session, member.organization_id) if member.organization_id else None
    )
    return MemberCard(member, renewal, person(member.person_id), organization, person(member.contact_id))


def _cards(session: Session, renewal: Renewal, members: Sequence[RenewalMember]) -> list[MemberCard]:
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


@dataclass
class Opened:
    """What opening did: the rounds opened (with how many were asked), notes for the admin, the keys to deliver."""

    rounds: list[tuple[Renewal, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    keys: tuple[str, ...] = ()


def _audiences(who: str) -> list[RenewalAudience]:
    if who == ALL:
        return [RenewalAudience.ORGANIZATIONS, RenewalAudience.INDIVIDUALS]
    try:
        return [RenewalAudience(who)]
    except ValueError:
        raise UserError(f"--who must be individuals, organizations or all (not {who!r})") from None


def _contact(session: Session, organization: Organization) -> Person | None:
    if not organization.contact_email:
        return None
    people = roster_store.list_people_by_email(session, organization.contact_email)
    return next((p for p in people if p.removed_on is None), None)


def _members(
    session: Session, audience: RenewalAudience
) -> list[tuple[Person | None, Organization | None, Person | None]]:
    """Return who a new round asks, as (committer, organisation, contact)."""
    if audience is RenewalAudience.INDIVIDUALS:
        committers = roster_store.list_people_with_role(session, Role.COMMITTER.value)
        return [(p, None, p) for p in committers if p.status == Status.ACTIVE.value]
    found: list[tuple[Person | None, Organization | None, Person | None]] = []
    for organization in roster_store.list_organizations(session):
        if organization.is_provider and roster_store.list_current_members(
            session, organization.id or 0, Role.COMMITTER.value
        ):
            found.append((None, organization, _contact(session, organization)))
    return found


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
    if card.contact is None:
        return None
    text, blocks = views.invitation(card, admins)
    return reminder(
        session,
        Kind.RENEWAL_INVITE,
        [card.id, card.contact.id] if handed_over else [card.id],
        card.contact,
        text,
        now=now,
        blocks=blocks,
        hours=policy.hours,
    )


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
        members = [
            RenewalMember(
                renewal_id=renewal.id or 0,
                person_id=person.id if person else None,
                organization_id=organization.id if organization else None,
                contact_id=contact.id if contact else None,
                invited_at=now,
                deadline=closes_at,
            )
            for person, organization, contact in asked
        ]
        store.add_members(session, members)
        for member, (person, organization, contact) in zip(members, asked, strict=True):
            card = MemberCard(member, renewal, person, organization, contact)
            message = invitation(session, card, admins, now=now, policy=policy)
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


# -- answers -------------------------------------------------------------------------------------------


def _check_answerer(card: MemberCard, person: Person | None) -> Person:
    if person is None or person.id is None:
        raise NotOnRoster("Only people on the Core Committer roster answer recommitments.")
    if card.contact is None or card.contact.id != person.id:
        raise UserError(f"This recommitment is for {views.member_label(card, plain=True)}, not for you.")
    return person


def _step_down_now(
    session: Session, card: MemberCard, *, now: dt.datetime, actor: Person | str, reason: str
) -> list[Outgoing | None]:
    """Settle a member who leaves: a committer becomes an alumnus; an organisation's entity agreement ends."""
    member = card.member
    if card.organization is not None:
        ended = end_agreements(
            session,
            organization_id=card.organization.id,
            kind=AgreementKind.ENTITY,
            effective_on=now.date(),
            reason=reason,
            actor=actor,
            now=now,
        )
        member.outcome = RenewalOutcome.AGREEMENT_ENDED
        session.add(member)
        affected = roster_store.list_current_members(session, card.organization.id or 0, Role.COMMITTER.value)
        text = views.organization_ended_text(card, affected, ended=bool(ended))
        return [dm(Kind.RENEWAL_ENDED, [card.id], card.contact.slack_user_id if card.contact else None, text)]
    member.outcome = RenewalOutcome.ALUMNI
    session.add(member)
    person = card.person
    if person is None or person.removed_on is not None:
        return []
    move_to_alumni(session, person, now=now, actor=actor, reason=reason)
    return [alumni_notice(session, person, Kind.RENEWAL_THANKS, reason, parts=[card.id])]


def _followup_render(renewal: Renewal, on: dt.date, now: dt.datetime) -> Any:
    def render(chunk: Sequence[MemberCard], index: int, total: int) -> tuple[str, list[Any]]:
        return views.followup_list(chunk, renewal=renewal, on=on, part=(index, total), now=now)

    return render


def _followup_subject(renewal_id: int, on: dt.date) -> Callable[[int, str], str]:
    def subject(index: int, admin: str) -> str:
        return Subject.renewal_followup(renewal_id, on, index, admin)

    return subject


def _followup_rows(session: Session, renewal: Renewal, on: dt.date) -> list[MemberCard]:
    return _cards(session, renewal, store.list_listed_members(session, renewal.id or 0, on))


def _followup_redraws(session: Session, card: MemberCard, *, now: dt.datetime) -> list[Outgoing | None]:
    on = card.member.followup_on
    if on is None:
        return []
    renewal = card.renewal
    return admin_list_redraws(
        session,
        prefix=Subject.renewal_followup_prefix(renewal.id or 0, on),
        rows=_followup_rows(session, renewal, on),
        render=_followup_render(renewal, on, now),
    )


def _new_contact_asks(
    session: Session,
    card: MemberCard,
    alumnus: Person,
    channels: Channels,
    *,
    set_aside: RenewalAnswer | None = None,
) -> list[Outgoing | None]:
    """Return the admins' DMs asking for a new contact of an organisation whose contact is an alumnus (once each)."""
    text = views.new_contact_needed_text(card, alumnus, set_aside=set_aside)
    return [
        dm(Kind.RENEWAL_CONTACT, [card.id, alumnus.id, admin], admin, text)
        for admin in admin_ids(session, channels)
    ]


def answer_renewal(
    session: Session,
    member_id: int,
    person: Person | None,
    *,
    answer: RenewalAnswer,
    now: dt.datetime,
    channels: Channels,
) -> Decided:
    """Record a member's answer (changeable until the deadline; after it, accepted until an admin acts).

    An alumnus no longer answers for an organisation: refused, and the admins are asked for a new contact.
    """
    member = store.get_member_for_update(session, member_id)
    if member is None:
        raise UserError("This recommitment no longer exists; ask a program admin.")
    card = _card(session, member)
    actor = _check_answerer(card, person)
    renewal = card.renewal
    if card.organization is not None and actor.removed_on is not None:
        asks = _new_contact_asks(session, card, actor, channels)
        return Decided(views.no_longer_contact_text(card, actor), commit(session, asks, now=now))
    if member.outcome in SETTLED_AWAY:
        raise UserError(views.settled_away_text(card, list_admins(session)))
    if member.settled_at is not None and member.outcome is RenewalOutcome.RECOMMITTED:
        if answer is RenewalAnswer.RECOMMITTED:
            return Decided(views.answer_confirmation(card, answer, final=True))
        raise UserError(views.final_text(card, list_admins(session)))
    late = member.outcome is RenewalOutcome.LISTED
    member.answer, member.answered_at, member.answered_by_id = answer, now, actor.id
    session.add(member)
    audit(
        session,
        now,
        actor,
        "renewal.answered",
        f"renewal:{renewal.id}",
        answer=answer.value,
        member=views.member_label(card, plain=True),
        late=late,
    )
    messages: list[Outgoing | None] = []
    if answer is RenewalAnswer.RECOMMITTED:
        record_activity(session, actor.id or 0, ActivityKind.RECOMMITTED, now, f"renewal:{renewal.id}")
    if late:
        if answer is RenewalAnswer.RECOMMITTED:
            member.outcome = RenewalOutcome.RECOMMITTED
        else:
            messages += _step_down_now(
                session, card, now=now, actor=actor, reason=views.step_down_reason(card)
            )
        session.flush()
        messages += _followup_redraws(session, card, now=now)
    # Past the deadline the answer cannot change any more: the hourly job settles it within the hour.
    text = views.answer_confirmation(card, answer, final=late, changeable=now < member.deadline)
    return Decided(text, commit(session, messages, now=now))


# -- reminders and deadlines ---------------------------------------------------------------------------


def due_stage(member: RenewalMember, *, now: dt.datetime) -> str | None:
    """Return the reminder due now for a member who has not answered: `midpoint`, `last` (two days before), or None."""
    if now >= member.deadline:
        return None
    last = member.deadline - LAST_REMINDER
    if now >= last:
        return "last"
    midpoint = member.invited_at + (member.deadline - member.invited_at) / 2
    return "midpoint" if now >= midpoint else None


def queue_reminders(session: Session, *, now: dt.datetime, policy: Policy) -> int:
    """Queue each due reminder once per member, deadline and stage, in the contact's working hours; return how many."""
    due: dict[str, tuple[RenewalMember, str]] = {}
    for member in store.list_waiting_members(session):
        stage = due_stage(member, now=now)
        if stage is not None and member.contact_id is not None:
            parts = [member.id, f"{member.deadline:%Y%m%d}", stage]
            due[message_key(Kind.RENEWAL_REMINDER, *parts)] = (member, stage)
    # Hourly runs meet the same due stage many times: only members not reminded yet are read in full.
    for key in quiet_store.existing_keys(session, list(due)):
        del due[key]
    if not due:
        return 0
    admins = list_admins(session)
    messages: list[Outgoing | None] = []
    by_round: dict[int, list[tuple[RenewalMember, str]]] = defaultdict(list)
    for member, stage in due.values():
        by_round[member.renewal_id].append((member, stage))
    for renewal_id, pending in by_round.items():
        renewal = store.get_renewal(session, renewal_id)
        assert renewal is not None
        stages = {m.id: stage for m, stage in pending}
        for card in _cards(session, renewal, [m for m, _ in pending]):
            if card.contact is None or card.contact.removed_on is not None:
                continue
            if not is_working_time(now, card.contact, policy.hours):
                continue
            stage = stages[card.id]
            text, blocks = views.reminder(card, stage, admins, now=now)
            messages.append(
                reminder(
                    session,
                    Kind.RENEWAL_REMINDER,
                    [card.id, f"{card.member.deadline:%Y%m%d}", stage],
                    card.contact,
                    text,
                    now=now,
                    blocks=blocks,
                    hours=policy.hours,
                )
            )
    return len(commit(session, messages, now=now))


def _alumnus_answerer(session: Session, card: MemberCard) -> Person | None:
    """Return who answered for an organisation when they became an alumnus by its deadline, else None."""
    member = card.member
    if card.organization is None or member.answered_by_id is None:
        return None
    answerer = (
        card.contact
        if card.contact is not None and card.contact.id == member.answered_by_id
        else roster_store.get_person(session, member.answered_by_id)
    )
    if answerer is None or answerer.removed_on is None or answerer.removed_on > member.deadline.date():
        return None
    return answerer


def hand_over_contacts(session: Session, *, now: dt.datetime, policy: Policy) -> int:
    """Ask an organisation's current contact when the one a round asked is an alumnus (or it had none); return how many.

    The admins name the contact in the roster; the new contact gets an invitation of their own, and a step
    down an alumnus gave is set aside for them to answer afresh. A recommitment given stands.
    """
    messages: list[Outgoing | None] = []
    handed = 0
    admins: list[Person] | None = None
    for member in store.list_unsettled_organization_members(session):
        card = _card(session, member)
        if card.organization is None or member.answer is RenewalAnswer.RECOMMITTED:
            continue
        if card.contact is not None and card.contact.removed_on is None:
            continue
        contact = _contact(session, card.organization)
        if contact is None or contact.id is None or contact.id == member.contact_id:
            continue
        member.contact_id = contact.id
        if member.answer is RenewalAnswer.STEPPED_DOWN:
            member.answer, member.answered_at, member.answered_by_id = RenewalAnswer.PENDING, None, None
        session.add(member)
        audit(
            session,
            now,
            "ccbot",
            "renewal.contact_changed",
            f"renewal:{card.renewal.id}",
            member=card.organization.name,
            contact=contact.github,
        )
        admins = admins if admins is not None else list_admins(session)
        handed_card = MemberCard(member, card.renewal, None, card.organization, contact)
        messages.append(invitation(session, handed_card, admins, now=now, policy=policy, handed_over=True))
        handed += 1
    if handed:
        commit(session, messages, now=now)
    return handed


def settle_due(session: Session, *, now: dt.datetime, channels: Channels) -> int:
    """Settle every member whose deadline passed (each once), round by round; list non-answerers for the admins."""
    by_round: dict[int, list[RenewalMember]] = defaultdict(list)
    for due_member in store.list_due_members(session, now=now):
        by_round[due_member.renewal_id].append(due_member)
    settled = 0
    for renewal_id, members in by_round.items():
        renewal = store.get_renewal(session, renewal_id)
        assert renewal is not None
        messages: list[Outgoing | None] = []
        listed: set[dt.date] = set()
        # Claimed first, each with its own conditional update: what another run claimed is left to it.
        claimed = [
            due.id
            for due in members
            if due.id is not None and store.claim_settlement(session, due.id, deadline=due.deadline, now=now)
        ]
        taken = len(claimed)
        fresh = store.list_members_by_ids(session, claimed)
        for card in _cards(session, renewal, fresh):
            member = card.member
            if member.answer is RenewalAnswer.RECOMMITTED:
                member.outcome = RenewalOutcome.RECOMMITTED
            elif member.answer is RenewalAnswer.STEPPED_DOWN and (
                alumnus := _alumnus_answerer(session, card)
            ):
                # Whoever answered for the organisation left the program before the deadline: the admins decide.
                member.answer, member.answered_at, member.answered_by_id = RenewalAnswer.PENDING, None, None
                member.outcome, member.followup_on = RenewalOutcome.LISTED, member.deadline.date()
                listed.add(member.deadline.date())
                messages += _new_contact_asks(
                    session, card, alumnus, channels, set_aside=RenewalAnswer.STEPPED_DOWN
                )
                audit(
                    session,
                    now,
                    "ccbot",
                    "renewal.answer_set_aside",
                    f"renewal:{renewal.id}",
                    member=views.member_label(card, plain=True),
                    answered_by=alumnus.github,
                )
            elif member.answer is RenewalAnswer.STEPPED_DOWN:
                messages += _step_down_now(
                    session, card, now=now, actor="ccbot", reason=views.step_down_reason(card)
                )
            else:
                member.outcome, member.followup_on = RenewalOutcome.LISTED, member.deadline.date()
                listed.add(member.deadline.date())
            session.add(member)
        if not taken:
            session.rollback()
            continue
        session.flush()
        for on in sorted(listed):
            messages += admin_list_messages(
                session,
                kind=Kind.RENEWAL_FOLLOWUP,
                rows=_followup_rows(session, renewal, on),
                subject=_followup_subject(renewal_id, on),
                render=_followup_render(renewal, on, now),
                channels=channels,
            )
        if renewal.closed_at is None and renewal.closes_at <= now:
            renewal.closed_at = now
            session.add(renewal)
            audit(session, now, "ccbot", "renewal.closed", f"renewal:{renewal.id}", settled=taken)
        commit(session, messages, now=now)
        settled += taken
    return settled


@dataclass(frozen=True)
class RenewalRun:
    """What one pass of the renewal job did."""

    opened: int
    reminded: int
    settled: int

    def __str__(self) -> str:
        return f"{self.opened} round(s) opened, {self.reminded} reminder(s) queued, {self.settled} member(s) settled"


def advance_renewals(session: Session, *, now: dt.datetime, policy: Policy, channels: Channels) -> RenewalRun:
    """Open the scheduled rounds, ask organisations' new contacts, queue due reminders, settle passed deadlines."""
    opened = open_scheduled(session, now=now, policy=policy)
    hand_over_contacts(session, now=now, policy=policy)
    reminded = queue_reminders(session, now=now, policy=policy)
    settled = settle_due(session, now=now, channels=channels)
    return RenewalRun(sum(len(o.rounds) for o in opened), reminded, settled)


# -- the admins' one-click decisions -----------------------------------------------------------------


def decide_listed(
    session: Session,
    member_id: int,
    actor: Person,
    *,
    extend: bool,
    now: dt.datetime,
    policy: Policy,
) -> Decided:
    """Move a member who did not answer to alumni (an organisation: end its agreement), or give them a month more."""
    member = store.get_member_for_update(session, member_id)
    if member is None:
        raise UserError("This recommitment no longer exists.")
    card = _card(session, member)
    if member.outcome is not RenewalOutcome.LISTED:
        raise UserError(views.already_settled_text(card))
    messages: list[Outgoing | None] = []
    if extend:
        member.deadline = add_month(max(member.deadline, now))
        member.invited_at, member.settled_at = now, None
        member.outcome, member.extensions = RenewalOutcome.EXTENDED, member.extensions + 1
        session.add(member)
        audit(
            session,
            now,
            actor,
            "renewal.extended",
            f"renewal:{card.renewal.id}",
            member=views.member_label(card, plain=True),
            until=f"{member.deadline:%Y-%m-%d}",
        )
        if card.contact is not None:
            text, blocks = views.extended(card, list_admins(session))
            messages.append(
                reminder(
                    session,
                    Kind.RENEWAL_EXTENDED,
                    [card.id, f"{member.deadline:%Y%m%d}"],
                    card.contact,
                    text,
                    now=now,
                    blocks=blocks,
                    hours=policy.hours,
                )
            )
        confirmation = views.extended_done(card)
    else:
        reason = views.no_answer_reason(card)
        messages += _step_down_now(session, card, now=now, actor=actor, reason=reason)
        audit(
            session,
            now,
            actor,
            "renewal.moved",
            f"renewal:{card.renewal.id}",
            member=views.member_label(card, plain=True),
        )
        confirmation = views.moved_done(card)
    session.flush()
    messages += _followup_redraws(session, card, now=now)
    return Decided(confirmation, commit(session, messages, now=now))


# -- progress ------------------------------------------------------------------------------------------


@dataclass
class RoundProgress:
    """Who answered what in one round, for the admins' App Home, the digest and `ccbot renewal status`."""

    renewal: Renewal
    recommitted: list[MemberCard] = field(default_factory=list)
    stepped_down: list[MemberCard] = field(default_factory=list)
    waiting: list[MemberCard] = field(default_factory=list)
    listed: list[MemberCard] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many the round asked."""
        return len(self.recommitted) + len(self.stepped_down) + len(self.waiting) + len(self.listed)


def round_progress(session: Session, renewal: Renewal) -> RoundProgress:
    """Return who recommitted, stepped down, is still waiting, or awaits the admins in one round."""
    progress = RoundProgress(renewal)
    for card in _cards(session, renewal, store.list_members(session, renewal.id or 0)):
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
        cards.append(_card(session, member))
    return cards
