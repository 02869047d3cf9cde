"""The roster written out: ccbot's own YAML structure, and the rows of the CLA export CSV."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from bot.services.policy import PHASE_KEY
from bot.services.roster.formats.agreements_csv import INDIVIDUAL_ACCOUNT
from bot.services.roster.profiles import ROLE_ORDER
from bot.services.standing import is_valid
from storage import roster as store
from storage.models import Agreement, AgreementKind, CommitGrant, Phase, Role
from storage.program import get_program_setting


def export_roster(session: Session) -> dict[str, Any]:
    """Return the whole roster in ccbot's own YAML structure."""
    phase = get_program_setting(session, PHASE_KEY, Phase.PILOT)
    roles = store.roles_by_person(session)
    by_person, by_org = store.agreements_by_holder(session)
    grants = store.active_grants_by_person(session)
    people = store.list_people(session)
    handles = {person.id: person.github for person in people}
    champions: dict[int, list[str]] = {}
    for assignment in store.active_assignments(session):
        champions.setdefault(assignment.committer_id, []).append(handles[assignment.champion_id])
    orgs = store.list_organizations(session)
    org_names = {org.id: org.name for org in orgs}
    data: dict[str, Any] = {"program": {"phase": phase}, "organizations": [], "people": []}
    for org in orgs:
        entry: dict[str, Any] = {"name": org.name}
        if org.alias:
            entry["alias"] = org.alias
        entry["is_provider"] = org.is_provider
        for key, name, email in (
            ("contact", org.contact_name, org.contact_email),
            ("contact2", org.contact2_name, org.contact2_email),
        ):
            if name or email:
                entry[key] = {k: v for k, v in {"name": name, "email": email}.items() if v}
        if by_org.get(org.id or 0):
            entry["agreements"] = [_agreement_dict(a) for a in by_org[org.id or 0]]
        data["organizations"].append(entry)
    for person in people:
        assert person.id is not None
        entry = {"github": person.github, "name": person.name}
        optional = {
            "email": person.email,
            "slack": person.slack_user_id,
            "timezone": person.timezone,
            "title": person.title,
            "organization": org_names.get(person.organization_id or 0),
        }
        entry.update({key: value for key, value in optional.items() if value})
        entry["roles"] = sorted(roles.get(person.id, set()), key=ROLE_ORDER.index)
        entry.update(_grant_entries(grants.get(person.id, [])))
        if champions.get(person.id):
            entry["champions"] = champions[person.id]
        if person.manager_id:
            entry["manager"] = handles[person.manager_id]
        if by_person.get(person.id):
            entry["agreements"] = [_agreement_dict(a) for a in by_person[person.id]]
        if person.removed_on:
            entry["status"] = "alumni"
            entry["removed"] = person.removed_on
        data["people"].append(entry)
    return data


def _grant_entries(person_grants: list[tuple[CommitGrant, Any]]) -> dict[str, Any]:
    """Return `repos`, `branches` and `granted`: one date for all when they share it, else per entry."""
    dates = {grant.granted_on for grant, _ in person_grants}
    shared = next(iter(dates)) if len(dates) == 1 else None
    entry: dict[str, Any] = {}
    for key, singular, pairs in (
        ("repos", "repo", [(grant, repo.full_name) for grant, repo in person_grants if repo is not None]),
        ("branches", "branch", [(grant, grant.branch) for grant, repo in person_grants if repo is None]),
    ):
        if pairs:
            entry[key] = [
                name
                if shared is not None or grant.granted_on is None
                else {singular: name, "granted": grant.granted_on}
                for grant, name in pairs
            ]
    if shared is not None:
        entry["granted"] = shared
    return entry


def _agreement_dict(agreement: Agreement) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": agreement.kind}
    if agreement.signed_on:
        entry["signed"] = agreement.signed_on
    if agreement.expires_on:
        entry["expires"] = agreement.expires_on
    return entry


def export_agreement_rows(session: Session, *, today: dt.date) -> list[dict[str, str]]:
    """Return the roster as rows of the CLA export CSV (counts of agreements in force today)."""
    roles = store.roles_by_person(session)
    by_person, by_org = store.agreements_by_holder(session)
    orgs = {org.id: org for org in store.list_organizations(session)}
    rows = []
    for person in store.list_people(session):
        assert person.id is not None
        own = by_person.get(person.id, [])
        org = orgs.get(person.organization_id) if person.organization_id else None
        individual = sum(1 for a in own if a.kind == AgreementKind.INDIVIDUAL and is_valid(a, today))
        entity_rows = own + (by_org.get(org.id, []) if org and org.id else [])
        entity = sum(1 for a in entity_rows if a.kind == AgreementKind.ENTITY and is_valid(a, today))
        first, _, last = person.name.partition(" ")
        account = org.name if org else (INDIVIDUAL_ACCOUNT if individual else "")
        rows.append(
            {
                "First Name": first,
                "Last Name": last,
                "Number of Active Ind. CLA Contracts": str(individual),
                "Title": person.title or "",
                "Account Name": account,
                "Number of Active Entity CLA Contracts": str(entity),
                "GitHub Username": person.github,
                "Is Core Contributor": "1" if Role.COMMITTER in roles.get(person.id, set()) else "0",
            }
        )
    return rows
