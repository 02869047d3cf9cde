"""Agreements with a history: renewals, revocations and invalidations recorded with their date, reason and
author, and each committer's view of their own agreements (valid, needs attention, ended).

An agreement row says what is in force; its history (`agreement_event`) keeps every change, never edited.
A revocation ends the agreement on its effective date; an invalidation voids it from its signing. The
hourly job tells the committer and their managers when their standing changes as a result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from bot.services.agreement_history import end_agreements, note_agreement
from bot.services.audit import audit
from bot.services.errors import FieldErrors
from bot.services.policy import current_policy
from bot.services.roster import get_profile, person_by_handle
from bot.services.standing import is_valid
from bot.types.agreements import AgreementState, AgreementStatus, History
from bot.types.decided import Decided
from bot.types.limits import REASON_MAX
from bot.types.mrkdwn import Mrkdwn
from bot.types.policy import Channels
from bot.views import agreements as views
from storage import agreements as store
from storage import roster as roster_store
from storage.models import Agreement, AgreementAction, AgreementKind, Organization, Person

# An agreement ending within this many days needs attention.
ATTENTION_DAYS = 30
CHANGES = (AgreementAction.RENEWED, AgreementAction.REVOKED, AgreementAction.INVALIDATED)


@dataclass(frozen=True)
class Holder:
    """Whose agreement a change is about: a person's own, or (entity) their organisation's."""

    person: Person
    organization: Organization | None

    @property
    def label(self) -> str:
        """The holder's name as the confirmation shows it."""
        return self.organization.name if self.organization else self.person.github

    def ids(self) -> dict[str, int | None]:
        """The holder columns of an agreement row."""
        if self.organization is not None:
            return {"person_id": None, "organization_id": self.organization.id}
        return {"person_id": self.person.id, "organization_id": None}


def _holder(session: Session, handle: str, kind: AgreementKind) -> Holder:
    person = person_by_handle(session, handle, field="holder")
    if kind is not AgreementKind.ENTITY:
        return Holder(person, None)
    organization = (
        roster_store.get_organization(session, person.organization_id) if person.organization_id else None
    )
    if organization is None:
        raise FieldErrors({"holder": f"{person.github} has no organisation to hold an entity agreement."})
    return Holder(person, organization)


def change_agreement(
    session: Session,
    actor: Person | str,
    *,
    holder: str,
    kind: AgreementKind,
    action: AgreementAction,
    signed_on: dt.date | None,
    expires_on: dt.date | None,
    effective_on: dt.date | None,
    reason: str,
    now: dt.datetime,
    channels: Channels | None = None,
) -> Decided[Mrkdwn]:
    """Record a renewal, a revocation or an invalidation with its date and reason; the past stays as it was."""
    if action not in CHANGES:
        raise FieldErrors({"agreement_action": "Choose renew, revoke or invalidate."})
    if not reason.strip():
        raise FieldErrors({"reason": "Say why: it is kept in the agreement's history."})
    if len(reason) > REASON_MAX:
        raise FieldErrors(
            {"reason": f"Keep the reason under {REASON_MAX} characters (it has {len(reason)})."}
        )
    who = _holder(session, holder, kind)
    agreements = [
        a
        for a in roster_store.list_agreements(
            session, **{k: v for k, v in who.ids().items() if v is not None}
        )
        if a.kind == kind
    ]
    today = now.date()
    if action is AgreementAction.RENEWED:
        if signed_on is None:
            raise FieldErrors({"signed": "Give the date the renewal was signed."})
        if expires_on is not None and expires_on <= signed_on:
            raise FieldErrors({"expires": "The expiry must come after the signing date."})
        latest = max(agreements, key=lambda a: (a.expires_on or dt.date.max, a.id or 0), default=None)
        renewal = roster_store.add_agreement(
            session,
            Agreement(kind=kind, signed_on=signed_on, expires_on=expires_on, source="admin", **who.ids()),
        )
        note_agreement(
            session,
            renewal,
            action=action,
            actor=actor,
            now=now,
            reason=reason,
            effective_on=signed_on,
            previous_expires_on=latest.expires_on if latest else None,
        )
        effective = signed_on
    elif action is AgreementAction.REVOKED:
        effective = effective_on or today
        holder_ids = who.ids()
        if not end_agreements(
            session,
            person_id=holder_ids["person_id"],
            organization_id=holder_ids["organization_id"],
            kind=kind,
            effective_on=effective,
            reason=reason,
            actor=actor,
            now=now,
        ):
            raise FieldErrors(
                {"holder": f"{who.label} holds no {kind.value} agreement in force after {effective}."}
            )
    else:
        voidable = [a for a in agreements if not (a.signed_on and a.expires_on == a.signed_on)]
        if not voidable:
            raise FieldErrors({"holder": f"{who.label} holds no {kind.value} agreement to invalidate."})
        target = max(voidable, key=lambda a: (a.signed_on or dt.date.min, a.id or 0))
        previous = target.expires_on
        # Void from the start: an agreement is in force from its signing until its expiry, so both coincide.
        target.expires_on = target.signed_on or effective_on or today
        effective = target.expires_on
        session.add(target)
        note_agreement(
            session,
            target,
            action=action,
            actor=actor,
            now=now,
            reason=reason,
            effective_on=effective,
            previous_expires_on=previous,
        )
    audit(
        session,
        now,
        actor,
        f"agreement.{action.value}",
        who.label,
        kind=kind,
        effective=str(effective),
        reason=reason.strip(),
    )
    session.flush()
    standing = get_profile(session, who.person.id or 0, today=today).standing
    session.commit()
    return Decided(views.change_done(who.label, who.person, kind, action, effective, standing.status))


# -- a committer's own view ----------------------------------------------------------------------------


def my_agreements(session: Session, person_id: int, *, today: dt.date) -> list[AgreementStatus]:
    """Return each agreement kind a person needs or holds: valid, needs attention (ending or missing), or ended."""
    person = roster_store.get_person(session, person_id)
    assert person is not None
    organization = (
        roster_store.get_organization(session, person.organization_id) if person.organization_id else None
    )
    own = roster_store.list_agreements(session, person_id=person_id)
    org_entity = [
        a
        for a in (
            roster_store.list_agreements(session, organization_id=organization.id) if organization else []
        )
        if a.kind == AgreementKind.ENTITY
    ]
    events = store.list_agreement_events(session, person_id=person_id)
    if organization is not None:
        events += store.list_agreement_events(session, organization_id=organization.id)
    required = current_policy(session).required_agreements(
        provider_employee=organization is not None and organization.is_provider
    )
    kinds = list(required) + [k for k in AgreementKind if k not in required and any(a.kind == k for a in own)]
    lines = []
    for kind in kinds:
        candidates = [a for a in own if a.kind == kind]
        org_name = None
        if kind is AgreementKind.ENTITY and organization is not None:
            candidates += org_entity
            org_name = organization.name
        changes = [
            e
            for e in events
            if e.kind is kind and e.action in (AgreementAction.REVOKED, AgreementAction.INVALIDATED)
        ]
        last_change = changes[-1] if changes else None
        valid = [a for a in candidates if is_valid(a, today)]
        if valid:
            best = max(valid, key=lambda a: a.expires_on or dt.date.max)
            ending = best.expires_on is not None and (best.expires_on - today).days <= ATTENTION_DAYS
            state = AgreementState.ATTENTION if ending else AgreementState.VALID
            lines.append(
                AgreementStatus(kind, state, kind in required, org_name, best.signed_on, best.expires_on)
            )
        elif candidates:
            last = max(candidates, key=lambda a: (a.expires_on or dt.date.min, a.id or 0))
            lines.append(
                AgreementStatus(
                    kind,
                    AgreementState.ENDED,
                    kind in required,
                    org_name,
                    last.signed_on,
                    last.expires_on,
                    last_change,
                )
            )
        else:
            lines.append(AgreementStatus(kind, AgreementState.ATTENTION, True, org_name))
    return lines


def agreement_history(session: Session, handle: str) -> History:
    """Return every recorded change to a person's agreements and their organisation's, oldest first."""
    person = person_by_handle(session, handle, field="holder")
    organization = (
        roster_store.get_organization(session, person.organization_id) if person.organization_id else None
    )
    events = store.list_agreement_events(session, person_id=person.id)
    if organization is not None:
        events += store.list_agreement_events(session, organization_id=organization.id)
    return History(person, organization, sorted(events, key=lambda e: (e.recorded_at, e.id or 0)))
