"""Repository functions for the history of agreements: one event per signature, renewal or change."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import (
    AgreementEvent,
)


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
