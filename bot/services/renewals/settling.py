"""What moves a round of the yearly recommitment on: the members' answers, the reminders, the contacts handed
over, what each deadline settles, and the admins' one-click decisions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import Session

from bot.services.activity import record_activity
from bot.services.admins import admin_ids
from bot.services.agreement_history import end_agreements
from bot.services.audit import audit
from bot.services.errors import NotOnRoster, UserError
from bot.services.membership import (
    admin_list_messages,
    admin_list_redraws,
    alumni_notice,
    move_all_to_alumni,
    move_to_alumni,
)
from bot.services.outbox import Outgoing, commit, dm
from bot.services.quiet import Wanted, reminder, reminders
from bot.services.reminders import is_working_time
from bot.services.renewals.rounds import (
    LAST_REMINDER,
    SETTLED_AWAY,
    add_month,
    invitation,
    member_card,
    member_cards,
    open_scheduled,
    organization_contact,
)
from bot.services.roster import list_admins
from bot.services.roster.formats.yaml_lines import gc_paused
from bot.types.decided import Decided
from bot.types.keys import Kind, Subject, message_key
from bot.types.mrkdwn import Mrkdwn
from bot.types.policy import Channels, Policy
from bot.types.renewals import MemberCard, RenewalRun
from bot.views import renewals as views
from storage import quiet as quiet_store
from storage import renewals as store
from storage import roster as roster_store
from storage.models import (
    ActivityKind,
    AgreementKind,
    Person,
    Renewal,
    RenewalAnswer,
    RenewalMember,
    RenewalOutcome,
    Role,
)

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
        affected = roster_store.list_current_members(session, card.organization.id or 0, Role.COMMITTER)
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
    return member_cards(session, renewal, store.list_listed_members(session, renewal.id or 0, on))


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
) -> Decided[Mrkdwn]:
    """Record a member's answer (changeable until the deadline; after it, accepted until an admin acts).

    An alumnus no longer answers for an organisation: refused, and the admins are asked for a new contact.
    """
    member = store.get_member_for_update(session, member_id)
    if member is None:
        raise UserError("This recommitment no longer exists; ask a program admin.")
    card = member_card(session, member)
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
        answer=answer,
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
    with gc_paused():
        return _queue_reminders(session, now=now, policy=policy)


def _queue_reminders(session: Session, *, now: dt.datetime, policy: Policy) -> int:
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
    wanted: list[Wanted] = []
    by_round: dict[int, list[tuple[RenewalMember, str]]] = defaultdict(list)
    for member, stage in due.values():
        by_round[member.renewal_id].append((member, stage))
    for renewal_id, pending in by_round.items():
        renewal = store.get_renewal(session, renewal_id)
        assert renewal is not None
        stages = {m.id: stage for m, stage in pending}
        for card in member_cards(session, renewal, [m for m, _ in pending]):
            if card.contact is None or card.contact.removed_on is not None:
                continue
            if not is_working_time(now, card.contact, policy.hours):
                continue
            stage = stages[card.id]
            text, blocks = views.reminder(card, stage, admins, now=now)
            key_parts: list[Any] = [card.id, f"{card.member.deadline:%Y%m%d}", stage]
            wanted.append(Wanted(Kind.RENEWAL_REMINDER, key_parts, card.contact, text, blocks))
    messages = reminders(session, wanted, now=now, hours=policy.hours)
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
        card = member_card(session, member)
        if card.organization is None or member.answer is RenewalAnswer.RECOMMITTED:
            continue
        if card.contact is not None and card.contact.removed_on is None:
            continue
        contact = organization_contact(session, card.organization)
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
    with gc_paused():
        return _settle_due(session, now=now, channels=channels)


def _settle_due(session: Session, *, now: dt.datetime, channels: Channels) -> int:
    settled = 0
    admins: list[Person] | None = None
    for renewal_id in store.list_due_renewal_ids(session, now=now):
        renewal = store.get_renewal(session, renewal_id)
        assert renewal is not None
        messages: list[Outgoing | None] = []
        listed: set[dt.date] = set()
        # Claimed in one conditional update: what another run claimed (or an admin extended) is left to it.
        claimed = store.claim_due_members(session, renewal_id, now=now)
        if not claimed:
            session.rollback()
            continue
        taken = len(claimed)
        # Recommitments and silences settle in a statement each; only those who stepped down are read in full.
        outcomes: dict[tuple[RenewalOutcome, dt.date | None], list[int]] = defaultdict(list)
        stepped_down: list[int] = []
        for member_id, answer, deadline in claimed:
            if answer is RenewalAnswer.RECOMMITTED:
                outcomes[(RenewalOutcome.RECOMMITTED, None)].append(member_id)
            elif answer is RenewalAnswer.STEPPED_DOWN:
                stepped_down.append(member_id)
            else:
                outcomes[(RenewalOutcome.LISTED, deadline.date())].append(member_id)
                listed.add(deadline.date())
        leaving: list[MemberCard] = []
        for card in member_cards(session, renewal, store.list_members_by_ids(session, stepped_down)):
            member = card.member
            if alumnus := _alumnus_answerer(session, card):
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
            elif card.organization is None:
                # Committers who step down leave together, below (a round asks committers or organisations).
                outcomes[(RenewalOutcome.ALUMNI, None)].append(card.id)
                leaving.append(card)
            else:
                messages += _step_down_now(
                    session, card, now=now, actor="ccbot", reason=views.step_down_reason(card)
                )
        for (outcome, followup_on), ids in outcomes.items():
            store.set_outcomes(session, ids, outcome, followup_on=followup_on)
        if leaving:
            admins = admins if admins is not None else list_admins(session)
            messages += _committers_leave(session, leaving, now=now, admins=admins)
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


def _committers_leave(
    session: Session, cards: Sequence[MemberCard], *, now: dt.datetime, admins: Sequence[Person]
) -> list[Outgoing | None]:
    """Make the committers who stepped down alumni (those who are not already) and thank each: what
    `_step_down_now` does for one, for a round's worth at once."""
    staying = [c for c in cards if c.person is not None and c.person.removed_on is None]
    if not staying:
        return []
    reason = views.step_down_reason(staying[0])
    people = [c.person for c in staying if c.person is not None]
    move_all_to_alumni(session, people, now=now, actor="ccbot", reason=reason)
    return [
        alumni_notice(session, person, Kind.RENEWAL_THANKS, reason, parts=[c.id], admins=admins)
        for c, person in zip(staying, people, strict=True)
    ]


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
) -> Decided[Mrkdwn]:
    """Move a member who did not answer to alumni (an organisation: end its agreement), or give them a month more."""
    member = store.get_member_for_update(session, member_id)
    if member is None:
        raise UserError("This recommitment no longer exists.")
    card = member_card(session, member)
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
