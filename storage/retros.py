"""Repository functions for retrospectives: participants and responses."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from storage.models import Person, Retro, RetroParticipant, RetroResponse


def get_retro_by_name(session: Session, name: str) -> Retro | None:
    """Return the retro with this name."""
    return session.exec(select(Retro).where(Retro.name == name)).first()


def get_retro(session: Session, retro_id: int) -> Retro | None:
    """Return the retro with this id."""
    return session.get(Retro, retro_id)


def add_retro(session: Session, retro: Retro, participant_ids: list[int]) -> Retro:
    """Insert a retro with its participants."""
    session.add(retro)
    session.flush()
    for person_id in participant_ids:
        session.add(RetroParticipant(retro_id=retro.id or 0, person_id=person_id))
    session.flush()
    return retro


def list_unclosed_retros(session: Session) -> list[Retro]:
    """Return retros not yet closed, oldest first."""
    return list(
        session.exec(select(Retro).where(col(Retro.closed_at).is_(None)).order_by(col(Retro.opened_at))).all()
    )


def get_open_retro(session: Session, *, now: dt.datetime) -> Retro | None:
    """Return the newest retro still taking feedback at `now`."""
    statement = (
        select(Retro)
        .where(col(Retro.closed_at).is_(None), col(Retro.closes_at) > now, col(Retro.opened_at) <= now)
        .order_by(col(Retro.opened_at).desc())
    )
    return session.exec(statement).first()


def list_participants(session: Session, retro_id: int) -> list[Person]:
    """Return a retro's participants, by handle."""
    statement = (
        select(Person)
        .join(RetroParticipant, col(RetroParticipant.person_id) == col(Person.id))
        .where(RetroParticipant.retro_id == retro_id)
        .order_by(col(Person.github_key))
    )
    return list(session.exec(statement).all())


def is_participant(session: Session, retro_id: int, person_id: int) -> bool:
    """Whether a person is invited to a retro."""
    return session.get(RetroParticipant, (retro_id, person_id)) is not None


def get_response(session: Session, retro_id: int, person_id: int) -> RetroResponse | None:
    """Return a participant's response to a retro."""
    statement = select(RetroResponse).where(
        RetroResponse.retro_id == retro_id, RetroResponse.person_id == person_id
    )
    return session.exec(statement).first()


def list_responses(session: Session, retro_id: int) -> list[RetroResponse]:
    """Return a retro's responses in the order they came."""
    statement = (
        select(RetroResponse)
        .where(RetroResponse.retro_id == retro_id)
        .order_by(col(RetroResponse.submitted_at))
    )
    return list(session.exec(statement).all())


def list_responder_ids(session: Session, retro_id: int) -> set[int]:
    """Return the ids of participants who responded."""
    return set(session.exec(select(RetroResponse.person_id).where(RetroResponse.retro_id == retro_id)).all())
