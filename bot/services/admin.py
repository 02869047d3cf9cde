"""Admin changes to the program: phase, agreements, champions, people, removals, away dates, retros.

Each change is audited and commits with what it implies (the phase change with its announcement in the
coordination channel), and returns the confirmation the admin sees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlmodel import Session

from bot.services.agreement_history import note_agreement
from bot.services.areas import set_away
from bot.services.audit import audit
from bot.services.errors import FieldErrors, NotOnRoster, UserError
from bot.services.logins import login_refusal
from bot.services.outbox import commit, post
from bot.services.owners import REPO_NAME
from bot.services.policy import NDA_REQUIRED_KEY, PHASE_KEY, current_policy
from bot.services.retros import open_retro
from bot.services.roster import person_by_handle
from bot.services.roster.statuses import status_change_messages
from bot.types.admin import PhaseChange
from bot.types.decided import Decided
from bot.types.keys import Kind
from bot.types.limits import NAME_MAX
from bot.types.policy import Channels
from bot.views import admin as views
from bot.views.text import Mrkdwn
from storage import roster as store
from storage.models import (
    Agreement,
    AgreementAction,
    AgreementKind,
    ChampionAssignment,
    CommitGrant,
    Person,
    Phase,
    RetroAudience,
    Role,
    Status,
)
from storage.program import set_program_setting

MILESTONES_KEY = "phase_milestones"


def check_admin(session: Session, person: Person | None, bootstrap_ids: Iterable[str]) -> Person:
    """Return the person when they are an admin (on the roster, or bootstrapped by CCBOT_ADMINS); UserError otherwise."""
    if person is None or person.id is None:
        raise NotOnRoster("`/cc-admin` is for program admins, and you are not on the roster.")
    if person.removed_on is None and (
        Role.ADMIN in store.list_powers(session, person.id) or person.slack_user_id in set(bootstrap_ids)
    ):
        return person
    admins = ", ".join(p.name or p.github for p in store.list_people_with_role(session, Role.ADMIN))
    raise UserError(
        "`/cc-admin` is for program admins. "
        + (
            f"Ask one of them ({admins}) for the change you need."
            if admins
            else "Ask the person who runs the bot."
        )
    )


def _person(session: Session, handle: str, field: str) -> Person:
    return person_by_handle(session, handle, field=field)


def set_phase(
    session: Session,
    actor: Person,
    *,
    phase: Phase,
    nda_required: bool,
    milestones: str,
    now: dt.datetime,
    channels: Channels,
) -> Decided[Mrkdwn]:
    """Switch the program's phase (and the NDA requirement) and recompute standings, committed with the
    announcement in the coordination channel (none when it is not configured)."""
    old = current_policy(session).phase
    set_program_setting(session, PHASE_KEY, phase)
    set_program_setting(session, NDA_REQUIRED_KEY, nda_required)
    set_program_setting(session, MILESTONES_KEY, milestones.strip()[:1000])
    # Turning the NDA requirement on can lapse people: each is told, committed with the change.
    notices = status_change_messages(session, today=now.date(), channels=channels)
    audit(
        session,
        now,
        actor,
        "program.phase",
        phase.value,
        **{"from": old.value, "nda_required": str(nda_required)},
    )
    change = PhaseChange(old, phase, nda_required, milestones.strip(), actor)
    announcement = post(
        Kind.PHASE,
        [phase.value, f"{now:%Y%m%d%H%M%S}"],
        channels.coordination,
        views.phase_announcement(change),
    )
    return Decided(views.phase_done(change), commit(session, [announcement, *notices], now=now))


def record_agreement(
    session: Session,
    actor: Person,
    *,
    holder: str,
    kind: AgreementKind,
    signed_on: dt.date | None,
    expires_on: dt.date | None,
    now: dt.datetime,
    channels: Channels,
) -> Decided[Mrkdwn]:
    """Record an agreement for a person (or, for `entity`, their organisation); say their standing now."""
    if signed_on and expires_on and expires_on <= signed_on:
        raise FieldErrors({"expires": "The expiry must come after the signing date."})
    person = _person(session, holder, "holder")
    if kind is AgreementKind.ENTITY:
        org = store.get_organization(session, person.organization_id) if person.organization_id else None
        if org is None:
            raise FieldErrors({"holder": f"{person.github} has no organisation to hold an entity agreement."})
        agreement = store.add_agreement(
            session,
            Agreement(
                kind=kind,
                organization_id=org.id,
                signed_on=signed_on,
                expires_on=expires_on,
                source="admin",
            ),
        )
        label = org.name
    else:
        agreement = store.add_agreement(
            session,
            Agreement(
                kind=kind,
                person_id=person.id,
                signed_on=signed_on,
                expires_on=expires_on,
                source="admin",
            ),
        )
        label = person.github
    note_agreement(session, agreement, action=AgreementAction.RECORDED, actor=actor, now=now)
    # The committer whose standing this changes is told (and anyone else it moves), committed with the agreement.
    notices = status_change_messages(session, today=now.date(), channels=channels)
    audit(session, now, actor, "agreement.recorded", label, kind=kind, expires=str(expires_on or ""))
    return Decided(views.agreement_done(label, person.status), commit(session, notices, now=now))


def assign_champions(
    session: Session,
    actor: Person,
    *,
    committer: str,
    champions: list[str],
    now: dt.datetime,
    channels: Channels,
) -> Decided[Mrkdwn]:
    """Replace a committer's champions (in slot order)."""
    person = _person(session, committer, "committer")
    named = [_person(session, handle, "champions") for handle in champions if handle.strip()]
    # Once each, in the order given (a handle named twice keeps its first slot).
    chosen = list({champion.id: champion for champion in named}.values())
    if not chosen:
        raise FieldErrors({"champions": "Name at least one champion."})
    if any(c.id == person.id for c in chosen):
        raise FieldErrors({"champions": "A committer cannot champion themselves."})
    today = now.date()
    for assignment, _ in store.list_active_champions(session, person.id or 0):
        assignment.ended_on = today
        session.add(assignment)
    for slot, champion in enumerate(chosen, start=1):
        if Role.CHAMPION not in store.list_roles(session, champion.id or 0):
            store.set_roles(
                session, champion.id or 0, {*store.list_roles(session, champion.id or 0), Role.CHAMPION}
            )
        store.add_assignment(
            session,
            ChampionAssignment(
                committer_id=person.id or 0, champion_id=champion.id or 0, slot=slot, started_on=today
            ),
        )
    notices = status_change_messages(session, today=today, channels=channels)
    audit(
        session, now, actor, "champions.assigned", person.github, champions=",".join(c.github for c in chosen)
    )
    return Decided(views.champions_done(person, chosen), commit(session, notices, now=now))


def remove_committer(
    session: Session, actor: Person, *, committer: str, now: dt.datetime, channels: Channels
) -> Decided[Mrkdwn]:
    """Make a committer an alumnus from today."""
    person = _person(session, committer, "committer")
    if person.removed_on is not None:
        raise FieldErrors({"committer": f"{person.github} is already an alumnus."})
    person.removed_on, person.status = now.date(), Status.ALUMNI
    session.add(person)
    audit(session, now, actor, "person.removed", person.github)
    return Decided(views.removed_done(person), commit(session, [], now=now))


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
    channels: Channels,
) -> Decided[Mrkdwn]:
    """Add a person or update one (roles, organisation, repos, Slack user)."""
    handle = github.strip().lstrip("@")
    refused = login_refusal(handle) if handle else "Give the person's GitHub handle."
    if refused is not None:
        raise FieldErrors({"github": refused})
    if not roles:
        raise FieldErrors({"roles": "Choose at least one role."})
    if not set(roles) <= set(Role):
        raise FieldErrors({"roles": "Choose roles from the options offered."})
    too_long = {
        field: f"Keep it under {NAME_MAX} characters."
        for field, value in (("name", name), ("organization", organization or ""))
        if len(value.strip()) > NAME_MAX
    }
    if too_long:
        raise FieldErrors(too_long)
    bad = [r for r in repos if not REPO_NAME.match(r)]
    if bad:
        raise FieldErrors({"repos": f"{', '.join(bad[:3])[:200]}: write repositories as org/repo."})
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
            session, github=handle, name=name.strip() or handle, status=Status.ONBOARDING
        )
    elif name.strip():
        person.name = name.strip()
    if slack_user_id:
        person.slack_user_id = slack_user_id
    if org is not None:
        person.organization_id = org.id
    store.set_roles(session, person.id or 0, {Role(role) for role in roles})
    held = {repo.key for _, repo in store.list_active_grants(session, person.id or 0) if repo is not None}
    for full_name in repos:
        repo = store.get_or_add_repo(session, full_name)
        if repo.key not in held:
            store.add_grant(
                session,
                CommitGrant(person_id=person.id or 0, repo_id=repo.id, granted_on=now.date(), source="admin"),
            )
    # A new role or organisation can lapse or activate someone: they are told, committed with the change.
    notices = status_change_messages(session, today=now.date(), channels=channels)
    action = "person.added" if created else "person.updated"
    audit(session, now, actor, action, handle, roles=",".join(roles))
    return Decided(views.person_done(person, created=created), commit(session, notices, now=now))


def mark_away(
    session: Session,
    actor: Person,
    *,
    github: str,
    until: dt.date | None,
    now: dt.datetime,
    channels: Channels,
) -> Decided[Mrkdwn]:
    """Mark someone away until a date (None: back), so the rotations skip them."""
    away = _person(session, github, "github")
    set_away(session, away, until, now=now, actor=actor.github)
    return Decided(views.away_done(away, until))


def open_retro_for(
    session: Session,
    actor: Person,
    *,
    name: str,
    closes_on: dt.date,
    audience: RetroAudience,
    now: dt.datetime,
    channels: Channels,
) -> Decided[Mrkdwn]:
    """Open a retro for an audience; its invitations go out with the next retro_reminders run."""
    try:
        retro, people = open_retro(
            session, name=name, closes_on=closes_on, audience=audience, now=now, actor=actor.github
        )
    except UserError as exc:
        raise FieldErrors({"retro_name": str(exc)}) from None
    return Decided(views.retro_done(retro, len(people)))
