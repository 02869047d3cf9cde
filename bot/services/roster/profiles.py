"""A person's profile as `/cc` and App Home show it: roles, rights, champions, agreements and standing."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.services.policy import current_policy
from bot.services.standing import derive_standing, is_valid
from bot.types.roster import AgreementLine, Profile
from storage import roster as store
from storage.models import AgreementKind, Role

ROLE_ORDER = list(Role)


def get_profile(session: Session, person_id: int, *, today: dt.date) -> Profile:
    """Return a person's profile: roles, repos, champions, agreements and standing."""
    person = store.get_person(session, person_id)
    if person is None:
        raise LookupError(f"no person with id {person_id}")
    policy = current_policy(session)
    roles = store.list_roles(session, person_id)
    org = store.get_organization(session, person.organization_id) if person.organization_id else None
    own = store.list_agreements(session, person_id=person_id)
    org_agreements = store.list_agreements(session, organization_id=org.id) if org and org.id else []
    champions = [champion for _, champion in store.list_active_champions(session, person_id)]
    grants = store.list_active_grants(session, person_id)
    standing = derive_standing(
        roles=roles,
        removed_on=person.removed_on,
        agreements=own,
        organization=org,
        organization_agreements=org_agreements,
        champion_count=len(champions),
        policy=policy,
        today=today,
    )
    lines = [
        AgreementLine(AgreementKind(a.kind), "you", a.signed_on, a.expires_on, is_valid(a, today))
        for a in own
    ]
    if org is not None:
        lines += [
            AgreementLine(AgreementKind(a.kind), org.name, a.signed_on, a.expires_on, is_valid(a, today))
            for a in org_agreements
        ]
    return Profile(
        person=person,
        roles=sorted(roles, key=ROLE_ORDER.index),
        organization=org,
        repos=[repo.full_name for _, repo in grants if repo is not None],
        branches=[grant.branch for grant, repo in grants if repo is None and grant.branch],
        champions=champions,
        committers=store.list_assigned_committers(session, person_id) if Role.CHAMPION in roles else [],
        manager=store.get_person(session, person.manager_id) if person.manager_id else None,
        agreements=lines,
        standing=standing,
        policy=policy,
    )
