"""What the public page reads: the present, active committers with their organisations."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import Organization, Person, PersonRole, Role, Status


def list_public_committers(session: Session) -> list[tuple[Person, Organization | None]]:
    """Return the committers stored as active and not removed, with their organisation, by name."""
    statement = (
        select(Person, Organization)
        .join(PersonRole, col(PersonRole.person_id) == col(Person.id))
        .join(Organization, col(Organization.id) == col(Person.organization_id), isouter=True)
        .where(
            col(PersonRole.role) == Role.COMMITTER,
            col(Person.status) == Status.ACTIVE,
            col(Person.removed_on).is_(None),
        )
        .order_by(col(Person.name), col(Person.github_key))
    )
    return [(person, organization) for person, organization in session.exec(statement).all()]
