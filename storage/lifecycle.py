"""Repository functions for the program's yearly life: activity, reminder quiet and holds, renewal rounds,
agreement history and inactivity proposals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import (
    Activity,
    AgreementEvent,
    CommitGrant,
    InactivityDecision,
    InactivityProposal,
    OutboxMessage,
    OutboxStatus,
    ReminderHold,
    ReminderPreference,
    Renewal,
    RenewalAnswer,
    RenewalAudience,
    RenewalMember,
    SlackPosting,
)


def _insert_once(session: Session, row: object) -> bool:
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


# -- activity ------------------------------------------------------------------------------------------


def add_activity(session: Session, activity: Activity) -> bool:
    """Record one sign of activity unless the same (person, kind, ref) is already recorded; return whether new."""
    return _insert_once(session, activity)


def last_activity_by_person(session: Session, person_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """Return each person's latest recorded activity, by person id (people with none are absent)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    statement = (
        select(Activity.person_id, func.max(Activity.at))
        .where(col(Activity.person_id).in_(ids))
        .group_by(col(Activity.person_id))
    )
    found: dict[int, dt.datetime] = {}
    for person_id, at in session.exec(statement).all():
        if at is not None:
            # An aggregate bypasses the column type: SQLite hands back naive UTC (or text).
            value = dt.datetime.fromisoformat(at) if isinstance(at, str) else at
            found[person_id] = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return found


def list_recent_activity(session: Session, person_id: int, *, limit: int = 10) -> list[Activity]:
    """Return a person's latest signs of activity, newest first."""
    statement = (
        select(Activity)
        .where(Activity.person_id == person_id)
        .order_by(col(Activity.at).desc(), col(Activity.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement).all())


def latest_grant_dates(session: Session, person_ids: Iterable[int]) -> dict[int, dt.date]:
    """Return the date of each person's newest commit grant still in force, by person id."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    statement = (
        select(CommitGrant.person_id, func.max(CommitGrant.granted_on))
        .where(col(CommitGrant.person_id).in_(ids), col(CommitGrant.revoked_on).is_(None))
        .group_by(col(CommitGrant.person_id))
    )
    found: dict[int, dt.date] = {}
    for person_id, granted in session.exec(statement).all():
        if granted is not None:
            found[person_id] = dt.date.fromisoformat(granted) if isinstance(granted, str) else granted
    return found


# -- reminder preferences and holds --------------------------------------------------------------------


def get_preference(session: Session, person_id: int) -> ReminderPreference | None:
    """Return a person's reminder preferences, or None when they never set any."""
    return session.get(ReminderPreference, person_id)


def put_preference(session: Session, preference: ReminderPreference) -> ReminderPreference:
    """Insert or replace a person's reminder preferences."""
    merged = session.merge(preference)
    session.flush()
    return merged


def add_hold(session: Session, hold: ReminderHold) -> bool:
    """Record why a reminder is held unless it already is; return whether it was recorded."""
    return _insert_once(session, hold)


def get_hold(session: Session, key: str) -> ReminderHold | None:
    """Return the hold of the reminder with this outbox key."""
    return session.get(ReminderHold, key)


def list_held_messages(session: Session, person_id: int) -> list[tuple[ReminderHold, OutboxMessage]]:
    """Return a person's held reminders still waiting in the outbox, with their messages, soonest first."""
    statement = (
        select(ReminderHold, OutboxMessage)
        .join(OutboxMessage, col(OutboxMessage.key) == col(ReminderHold.key))
        .where(ReminderHold.person_id == person_id, OutboxMessage.status == OutboxStatus.PENDING.value)
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
    )
    return [(hold, message) for hold, message in session.exec(statement).all()]


def reschedule_message(session: Session, key: str, *, at: dt.datetime) -> bool:
    """Move a pending outbox message to `at` (its retry window starting then); False when it is no longer pending."""
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.key) == key, col(OutboxMessage.status) == OutboxStatus.PENDING.value)
        .values(next_attempt_at=at, created_at=at, attempts=0, error=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def existing_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Return which of these outbox keys are already in the outbox."""
    wanted = sorted(set(keys))
    found: set[str] = set()
    # In slices, so a round of thousands stays within the database's limit on bound parameters.
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found |= set(session.exec(select(OutboxMessage.key).where(col(OutboxMessage.key).in_(chunk))).all())
    return found


# -- renewal rounds ------------------------------------------------------------------------------------


def add_renewal(session: Session, renewal: Renewal) -> bool:
    """Insert a round unless one exists for its year and audience; return whether it was inserted."""
    return _insert_once(session, renewal)


def get_renewal(session: Session, renewal_id: int) -> Renewal | None:
    """Return the round with this id."""
    return session.get(Renewal, renewal_id)


def find_renewal(session: Session, year: int, audience: RenewalAudience) -> Renewal | None:
    """Return the round of this year and audience."""
    statement = select(Renewal).where(Renewal.year == year, Renewal.audience == audience)
    return session.exec(statement).first()


def list_renewals(session: Session, *, year: int | None = None) -> list[Renewal]:
    """Return rounds, newest first (of one year, when given)."""
    statement = select(Renewal).order_by(col(Renewal.opened_at).desc(), col(Renewal.id).desc())
    if year is not None:
        statement = statement.where(Renewal.year == year)
    return list(session.exec(statement).all())


def list_current_renewals(session: Session, *, since: dt.datetime) -> list[Renewal]:
    """Return the rounds still open, or closed after `since`, newest first."""
    statement = (
        select(Renewal)
        .where(col(Renewal.closed_at).is_(None) | (col(Renewal.closed_at) >= since))
        .order_by(col(Renewal.opened_at).desc(), col(Renewal.id).desc())
    )
    return list(session.exec(statement).all())


def add_members(session: Session, members: list[RenewalMember]) -> None:
    """Insert the members of a round just opened (in its transaction, so none can be there already)."""
    session.add_all(members)
    session.flush()


def get_member_for_update(session: Session, member_id: int) -> RenewalMember | None:
    """Return a round member locked for the rest of the transaction where the database can."""
    statement = (
        select(RenewalMember)
        .where(RenewalMember.id == member_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(statement).first()


def list_members_by_ids(session: Session, member_ids: list[int]) -> list[RenewalMember]:
    """Return these round members as the database has them now, in id order."""
    found: list[RenewalMember] = []
    for start in range(0, len(member_ids), 500):
        statement = (
            select(RenewalMember)
            .where(col(RenewalMember.id).in_(member_ids[start : start + 500]))
            .order_by(col(RenewalMember.id))
            .execution_options(populate_existing=True)
        )
        found += session.exec(statement).all()
    return found


def list_members(session: Session, renewal_id: int) -> list[RenewalMember]:
    """Return every member of a round, in the order they were added."""
    statement = (
        select(RenewalMember).where(RenewalMember.renewal_id == renewal_id).order_by(col(RenewalMember.id))
    )
    return list(session.exec(statement).all())


def list_waiting_members(session: Session) -> list[RenewalMember]:
    """Return the members who have not answered and whose deadline has not been settled yet."""
    statement = (
        select(RenewalMember)
        .where(RenewalMember.answer == RenewalAnswer.PENDING, col(RenewalMember.settled_at).is_(None))
        .order_by(col(RenewalMember.deadline), col(RenewalMember.id))
    )
    return list(session.exec(statement).all())


def list_unsettled_organization_members(session: Session) -> list[RenewalMember]:
    """Return the organisations asked in a round whose deadline has not been settled yet, by id."""
    statement = (
        select(RenewalMember)
        .where(col(RenewalMember.organization_id).is_not(None), col(RenewalMember.settled_at).is_(None))
        .order_by(col(RenewalMember.id))
    )
    return list(session.exec(statement).all())


def list_due_members(session: Session, *, now: dt.datetime) -> list[RenewalMember]:
    """Return the members whose deadline has passed and was not settled yet, by round."""
    statement = (
        select(RenewalMember)
        .where(col(RenewalMember.settled_at).is_(None), col(RenewalMember.deadline) <= now)
        .order_by(col(RenewalMember.renewal_id), col(RenewalMember.id))
    )
    return list(session.exec(statement).all())


def claim_settlement(session: Session, member_id: int, *, deadline: dt.datetime, now: dt.datetime) -> bool:
    """Mark a member's deadline settled unless another run did (or its deadline moved); return whether claimed."""
    result = session.execute(
        update(RenewalMember)
        .where(
            col(RenewalMember.id) == member_id,
            col(RenewalMember.settled_at).is_(None),
            col(RenewalMember.deadline) == deadline,
        )
        .values(settled_at=now)
        # Not matched against every object in the session: a round of thousands would make it quadratic.
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def list_listed_members(session: Session, renewal_id: int, on: dt.date) -> list[RenewalMember]:
    """Return the members of a round listed for the admins at the deadline of `on`, in list order."""
    statement = (
        select(RenewalMember)
        .where(RenewalMember.renewal_id == renewal_id, RenewalMember.followup_on == on)
        .order_by(col(RenewalMember.id))
    )
    return list(session.exec(statement).all())


def list_memberships(session: Session, *, person_id: int) -> list[RenewalMember]:
    """Return the rounds' members asked through this person (as committer or as contact), newest first."""
    statement = (
        select(RenewalMember)
        .where((RenewalMember.person_id == person_id) | (RenewalMember.contact_id == person_id))
        .order_by(col(RenewalMember.id).desc())
    )
    return list(session.exec(statement).all())


def list_postings_with_prefix(session: Session, prefix: str) -> list[SlackPosting]:
    """Return the postings whose subject starts with `prefix`, by subject."""
    statement = (
        select(SlackPosting)
        .where(col(SlackPosting.subject).startswith(prefix, autoescape=True))
        .order_by(col(SlackPosting.subject))
    )
    return list(session.exec(statement).all())


# -- agreement history ---------------------------------------------------------------------------------


def add_agreement_event(session: Session, event: AgreementEvent) -> AgreementEvent:
    """Append an entry to an agreement's history."""
    session.add(event)
    session.flush()
    return event


def list_agreement_events(
    session: Session, *, person_id: int | None = None, organization_id: int | None = None
) -> list[AgreementEvent]:
    """Return the agreement history of a person or an organisation, oldest first."""
    statement = select(AgreementEvent)
    if person_id is not None:
        statement = statement.where(AgreementEvent.person_id == person_id)
    if organization_id is not None:
        statement = statement.where(AgreementEvent.organization_id == organization_id)
    statement = statement.order_by(col(AgreementEvent.recorded_at), col(AgreementEvent.id))
    return list(session.exec(statement).all())


# -- inactivity ----------------------------------------------------------------------------------------


def add_proposals(session: Session, proposals: list[InactivityProposal]) -> int:
    """Insert the proposals of people not yet proposed in their period; return how many were inserted."""
    if not proposals:
        return 0
    periods = {p.period for p in proposals}
    statement = select(InactivityProposal.person_id, InactivityProposal.period).where(
        col(InactivityProposal.period).in_(periods)
    )
    taken = set(session.exec(statement).all())
    fresh = [p for p in proposals if (p.person_id, p.period) not in taken]
    try:
        # One savepoint for all: a savepoint each costs more than the insert itself.
        with session.begin_nested():
            session.add_all(fresh)
        return len(fresh)
    except IntegrityError:
        # Another instance proposed some of them meanwhile: insert the rest one by one.
        return sum(_insert_once(session, p.model_copy()) for p in fresh)


def get_proposal(session: Session, proposal_id: int) -> InactivityProposal | None:
    """Return the inactivity proposal with this id."""
    return session.get(InactivityProposal, proposal_id)


def list_proposals(session: Session, period: str) -> list[InactivityProposal]:
    """Return one period's proposals, in the order they were made."""
    statement = (
        select(InactivityProposal)
        .where(InactivityProposal.period == period)
        .order_by(col(InactivityProposal.id))
    )
    return list(session.exec(statement).all())


def list_undecided_proposals(session: Session, *, since: dt.datetime) -> list[InactivityProposal]:
    """Return the proposals made since `since` that no admin has decided yet, oldest first."""
    statement = (
        select(InactivityProposal)
        .where(col(InactivityProposal.decision).is_(None), col(InactivityProposal.proposed_at) >= since)
        .order_by(col(InactivityProposal.proposed_at), col(InactivityProposal.id))
    )
    return list(session.exec(statement).all())


def kept_people(session: Session, *, today: dt.date) -> set[int]:
    """Return the people an admin chose to keep whose respite has not ended by `today`."""
    statement = select(InactivityProposal.person_id).where(col(InactivityProposal.kept_until) > today)
    return set(session.exec(statement).all())


def decide_proposal(
    session: Session,
    proposal_id: int,
    *,
    decision: InactivityDecision,
    by: str,
    at: dt.datetime,
    kept_until: dt.date | None,
) -> bool:
    """Record the first decision on a proposal; False when someone decided it first."""
    result = session.execute(
        update(InactivityProposal)
        .where(col(InactivityProposal.id) == proposal_id, col(InactivityProposal.decision).is_(None))
        .values(decision=decision, decided_by=by, decided_at=at, kept_until=kept_until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
