"""Roster use cases: import (one transaction, with a report), export, standing, profiles, Slack linking."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from bot.services.directory import Directory, SlackProfile
from bot.services.policy import PHASE_KEY, PhasePolicy, current_policy
from bot.services.roster_formats import (
    INDIVIDUAL_ACCOUNT,
    AgreementSpec,
    OrgSpec,
    PersonSpec,
    RosterDocument,
    RosterError,
)
from bot.services.status import Standing, derive_standing, is_valid
from storage import roster as store
from storage.audit import add_audit_entry
from storage.models import (
    Agreement,
    AgreementKind,
    ChampionAssignment,
    CommitGrant,
    Organization,
    Person,
    Phase,
    Role,
    Status,
)
from storage.program import get_program_setting, set_program_setting


@dataclass
class ImportReport:
    """What an import added, changed and removed (or would have, in a dry run)."""

    source: str
    format: str
    dry_run: bool
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0

    @property
    def summary(self) -> str:
        """One line: how much changed."""
        verb = "would add" if self.dry_run else "added"
        return (
            f"{self.source} ({self.format}): {verb} {len(self.added)}, changed {len(self.changed)}, "
            f"removed {len(self.removed)}; {self.skipped} record(s) skipped, {len(self.warnings)} warning(s)"
        )


def import_roster(
    session: Session,
    doc: RosterDocument,
    *,
    now: dt.datetime,
    actor: str,
    directory: Directory | None = None,
    dry_run: bool = False,
    prune: bool = False,
) -> ImportReport:
    """Apply a parsed roster in one transaction; raise RosterError (changing nothing) on any problem."""
    report = ImportReport(source=doc.source, format=doc.format, dry_run=dry_run, warnings=list(doc.warnings))
    try:
        importer = _Importer(session, doc, report, today=now.date())
        importer.run(prune=prune)
        if directory is not None and not dry_run:
            _resolve_slack_ids(session, [p.github for p in doc.people], directory, report)
        for person, old, new in refresh_statuses(session, today=now.date()):
            if person.github_key in importer.new_handles:
                continue
            report.changed.append(f"status {person.github}: {old} -> {new}")
        add_audit_entry(
            session,
            at=now,
            actor=actor,
            action="roster.import",
            subject=doc.source,
            details={
                "format": doc.format,
                "added": report.added,
                "changed": report.changed,
                "removed": report.removed,
            },
        )
    except BaseException:
        session.rollback()
        raise
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return report


class _Importer:
    """Applies one document's organisations and people to the database, noting each change."""

    def __init__(
        self, session: Session, doc: RosterDocument, report: ImportReport, *, today: dt.date
    ) -> None:
        self.session = session
        self.doc = doc
        self.report = report
        self.today = today
        self.source = f"{doc.format}:{doc.source}"[:200]
        self.people: dict[str, Person] = {}
        self.new_handles: set[str] = set()

    def run(self, *, prune: bool) -> None:
        specs = self._relevant_people()
        self._check_references(specs)
        if self.doc.phase is not None:
            old = get_program_setting(self.session, PHASE_KEY, Phase.PILOT.value)
            if old != self.doc.phase.value:
                set_program_setting(self.session, PHASE_KEY, self.doc.phase.value)
                self.report.changed.append(f"program phase: {old} -> {self.doc.phase.value}")
        for org_spec in self.doc.organizations:
            self._apply_org(org_spec)
        for spec in specs:
            self._apply_person(spec)
        for spec in specs:
            self._apply_links(spec)
        if prune:
            self._prune({spec.github.lower() for spec in specs})

    def _relevant_people(self) -> list[PersonSpec]:
        specs = []
        for spec in self.doc.people:
            if spec.only_if_known and store.get_person_by_github(self.session, spec.github) is None:
                self.report.skipped += 1
                continue
            specs.append(spec)
        return specs

    def _check_references(self, specs: list[PersonSpec]) -> None:
        in_file = {spec.github.lower() for spec in specs}
        problems = []
        for spec in specs:
            for handle in [*(spec.champions or []), *([spec.manager] if spec.manager else [])]:
                if handle.lower() not in in_file and store.get_person_by_github(self.session, handle) is None:
                    problems.append(
                        f"{spec.where}: person {spec.github}: {handle!r} is not in this file or on the roster"
                    )
            if spec.slack:
                holder = store.get_person_by_slack_id(self.session, spec.slack)
                if holder is not None and holder.github_key != spec.github.lower():
                    problems.append(
                        f"{spec.where}: person {spec.github}: Slack id {spec.slack} belongs to {holder.github}"
                    )
        if problems:
            raise RosterError(problems)

    def _apply_org(self, spec: OrgSpec) -> Organization:
        org = store.get_organization_by_name(self.session, spec.name)
        created = org is None
        if org is None:
            org = store.add_organization(self.session, name=spec.name)
            self.report.added.append(f"organization {spec.name}")
        updates = {
            "is_provider": spec.is_provider,
            "contact_name": spec.contact_name,
            "contact_email": spec.contact_email,
        }
        self._update(org, f"organization {spec.name}", updates, quiet=created)
        assert org.id is not None
        existing = store.list_agreements(self.session, organization_id=org.id)
        label = f"organization {spec.name}"
        if spec.agreements is not None:
            self._sync_agreements(
                existing,
                spec.agreements,
                {AgreementKind.ENTITY.value},
                label,
                holder={"organization_id": org.id},
            )
        if spec.ensure_entity is not None:
            self._ensure(
                existing, AgreementKind.ENTITY, spec.ensure_entity, label, {"organization_id": org.id}
            )
        return org

    def _apply_person(self, spec: PersonSpec) -> None:
        person = store.get_person_by_github(self.session, spec.github)
        label = f"person {spec.github}"
        if person is None:
            person = store.add_person(self.session, github=spec.github, name=spec.name or spec.github)
            status = Status.ONBOARDING if Role.COMMITTER.value in spec.roles else Status.ACTIVE
            person.status = status.value
            self.new_handles.add(person.github_key)
            self.report.added.append(f"person {spec.github} ({person.name})")
        assert person.id is not None
        self.people[spec.github.lower()] = person
        updates: dict[str, Any] = {
            "github": spec.github,
            "name": spec.name,
            "email": spec.email,
            "slack_user_id": spec.slack,
            "timezone": spec.timezone,
            "title": spec.title,
        }
        if spec.organization:
            org = store.get_organization_by_name(self.session, spec.organization) or self._apply_org(
                OrgSpec(name=spec.organization, where=spec.where)
            )
            updates["organization_id"] = org.id
        elif spec.clear_organization:
            updates["organization_id"] = _Clear
        if spec.alumni is not None:
            updates["removed_on"] = (person.removed_on or self.today) if spec.alumni else _Clear
        self._update(person, label, updates, quiet=person.github_key in self.new_handles)
        roles = store.list_roles(self.session, person.id)
        wanted = (roles - spec.role_scope) | spec.roles
        if wanted != roles:
            store.set_roles(self.session, person.id, wanted)
            for role in sorted(wanted - roles):
                self.report.added.append(f"role {role} for {spec.github}")
            for role in sorted(roles - wanted):
                self.report.removed.append(f"role {role} from {spec.github}")
        self._sync_grants(person, spec)
        existing = store.list_agreements(self.session, person_id=person.id)
        if spec.agreements is not None:
            self._sync_agreements(
                existing, spec.agreements, set(spec.agreement_scope), label, holder={"person_id": person.id}
            )
        if spec.ensure_individual is not None:
            self._ensure(
                existing, AgreementKind.INDIVIDUAL, spec.ensure_individual, label, {"person_id": person.id}
            )

    def _apply_links(self, spec: PersonSpec) -> None:
        person = self.people[spec.github.lower()]
        assert person.id is not None
        if spec.manager or spec.clear_manager:
            manager = self._person(spec.manager) if spec.manager else None
            if person.manager_id != (manager.id if manager else None):
                old = store.get_person(self.session, person.manager_id) if person.manager_id else None
                person.manager_id = manager.id if manager else None
                if person.github_key not in self.new_handles:
                    self.report.changed.append(
                        f"person {spec.github}: manager {old.github if old else None} -> "
                        f"{manager.github if manager else None}"
                    )
        if spec.champions is None:
            return
        wanted = [self._person(handle) for handle in spec.champions]
        wanted_ids = [champion.id for champion in wanted]
        for assignment, champion in store.list_active_champions(self.session, person.id):
            if champion.id not in wanted_ids:
                assignment.ended_on = self.today
                self.report.removed.append(f"champion {champion.github} for {spec.github}")
        current = {a.champion_id: a for a, _ in store.list_active_champions(self.session, person.id)}
        for slot, champion in enumerate(wanted, start=1):
            assert champion.id is not None
            if champion.id in current:
                if current[champion.id].slot != slot:
                    current[champion.id].slot = slot
                    self.report.changed.append(f"champion {champion.github} for {spec.github}: slot {slot}")
                continue
            store.add_assignment(
                self.session,
                ChampionAssignment(
                    committer_id=person.id, champion_id=champion.id, slot=slot, started_on=self.today
                ),
            )
            self.report.added.append(f"champion {champion.github} for {spec.github}")
            if Role.CHAMPION.value not in store.list_roles(self.session, champion.id):
                self.report.warnings.append(
                    f"{spec.where}: {champion.github} champions {spec.github} "
                    "but does not hold the champion role"
                )
        self.session.flush()

    def _person(self, handle: str) -> Person:
        person = self.people.get(handle.lower()) or store.get_person_by_github(self.session, handle)
        assert person is not None, "references are checked before anything is applied"
        return person

    def _sync_grants(self, person: Person, spec: PersonSpec) -> None:
        assert person.id is not None
        active = store.list_active_grants(self.session, person.id)
        if spec.repos is not None:
            wanted = {name.lower(): name for name in spec.repos}
            have = {repo.key for grant, repo in active if repo is not None}
            for grant, repo in active:
                if repo is not None and repo.key not in wanted:
                    grant.revoked_on = self.today
                    self.report.removed.append(f"grant {spec.github} -> {repo.full_name}")
            for key, name in wanted.items():
                if key not in have:
                    repo = store.get_or_add_repo(self.session, name)
                    store.add_grant(
                        self.session,
                        CommitGrant(
                            person_id=person.id,
                            repo_id=repo.id,
                            granted_on=spec.granted_on or self.today,
                            source=self.source,
                        ),
                    )
                    self.report.added.append(f"grant {spec.github} -> {repo.full_name}")
        if spec.branches is not None:
            have_branches = {grant.branch for grant, repo in active if repo is None}
            for grant, repo in active:
                if repo is None and grant.branch not in spec.branches:
                    grant.revoked_on = self.today
                    self.report.removed.append(f"grant {spec.github} -> branch {grant.branch}")
            for branch in spec.branches:
                if branch not in have_branches:
                    store.add_grant(
                        self.session,
                        CommitGrant(
                            person_id=person.id,
                            branch=branch,
                            granted_on=spec.granted_on or self.today,
                            source=self.source,
                        ),
                    )
                    self.report.added.append(f"grant {spec.github} -> branch {branch}")

    def _sync_agreements(
        self,
        existing: list[Agreement],
        specs: list[AgreementSpec],
        scope: set[str],
        label: str,
        *,
        holder: dict[str, Any],
    ) -> None:
        unmatched = [a for a in existing if a.kind in scope]
        for spec in specs:
            match = next(
                (a for a in unmatched if a.kind == spec.kind.value and a.signed_on == spec.signed), None
            )
            if match is None:
                store.add_agreement(
                    self.session,
                    Agreement(
                        kind=spec.kind.value,
                        signed_on=spec.signed,
                        expires_on=spec.expires,
                        source=self.source,
                        **holder,
                    ),
                )
                self.report.added.append(
                    f"agreement {spec.kind.value} for {label}{_dates(spec.signed, spec.expires)}"
                )
                continue
            unmatched.remove(match)
            if match.expires_on != spec.expires:
                self.report.changed.append(
                    f"agreement {spec.kind.value} for {label}: expires {match.expires_on} -> {spec.expires}"
                )
                match.expires_on = spec.expires
        for agreement in unmatched:
            self.report.removed.append(
                f"agreement {agreement.kind} for {label}{_dates(agreement.signed_on, agreement.expires_on)}"
            )
        store.delete_rows(self.session, unmatched)

    def _ensure(
        self, existing: list[Agreement], kind: AgreementKind, wanted: bool, label: str, holder: dict[str, Any]
    ) -> None:
        valid = [a for a in existing if a.kind == kind.value and is_valid(a, self.today)]
        if wanted and not valid:
            store.add_agreement(self.session, Agreement(kind=kind.value, source=self.source, **holder))
            self.report.added.append(f"agreement {kind.value} for {label} (active, no expiry given)")
        elif not wanted:
            for agreement in valid:
                agreement.expires_on = self.today
                self.report.changed.append(f"agreement {kind.value} for {label}: ended {self.today}")

    def _update(self, row: Any, label: str, values: dict[str, Any], *, quiet: bool = False) -> None:
        for name, value in values.items():
            if value is None:
                continue
            value = None if value is _Clear else value
            old = getattr(row, name)
            if old != value:
                setattr(row, name, value)
                if not quiet:
                    self.report.changed.append(f"{label}: {name} {old!r} -> {value!r}")
        self.session.flush()

    def _prune(self, listed: set[str]) -> None:
        for person in store.list_people(self.session, include_alumni=False):
            if person.github_key not in listed:
                person.removed_on = self.today
                self.report.removed.append(f"person {person.github} (now alumni)")
        self.session.flush()


class _ClearType:
    """Marks a field the file explicitly leaves empty (distinct from 'not mentioned')."""


_Clear: Any = _ClearType()


def _dates(signed: dt.date | None, expires: dt.date | None) -> str:
    parts = [f"signed {signed}" if signed else "", f"expires {expires}" if expires else ""]
    text = ", ".join(part for part in parts if part)
    return f" ({text})" if text else ""


def _resolve_slack_ids(
    session: Session, handles: list[str], directory: Directory, report: ImportReport
) -> None:
    for handle in handles:
        person = store.get_person_by_github(session, handle)
        if person is None or (person.slack_user_id and person.timezone):
            continue
        profile = (
            directory.user_info(person.slack_user_id)
            if person.slack_user_id
            else directory.lookup_by_email(person.email)
            if person.email
            else None
        )
        if profile is None:
            if not person.slack_user_id:
                report.warnings.append(
                    f"person {handle}: no Slack user found for {person.email or 'no e-mail'}"
                )
            continue
        holder = store.get_person_by_slack_id(session, profile.user_id)
        if holder is not None and holder.id != person.id:
            report.warnings.append(
                f"person {handle}: Slack user {profile.user_id} already belongs to {holder.github}"
            )
            continue
        if not person.slack_user_id:
            person.slack_user_id = profile.user_id
            report.changed.append(f"person {handle}: Slack id {profile.user_id} (found by e-mail)")
        if not person.timezone and profile.timezone:
            person.timezone = profile.timezone
            report.changed.append(f"person {handle}: timezone {profile.timezone} (from Slack)")
    session.flush()


def refresh_statuses(session: Session, *, today: dt.date) -> list[tuple[Person, str, str]]:
    """Recompute every person's stored status; return (person, old, new) for each that changed."""
    policy = current_policy(session)
    roles = store.roles_by_person(session)
    by_person, by_org = store.agreements_by_holder(session)
    champion_counts = Counter(a.committer_id for a in store.active_assignments(session))
    orgs = {org.id: org for org in store.list_organizations(session)}
    changes = []
    for person in store.list_people(session):
        assert person.id is not None
        org = orgs.get(person.organization_id) if person.organization_id else None
        standing = derive_standing(
            roles=roles.get(person.id, set()),
            removed_on=person.removed_on,
            agreements=by_person.get(person.id, []),
            organization=org,
            organization_agreements=by_org.get(org.id, []) if org and org.id else [],
            champion_count=champion_counts[person.id],
            policy=policy,
            today=today,
        )
        if person.status != standing.status.value:
            changes.append((person, person.status, standing.status.value))
            person.status = standing.status.value
    session.flush()
    return changes


@dataclass(frozen=True)
class AgreementLine:
    """An agreement as shown to its holder: whose it is, its dates and whether it is in force."""

    kind: AgreementKind
    holder: str
    signed_on: dt.date | None
    expires_on: dt.date | None
    valid: bool


@dataclass
class Profile:
    """Everything `/cc` and App Home show a person about themselves."""

    person: Person
    roles: list[str]
    organization: Organization | None
    repos: list[str]
    branches: list[str]
    champions: list[Person]
    committers: list[Person]
    manager: Person | None
    agreements: list[AgreementLine]
    standing: Standing
    policy: PhasePolicy


ROLE_ORDER = [role.value for role in Role]


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
        committers=store.list_assigned_committers(session, person_id) if Role.CHAMPION.value in roles else [],
        manager=store.get_person(session, person.manager_id) if person.manager_id else None,
        agreements=lines,
        standing=standing,
        policy=policy,
    )


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
    add_audit_entry(
        session,
        at=now,
        actor=profile.user_id,
        action="person.link_slack",
        subject=person.github,
        details={"slack_user_id": profile.user_id, "by": "email"},
    )
    session.commit()
    return person


def export_roster(session: Session) -> dict[str, Any]:
    """Return the whole roster in ccbot's own YAML structure."""
    phase = get_program_setting(session, PHASE_KEY, Phase.PILOT.value)
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
        entry: dict[str, Any] = {"name": org.name, "is_provider": org.is_provider}
        if org.contact_name or org.contact_email:
            entry["contact"] = {
                k: v for k, v in {"name": org.contact_name, "email": org.contact_email}.items() if v
            }
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
        person_grants = grants.get(person.id, [])
        repos = [repo.full_name for _, repo in person_grants if repo is not None]
        if repos:
            entry["repos"] = repos
        branches = [grant.branch for grant, repo in person_grants if repo is None and grant.branch]
        if branches:
            entry["branches"] = branches
        if champions.get(person.id):
            entry["champions"] = champions[person.id]
        if person.manager_id:
            entry["manager"] = handles[person.manager_id]
        if by_person.get(person.id):
            entry["agreements"] = [_agreement_dict(a) for a in by_person[person.id]]
        if person.removed_on:
            entry["status"] = "alumni"
        data["people"].append(entry)
    return data


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
        individual = sum(1 for a in own if a.kind == AgreementKind.INDIVIDUAL.value and is_valid(a, today))
        entity_rows = own + (by_org.get(org.id, []) if org and org.id else [])
        entity = sum(1 for a in entity_rows if a.kind == AgreementKind.ENTITY.value and is_valid(a, today))
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
                "Is Core Contributor": "1" if Role.COMMITTER.value in roles.get(person.id, set()) else "0",
            }
        )
    return rows


def list_admins(session: Session) -> list[Person]:
    """Return the current program admins on the roster."""
    return store.list_people_with_role(session, Role.ADMIN.value)


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
