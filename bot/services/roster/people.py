"""Finding people on the roster: by handle or Slack id, the admins, and linking a Slack user on first contact."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.services.audit import audit
from bot.services.directory import Directory, SlackProfile
from bot.services.errors import FieldErrors
from bot.services.logins import login_refusal
from storage import roster as store
from storage.models import Person, Role


def person_by_handle(session: Session, handle: str, *, field: str) -> Person:
    """Return the person a typed GitHub handle names; FieldErrors on `field` when it is no handle or nobody's."""
    typed = handle.strip().lstrip("@")
    refused = login_refusal(typed) if typed else None
    if refused is not None:
        raise FieldErrors({field: refused})
    person = store.get_person_by_github(session, typed) if typed else None
    if person is None:
        raise FieldErrors({field: f"{typed or 'That'} is not on the roster (give a GitHub handle)."})
    return person


def list_admins(session: Session) -> list[Person]:
    """Return the current program admins on the roster."""
    return store.list_people_with_role(session, Role.ADMIN)


def list_roster(session: Session) -> list[Person]:
    """Return everyone on the roster, by handle."""
    return store.list_people(session)


def find_person(session: Session, handle: str) -> Person | None:
    """Return the person with this GitHub handle (any case), or None."""
    return store.get_person_by_github(session, handle)


def find_person_by_slack_id(session: Session, user_id: str) -> Person | None:
    """Return the current roster person linked to a Slack user id, or None."""
    person = store.get_person_by_slack_id(session, user_id) if user_id else None
    return person if person is not None and person.removed_on is None else None


def identify_slack_user(
    session: Session, user_id: str, *, directory: Directory | None, now: dt.datetime
) -> Person | None:
    """Return the roster person for a Slack user, linking them by e-mail on first contact."""
    person = store.get_person_by_slack_id(session, user_id)
    if person is not None or directory is None:
        return person
    profile = directory.user_info(user_id)
    if profile is None or not profile.email:
        return None
    return _link(session, profile, now=now)


def _link(session: Session, profile: SlackProfile, *, now: dt.datetime) -> Person | None:
    candidates = [p for p in store.list_people_by_email(session, profile.email or "") if not p.slack_user_id]
    if len(candidates) != 1:
        return None
    person = candidates[0]
    person.slack_user_id = profile.user_id
    if not person.timezone and profile.timezone:
        person.timezone = profile.timezone
    audit(
        session,
        now,
        profile.user_id,
        "person.link_slack",
        person.github,
        slack_user_id=profile.user_id,
        by="email",
    )
    session.commit()
    return person
