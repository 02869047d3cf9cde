"""Repository functions for repository areas (scale phase): their repos, responders and loads."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from storage.models import (
    AreaRepo,
    AreaResponder,
    Person,
    Question,
    QuestionResponder,
    QuestionState,
    RepoArea,
)

# Unanswered states, listed so the state index serves the query.
OPEN_STATES = (QuestionState.OPEN, QuestionState.CLAIMED)


def get_area_by_name(session: Session, name: str) -> RepoArea | None:
    """Return the area with this name."""
    return session.exec(select(RepoArea).where(RepoArea.name == name)).first()


def get_area(session: Session, area_id: int) -> RepoArea | None:
    """Return the area with this id."""
    return session.get(RepoArea, area_id)


def find_area_for_repo(session: Session, full_name: str) -> RepoArea | None:
    """Return the area owning `org/repo`, by exact name first, then by `org/*`."""
    key = full_name.lower()
    for pattern in (key, key.split("/")[0] + "/*"):
        row = session.get(AreaRepo, pattern)
        if row is not None:
            return session.get(RepoArea, row.area_id)
    return None


def put_area(session: Session, area: RepoArea, patterns: list[str], responder_ids: list[int]) -> RepoArea:
    """Insert or replace an area with its repositories and responders."""
    existing = get_area_by_name(session, area.name)
    if existing is not None:
        existing.channel, existing.manager_id = area.channel, area.manager_id
        area = existing
    session.add(area)
    session.flush()
    session.exec(delete(AreaRepo).where(col(AreaRepo.area_id) == area.id))
    session.exec(delete(AreaResponder).where(col(AreaResponder.area_id) == area.id))
    for pattern in patterns:
        session.merge(AreaRepo(pattern=pattern.lower(), area_id=area.id or 0))
    for person_id in responder_ids:
        session.add(AreaResponder(area_id=area.id or 0, person_id=person_id))
    session.flush()
    return area


def list_area_responders(session: Session, area_id: int) -> list[Person]:
    """Return an area's responders, by handle."""
    statement = (
        select(Person)
        .join(AreaResponder, col(AreaResponder.person_id) == col(Person.id))
        .where(AreaResponder.area_id == area_id, col(Person.removed_on).is_(None))
        .order_by(col(Person.github_key))
    )
    return list(session.exec(statement).all())


def open_question_counts(session: Session, person_ids: list[int]) -> dict[int, int]:
    """Return how many unanswered questions are routed to each of these people."""
    if not person_ids:
        return {}
    statement = (
        select(QuestionResponder.person_id, func.count())
        .join(Question, col(Question.id) == col(QuestionResponder.question_id))
        .where(
            col(QuestionResponder.person_id).in_(person_ids),
            col(Question.state).in_(OPEN_STATES),
        )
        .group_by(col(QuestionResponder.person_id))
    )
    return {person_id: int(count) for person_id, count in session.exec(statement).all()}


def last_routed_at(session: Session, person_ids: list[int]) -> dict[int, object]:
    """Return when each person was last given a question (for round-robin ties)."""
    if not person_ids:
        return {}
    statement = (
        select(QuestionResponder.person_id, func.max(Question.asked_at))
        .join(Question, col(Question.id) == col(QuestionResponder.question_id))
        .where(col(QuestionResponder.person_id).in_(person_ids))
        .group_by(col(QuestionResponder.person_id))
    )
    return dict(session.exec(statement).all())
