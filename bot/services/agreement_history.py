"""An agreement's history, appended to and never edited: each recording, renewal, revocation and invalidation."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from storage import agreements as store
from storage import roster as roster_store
from storage.models import Agreement, AgreementAction, AgreementEvent, AgreementKind, Person


def _actor_name(actor: Person | str) -> str:
    return (actor if isinstance(actor, str) else actor.github)[:100]


def note_agreement(
    session: Session,
    agreement: Agreement,
    *,
    action: AgreementAction,
    actor: Person | str,
    now: dt.datetime,
    reason: str = "",
    effective_on: dt.date | None = None,
    previous_expires_on: dt.date | None = None,
) -> AgreementEvent:
    """Append one entry to an agreement's history (in the caller's transaction)."""
    return store.add_agreement_event(
        session,
        AgreementEvent(
            agreement_id=agreement.id,
            person_id=agreement.person_id,
            organization_id=agreement.organization_id,
            kind=AgreementKind(agreement.kind),
            action=action,
            effective_on=effective_on or agreement.signed_on or now.date(),
            signed_on=agreement.signed_on,
            expires_on=agreement.expires_on,
            previous_expires_on=previous_expires_on,
            reason=reason.strip(),
            recorded_by=_actor_name(actor),
            recorded_at=now,
        ),
    )


def _in_force_from(agreement: Agreement, day: dt.date) -> bool:
    """Whether the agreement is in force on `day` or will be after it (so ending it on `day` changes something)."""
    return agreement.expires_on is None or agreement.expires_on > day


def end_agreements(
    session: Session,
    *,
    person_id: int | None = None,
    organization_id: int | None = None,
    kind: AgreementKind,
    effective_on: dt.date,
    reason: str,
    actor: Person | str,
    now: dt.datetime,
    action: AgreementAction = AgreementAction.REVOKED,
) -> list[Agreement]:
    """Revoke a holder's agreements of `kind` still in force after `effective_on`; return those ended."""
    ended = []
    for agreement in roster_store.list_agreements(
        session, person_id=person_id, organization_id=organization_id
    ):
        if agreement.kind != kind or not _in_force_from(agreement, effective_on):
            continue
        previous = agreement.expires_on
        agreement.expires_on = effective_on
        session.add(agreement)
        note_agreement(
            session,
            agreement,
            action=action,
            actor=actor,
            now=now,
            reason=reason,
            effective_on=effective_on,
            previous_expires_on=previous,
        )
        ended.append(agreement)
    return ended
