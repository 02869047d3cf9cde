"""Admin changes to the program: phase, agreements, champions, people, removals, away dates; each audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from bot.services.errors import FieldErrors, NotOnRoster, UserError
from bot.services.policy import NDA_REQUIRED_KEY, PHASE_KEY, current_policy
from bot.services.roster import refresh_statuses
from storage import roster as store
from storage.audit import add_audit_entry
from storage.models import (
    Agreement,
    AgreementKind,
    ChampionAssignment,
    CommitGrant,
    Person,
    Phase,
    Role,
    Status,
)
from storage.program import set_program_setting

MILESTONES_KEY = "phase_milestones"


@dataclass(frozen=True)
class PhaseChange:
    """A phase switch, for the announcement."""

    old: Phase
    new: Phase
    nda_required: bool
    milestones: str
    actor: Person


def check_admin(session: Session, person: Person | None, bootstrap_ids: list[str]) -> Person:
    """Return the person when they are an admin (on the roster, or bootstrapped by CCBOT_ADMINS); UserError otherwise."""
    if person is None or person.id is None:
        raise NotOnRoster("`/cc-admin` is for program admins, and you are not on the roster.")
    if Role.ADMIN.value in store.list_roles(session, person.id) or person.slack_user_id in bootstrap_ids:
        return person
    raise UserError(
        "`/cc-admin` is for program admins. Ask one of them (`/cc` names them) for the change you need."
    )


def _person(session: Session, handle: str, field: str) -> Person:
    person = store.get_person_by_github(session, handle.strip().lstrip("@")) if handle.strip() else None
    if person is None:
        raise FieldErrors({field: f"{handle.strip() or 'That'} is not on the roster (give a GitHub handle)."})
    return person


def _audit(
    session: Session, now: dt.datetime, actor: Person, action: str, subject: str, details: dict[str, str]
) -> None:
    add_audit_entry(session, at=now, actor=actor.github, action=action, subject=subject, details=details)


def set_phase(
    session: Session, actor: Person, *, phase: Phase, nda_required: bool, milestones: str, now: dt.datetime
) -> PhaseChange:
    """Switch the program's phase (and the NDA requirement), recompute standings, and return the change."""
    old = current_policy(session).phase
    set_program_setting(session, PHASE_KEY, phase.value)
    set_program_setting(session, NDA_REQUIRED_KEY, nda_required)
    set_program_setting(session, MILESTONES_KEY, milestones.strip()[:1000])
    refresh_statuses(session, today=now.date())
    _audit(
        session,
        now,
        actor,
        "program.phase",
        phase.value,
        {"from": old.value, "nda_required": str(nda_required)},
    )
    session.commit()
    return PhaseChange(old, phase, nda_required, milestones.strip(), actor)


def record_agreement(
    session: Session,
    actor: Person,
    *,
    holder: str,
    kind: AgreementKind,
    signed_on: dt.date | None,
    expires_on: dt.date | None,
    now: dt.datetime,
) -> tuple[str, str]:
    """Record an agreement for a person (or, for `entity`, their organisation); return (holder, new status)."""
    if signed_on and expires_on and expires_on <= signed_on:
        raise FieldErrors({"expires": "The expiry must come after the signing date."})
    person = _person(session, holder, "holder")
    if kind is AgreementKind.ENTITY:
        org = store.get_organization(session, person.organization_id) if person.organization_id else None
        if org is None:
            raise FieldErrors({"holder": f"{person.github} has no organisation to hold an entity agreement."})
        store.add_agreement(
            session,
            Agreement(
                kind=kind.value,
                organization_id=org.id,
                signed_on=signed_on,
                expires_on=expires_on,
                source="admin",
            ),
        )
        label = org.name
    else:
        store.add_agreement(
            session,
            Agreement(
                kind=kind.value,
                person_id=person.id,
                signed_on=signed_on,
                expires_on=expires_on,
                source="admin",
            ),
        )
        label = person.github
    refresh_statuses(session, today=now.date())
    _audit(
        session,
        now,
        actor,
        "agreement.recorded",
        label,
        {"kind": kind.value, "expires": str(expires_on or "")},
    )
    session.commit()
    return label, person.status


def assign_champions(
    session: Session, actor: Person, *, committer: str, champions: list[str], now: dt.datetime
) -> tuple[Person, list[Person]]:
    """Replace a committer's champions (in slot order); return the committer and the new champions."""
    person = _person(session, committer, "committer")
    chosen = [_person(session, handle, "champions") for handle in champions if handle.strip()]
    if not chosen:
        raise FieldErrors({"champions": "Name at least one champion."})
    if any(c.id == person.id for c in chosen):
        raise FieldErrors({"champions": "A committer cannot champion themselves."})
    today = now.date()
    for assignment, _ in store.list_active_champions(session, person.id or 0):
        assignment.ended_on = today
        session.add(assignment)
    for slot, champion in enumerate(dict.fromkeys(chosen), start=1):
        if Role.CHAMPION.value not in store.list_roles(session, champion.id or 0):
            store.set_roles(
                session, champion.id or 0, {*store.list_roles(session, champion.id or 0), Role.CHAMPION.value}
            )
        store.add_assignment(
            session,
            ChampionAssignment(
                committer_id=person.id or 0, champion_id=champion.id or 0, slot=slot, started_on=today
            ),
        )
    refresh_statuses(session, today=today)
    _audit(
        session,
        now,
        actor,
        "champions.assigned",
        person.github,
        {"champions": ",".join(c.github for c in chosen)},
    )
    session.commit()
    return person, chosen


def remove_committer(session: Session, actor: Person, *, committer: str, now: dt.datetime) -> Person:
    """Make a committer an alumnus from today."""
    person = _person(session, committer, "committer")
    if person.removed_on is not None:
        raise FieldErrors({"committer": f"{person.github} is already an alumnus."})
    person.removed_on, person.status = now.date(), Status.ALUMNI.value
    session.add(person)
    _audit(session, now, actor, "person.removed", person.github, {})
    session.commit()
    return person


def upsert_person(
    session: Session,
    actor: Person,
    *,
    github: str,
    name: str,
    slack_user_id: str | None,
    organization: str | None,
    roles: list[str],
    repos: list[str],
    now: dt.datetime,
) -> tuple[Person, bool]:
    """Add a person or update one (roles, organisation, repos, Slack user); return it and whether it is new."""
    handle = github.strip().lstrip("@")
    if not handle or " " in handle:
        raise FieldErrors({"github": "Give the person's GitHub handle."})
    if not roles:
        raise FieldErrors({"roles": "Choose at least one role."})
    org = None
    if organization and organization.strip():
        org = store.get_organization_by_name(session, organization.strip()) or store.add_organization(
            session, name=organization.strip()
        )
    if slack_user_id:
        holder = store.get_person_by_slack_id(session, slack_user_id)
        if holder is not None and holder.github_key != handle.lower():
            raise FieldErrors({"slack": f"That Slack user is already {holder.github} on the roster."})
    person = store.get_person_by_github(session, handle)
    created = person is None
    if person is None:
        person = store.add_person(
            session, github=handle, name=name.strip() or handle, status=Status.ONBOARDING.value
        )
    elif name.strip():
        person.name = name.strip()
    if slack_user_id:
        person.slack_user_id = slack_user_id
    if org is not None:
        person.organization_id = org.id
    store.set_roles(session, person.id or 0, roles)
    held = {repo.key for _, repo in store.list_active_grants(session, person.id or 0) if repo is not None}
    for full_name in repos:
        repo = store.get_or_add_repo(session, full_name)
        if repo.key not in held:
            store.add_grant(
                session,
                CommitGrant(person_id=person.id or 0, repo_id=repo.id, granted_on=now.date(), source="admin"),
            )
    refresh_statuses(session, today=now.date())
    _audit(
        session,
        now,
        actor,
        "person.added" if created else "person.updated",
        handle,
        {"roles": ",".join(roles)},
    )
    session.commit()
    return person, created
