"""Roster use cases: import (one transaction, with a report), export, standing, profiles, Slack linking."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, cast

from sqlmodel import Session

from bot.services.directory import Directory, SlackProfile
from bot.services.errors import FieldErrors
from bot.services.logins import login_refusal
from bot.services.outbox import Outgoing, commit
from bot.services.policy import PHASE_KEY, PhasePolicy, current_policy
from bot.services.roster_formats import (
    INDIVIDUAL_ACCOUNT,
    AgreementSpec,
    OrgSpec,
    PersonSpec,
    RosterDocument,
    RosterError,
    gc_paused,
)
from bot.services.standing import Standing, derive_standing, is_valid
from storage import roster as store
from storage.audit import add_audit_entry
from storage.models import (
    Agreement,
    AgreementAction,
    AgreementEvent,
    AgreementKind,
    ChampionAssignment,
    CommitGrant,
    Organization,
    Person,
    PersonRole,
    Phase,
    Repo,
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
    not_imported: list[str] = field(default_factory=list)
    ending: list[str] = field(default_factory=list)
    needs_confirmation: bool = False

    @property
    def summary(self) -> str:
        """One line: how much changed."""
        verb = "would add" if self.dry_run else "added"
        return (
            f"{self.source} ({self.format}): {verb} {len(self.added)}, changed {len(self.changed)}, "
            f"removed {len(self.removed)}; {self.skipped} record(s) skipped, {len(self.warnings)} warning(s)"
        )


class ConfirmationNeeded(RosterError):
    """The import would end or lapse many at once; nothing changed; its dry-run report is attached."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(
            [
                f"{report.source}: this import would end agreements, commit rights or standing of "
                f"{len(report.ending)} people and organisations at once ({', '.join(report.ending[:8])}"
                f"{', ...' if len(report.ending) > 8 else ''}); check the dry run above and re-run with --yes"
            ]
        )
        self.report = report


# More than this many holders ended or lapsed at once, or more than this share of the roster,
# asks for confirmation: a file that blanks a column would otherwise end everyone's agreement.
MASS_CHANGE_COUNT = 3
MASS_CHANGE_SHARE = 0.2


def import_roster(
    session: Session,
    doc: RosterDocument,
    *,
    now: dt.datetime,
    actor: str,
    directory: Directory | None = None,
    dry_run: bool = False,
    prune: bool = False,
    confirmed: bool = True,
) -> ImportReport:
    """Apply a parsed roster in one transaction; raise RosterError (changing nothing) on any problem.

    With `confirmed=False`, an import that would end or lapse many at once changes nothing and
    raises ConfirmationNeeded carrying the dry-run report.
    """
    report = ImportReport(source=doc.source, format=doc.format, dry_run=dry_run, warnings=list(doc.warnings))
    try:
        with gc_paused():
            importer = _Importer(session, doc, report, today=now.date(), now=now, actor=actor)
            importer.run(prune=prune)
        if not dry_run and not confirmed and importer.is_mass_change():
            report.dry_run = True
            report.needs_confirmation = True
            session.rollback()
            session.expire_all()
            raise ConfirmationNeeded(report)
        if directory is not None and not dry_run:
            _resolve_slack_ids(session, [p.github for p in importer.imported], directory, report)
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
    except ConfirmationNeeded:
        raise
    except BaseException:
        session.rollback()
        session.expire_all()
        raise
    if dry_run:
        session.rollback()
    else:
        # Whoever the import lapses or makes active is told, committed with the import (never silently).
        commit(session, _status_notices(session, importer.moved, today=now.date()), now=now)
    session.expire_all()
    return report


def _status_notices(
    session: Session, moved: list[tuple[int, str, str]], *, today: dt.date
) -> list[Outgoing | None]:
    from bot.services.reminders import status_notices, tellable_changes  # reminders reads the roster

    people = store.list_people_by_ids(session, [pid for pid, _, _ in moved])
    triples = [(people[pid], old, new) for pid, old, new in moved if pid in people]
    return status_notices(session, tellable_changes(session, triples, today=today), today=today)


@dataclass
class _Org:
    """An organisation as the import sees it: its row (id None until inserted) and its agreements."""

    row: dict[str, Any]
    agreements: list[dict[str, Any]] = field(default_factory=list)
    new: bool = False


@dataclass
class _Who:
    """A person as the import sees it: row, roles, active grants and champions, agreements."""

    row: dict[str, Any]
    roles: set[str] = field(default_factory=set)
    grants: list[dict[str, Any]] = field(default_factory=list)
    champions: list[dict[str, Any]] = field(default_factory=list)
    agreements: list[dict[str, Any]] = field(default_factory=list)
    new: bool = False
    old_status: str = ""
    old_roles: frozenset[str] = frozenset()


class _Importer:
    """Diffs one document against one read of the database, then writes the difference in bulk."""

    def __init__(
        self,
        session: Session,
        doc: RosterDocument,
        report: ImportReport,
        *,
        today: dt.date,
        now: dt.datetime | None = None,
        actor: str = "import",
    ) -> None:
        self.session = session
        self.doc = doc
        self.report = report
        self.today = today
        self.now = now or dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
        self.actor = actor[:100]
        # A revocation or an ending found by reading a file as of a date carries that date.
        self.on = doc.as_of or today
        self.source = f"{doc.format}:{doc.source}"[:200]
        # History entries name the file only: committers read them in "My agreements", the admin's paths are not theirs.
        self.file_name = PurePath(doc.source).name or doc.source
        self.imported: list[PersonSpec] = []
        self.ending: set[str] = set()
        snapshot = store.load_roster_snapshot(session)
        self.orgs: dict[str, _Org] = {}
        self.org_by_id: dict[int, _Org] = {}
        for row in snapshot.organizations:
            org = _Org(row)
            self.orgs[row["name"]] = org
            self.org_by_id[row["id"]] = org
        self.people: dict[str, _Who] = {}
        self.by_id: dict[int, _Who] = {}
        for row in snapshot.people:
            who = _Who(row, old_status=row["status"])
            self.people[row["github_key"]] = who
            self.by_id[row["id"]] = who
        for person_id, role in snapshot.roles:
            self.by_id[person_id].roles.add(role)
        for who in self.people.values():
            who.old_roles = frozenset(who.roles)
        self.repos: dict[str, dict[str, Any]] = {row["key"]: row for row in snapshot.repos}
        self.repo_by_id = {row["id"]: row for row in snapshot.repos}
        for row in snapshot.grants:
            self.by_id[row["person_id"]].grants.append(row)
        for row in snapshot.assignments:
            self.by_id[row["committer_id"]].champions.append(row)
        for row in map(_Row, snapshot.agreements):
            if row["person_id"] is not None:
                self.by_id[row["person_id"]].agreements.append(row)
            elif row["organization_id"] is not None:
                self.org_by_id[row["organization_id"]].agreements.append(row)
        self.slack_holders = {row["slack_user_id"]: row for row in snapshot.people if row["slack_user_id"]}
        self.population = len(snapshot.people) + len(snapshot.organizations)
        self.updates: dict[type, dict[int, dict[str, Any]]] = defaultdict(lambda: defaultdict(dict))
        self.inserts: dict[type, list[dict[str, Any]]] = defaultdict(list)
        self.deleted_agreements: list[int] = []
        self.roles_removed: list[tuple[int, str]] = []
        self.new_repos: list[dict[str, Any]] = []
        self.new_grants: list[dict[str, Any]] = []
        self.new_agreements: list[dict[str, Any]] = []
        # Agreements' history: entries for changed and removed agreements (new ones get theirs once inserted).
        self.history: list[dict[str, Any]] = []
        # Standings of people already on the roster that this import moves: (person id, old, new).
        self.moved: list[tuple[int, str, str]] = []

    # --- the run -------------------------------------------------------------------------

    def run(self, *, prune: bool) -> None:
        specs = self._relevant_people()
        self._check_references(specs)
        if self.doc.phase is not None:
            old = get_program_setting(self.session, PHASE_KEY, Phase.PILOT.value)
            if old != self.doc.phase.value:
                set_program_setting(self.session, PHASE_KEY, self.doc.phase.value)
                self.report.changed.append(f"program phase: {old} -> {self.doc.phase.value}")
        declared = self._declared_orgs(specs)
        for org_spec in self.doc.organizations:
            if (
                org_spec.only_if_referenced
                and org_spec.name not in declared
                and self._org(org_spec.name) is None
            ):
                continue
            self._apply_org(org_spec)
        self._insert_new_orgs()
        for spec in specs:
            self._apply_person(spec)
        self._insert_new_people()
        for spec in specs:
            self._apply_rights(spec)
        for spec in specs:
            self._apply_links(spec)
        if prune:
            self._prune({spec.github.lower() for spec in specs})
        self._refresh_statuses()
        self._write()

    def is_mass_change(self) -> bool:
        """Whether the import ends or lapses more holders at once than a routine update does."""
        count = len(self.ending)
        return count > MASS_CHANGE_COUNT or (count >= 2 and count > MASS_CHANGE_SHARE * self.population)

    def _relevant_people(self) -> list[PersonSpec]:
        specs = []
        notes: list[str] = list(self.doc.not_imported)
        problems: list[str] = []
        for spec in self.doc.people:
            if spec.only_if_known and spec.github.lower() not in self.people:
                self.report.skipped += 1
                notes += spec.problems + spec.notes
                continue
            problems += spec.problems
            self.report.warnings.extend(spec.notes)
            specs.append(spec)
        if problems:
            raise RosterError(problems)
        self.report.not_imported = notes
        if notes:
            self.report.warnings.append(
                f"{len(notes)} note(s) about records that were not imported (robots, people neither "
                f"committers nor on the roster), like {notes[0]}; --verbose lists them"
            )
        self.imported = specs
        return specs

    def _check_references(self, specs: list[PersonSpec]) -> None:
        in_file = {spec.github.lower() for spec in specs}
        problems = []
        for spec in specs:
            references = [("champion", handle) for handle in spec.champions or []]
            references += [("manager", spec.manager)] if spec.manager else []
            for what, handle in references:
                if handle.lower() not in in_file and handle.lower() not in self.people:
                    problems.append(
                        f"{spec.where}: person {spec.github}: {what} {handle!r} is not in this file or on the roster"
                    )
            if spec.slack:
                holder = self.slack_holders.get(spec.slack)
                if holder is not None and holder["github_key"] != spec.github.lower():
                    problems.append(
                        f"{spec.where}: person {spec.github}: Slack id {spec.slack} belongs to {holder['github']}"
                    )
        if problems:
            raise RosterError(problems)

    # --- organisations -------------------------------------------------------------------

    def _org(self, name: str) -> _Org | None:
        found = self.orgs.get(name)
        if found is not None:
            return found
        folded = name.casefold()
        for org in self.orgs.values():
            if org.row["name"].casefold() == folded or (org.row.get("alias") or "").casefold() == folded:
                return org
        return None

    def _declared_orgs(self, specs: list[PersonSpec]) -> set[str]:
        return {spec.organization for spec in specs if spec.organization}

    def _apply_org(self, spec: OrgSpec) -> _Org:
        org = self._org(spec.name) or (self._org(spec.alias) if spec.alias else None)
        label = f"organization {spec.name}"
        if org is None:
            org = _Org({"id": None, "name": spec.name, "is_provider": False}, new=True)
            self.orgs[spec.name] = org
            self.report.added.append(label)
        values = {
            "alias": spec.alias,
            "is_provider": spec.is_provider,
            "contact_name": spec.contact_name,
            "contact_email": spec.contact_email,
            "contact2_name": spec.contact2_name,
            "contact2_email": spec.contact2_email,
        }
        self._set(Organization, org.row, label, values, quiet=org.new)
        holder = ("organization_id", org)
        if spec.agreements is not None:
            self._sync_agreements(
                org.agreements, spec.agreements, {AgreementKind.ENTITY.value}, label, holder
            )
        if spec.ensure_entity is not None:
            self._ensure(org.agreements, AgreementKind.ENTITY, spec.ensure_entity, label, holder)
        return org

    def _insert_new_orgs(self) -> None:
        new = [org for org in self.orgs.values() if org.new and org.row["id"] is None]
        if not new:
            return
        store.insert_rows(self.session, Organization, [_without_id(org.row) for org in new])
        ids = store.ids_by_key(self.session, Organization, "name", [org.row["name"] for org in new])
        for org in new:
            org.row["id"] = ids[org.row["name"]]
            self.org_by_id[org.row["id"]] = org

    # --- people --------------------------------------------------------------------------

    def _apply_person(self, spec: PersonSpec) -> None:
        key = spec.github.lower()
        who = self.people.get(key)
        label = f"person {spec.github}"
        if who is None:
            status = Status.ONBOARDING if Role.COMMITTER.value in spec.roles else Status.ACTIVE
            row = {"id": None, "github": spec.github, "github_key": key, "name": spec.name or spec.github}
            row.update(
                {"status": status.value, "removed_on": None, "organization_id": None, "manager_id": None}
            )
            who = _Who(row, new=True, old_status=status.value)
            self.people[key] = who
            self.report.added.append(f"person {spec.github} ({row['name']})")
        values: dict[str, Any] = {
            # A handle differing only in case is the same GitHub account: the stored spelling stays.
            "github": None if who.row["github"].lower() == key else spec.github,
            "name": spec.name,
            "email": spec.email,
            "slack_user_id": spec.slack,
            "timezone": spec.timezone,
            "title": spec.title,
        }
        if spec.organization:
            org = self._org(spec.organization)
            if org is None:
                self.report.warnings.append(
                    f"{spec.where}: person {spec.github}: organisation {spec.organization!r} is not declared "
                    "in the file nor on the roster; not created (declare it, or fix the spelling)"
                )
            else:
                values["organization_id"] = org.row["id"]
        elif spec.clear_organization:
            values["organization_id"] = _Clear
        if spec.alumni is not None:
            if spec.alumni:
                values["removed_on"] = spec.removed_on or who.row["removed_on"] or self.on
            else:
                values["removed_on"] = _Clear
        self._set(Person, who.row, label, values, quiet=who.new)

    def _insert_new_people(self) -> None:
        new = [who for who in self.people.values() if who.new and who.row["id"] is None]
        if not new:
            return
        store.insert_rows(self.session, Person, [_without_id(who.row) for who in new])
        ids = store.ids_by_key(self.session, Person, "github_key", [who.row["github_key"] for who in new])
        for who in new:
            who.row["id"] = ids[who.row["github_key"]]
            self.by_id[who.row["id"]] = who

    def _apply_rights(self, spec: PersonSpec) -> None:
        who = self.people[spec.github.lower()]
        person_id = who.row["id"]
        wanted = (who.roles - spec.role_scope) | spec.roles
        if wanted != who.roles:
            for role in sorted(wanted - who.roles, key=ROLE_ORDER.index):
                self.inserts[PersonRole].append({"person_id": person_id, "role": role})
                self.report.added.append(f"role {role} for {spec.github}")
            for role in sorted(who.roles - wanted, key=ROLE_ORDER.index):
                self.roles_removed.append((person_id, role))
                self.report.removed.append(f"role {role} from {spec.github}")
                if role == Role.COMMITTER.value:
                    self.ending.add(spec.github)
            who.roles = wanted
        self._sync_grants(who, spec)
        label = f"person {spec.github}"
        holder = ("person_id", who)
        if spec.agreements is not None:
            self._sync_agreements(who.agreements, spec.agreements, set(spec.agreement_scope), label, holder)
        if spec.ensure_individual is not None:
            self._ensure(who.agreements, AgreementKind.INDIVIDUAL, spec.ensure_individual, label, holder)

    def _sync_grants(self, who: _Who, spec: PersonSpec) -> None:
        if spec.repos is None and spec.branches is None:
            return
        wanted: dict[str, tuple[str | None, str | None]] = {}
        for name in spec.repos if spec.repos is not None else []:
            wanted.setdefault(name.lower(), (name, None))
        for branch_name in spec.branches if spec.branches is not None else []:
            wanted.setdefault(f"branch {branch_name}", (None, branch_name))
        kept = []
        have: set[str] = set()
        for grant in who.grants:
            repo = self.repo_by_id.get(grant["repo_id"]) if grant["repo_id"] is not None else None
            key = repo["key"] if repo is not None else f"branch {grant['branch']}"
            in_scope = (repo is not None and spec.repos is not None) or (
                repo is None and spec.branches is not None
            )
            target = repo["full_name"] if repo is not None else f"branch {grant['branch']}"
            if in_scope and key not in wanted:
                self.updates[CommitGrant][grant["id"]]["revoked_on"] = self.on
                self.report.removed.append(f"grant {spec.github} -> {target}")
                self.ending.add(spec.github)
                continue
            have.add(key)
            kept.append(grant)
            stated = spec.grant_dates.get(key, spec.granted_on)
            if stated is not None and grant["granted_on"] != stated:
                self.updates[CommitGrant][grant["id"]]["granted_on"] = stated
                self.report.changed.append(
                    f"grant {spec.github} -> {target}: granted {grant['granted_on']} -> {stated}"
                )
                grant["granted_on"] = stated
        for key, (repo_name, branch) in wanted.items():
            if key in have:
                continue
            row: dict[str, Any] = {
                "person_id": who.row["id"],
                "granted_on": spec.grant_date(key),
                "revoked_on": None,
                "source": self.source,
                "repo_id": None,
                "branch": branch,
            }
            if repo_name is not None:
                repo = self.repos.get(key)
                if repo is None:
                    repo = {"id": None, "full_name": repo_name.strip(), "key": key}
                    self.repos[key] = repo
                    self.new_repos.append(repo)
                row["repo"] = repo
                target = repo["full_name"]
            else:
                target = f"branch {branch}"
            self.new_grants.append(row)
            kept.append(row)
            self.report.added.append(f"grant {spec.github} -> {target}")
        who.grants = kept

    def _apply_links(self, spec: PersonSpec) -> None:
        who = self.people[spec.github.lower()]
        if spec.manager or spec.clear_manager:
            manager = self.people[spec.manager.lower()] if spec.manager else None
            manager_id = manager.row["id"] if manager else None
            if who.row["manager_id"] != manager_id:
                old = self.by_id.get(who.row["manager_id"]) if who.row["manager_id"] else None
                who.row["manager_id"] = manager_id
                self.updates[Person][who.row["id"]]["manager_id"] = manager_id
                if not who.new:
                    self.report.changed.append(
                        f"person {spec.github}: manager {old.row['github'] if old else None} -> "
                        f"{manager.row['github'] if manager else None}"
                    )
        if spec.champions is None:
            return
        wanted = list(dict.fromkeys(self.people[handle.lower()].row["id"] for handle in spec.champions))
        current = []
        for assignment in who.champions:
            if assignment["champion_id"] not in wanted:
                self.updates[ChampionAssignment][assignment["id"]]["ended_on"] = self.on
                self.report.removed.append(
                    f"champion {self.by_id[assignment['champion_id']].row['github']} for {spec.github}"
                )
            else:
                current.append(assignment)
        by_champion = {a["champion_id"]: a for a in current}
        for slot, champion_id in enumerate(wanted, start=1):
            champion = self.by_id[champion_id]
            existing = by_champion.get(champion_id)
            if existing is not None:
                if existing["slot"] != slot:
                    existing["slot"] = slot
                    self.updates[ChampionAssignment][existing["id"]]["slot"] = slot
                    self.report.changed.append(
                        f"champion {champion.row['github']} for {spec.github}: slot {slot}"
                    )
                continue
            row = {
                "committer_id": who.row["id"],
                "champion_id": champion_id,
                "slot": slot,
                "started_on": self.on,
            }
            self.inserts[ChampionAssignment].append(row)
            current.append(row)
            self.report.added.append(f"champion {champion.row['github']} for {spec.github}")
            if Role.CHAMPION.value not in champion.roles:
                self.report.warnings.append(
                    f"{spec.where}: {champion.row['github']} champions {spec.github} "
                    "but does not hold the champion role"
                )
        who.champions = current

    # --- agreements ----------------------------------------------------------------------

    def _holder_id(self, holder: tuple[str, Any]) -> dict[str, Any]:
        column, owner = holder
        return {"person_id": None, "organization_id": None, column: owner.row["id"]}

    def _sync_agreements(
        self,
        existing: list[dict[str, Any]],
        specs: list[AgreementSpec],
        scope: set[str],
        label: str,
        holder: tuple[str, Any],
    ) -> None:
        unmatched = [a for a in existing if a["kind"] in scope]
        for spec in specs:
            match = next(
                (a for a in unmatched if a["kind"] == spec.kind.value and a["signed_on"] == spec.signed), None
            )
            if match is None:
                row = {
                    "kind": spec.kind.value,
                    "signed_on": spec.signed,
                    "expires_on": spec.expires,
                    "source": self.source,
                    "holder": holder,
                }
                existing.append(row)
                self.new_agreements.append(row)
                self.report.added.append(
                    f"agreement {spec.kind.value} for {label}{_dates(spec.signed, spec.expires)}"
                )
                continue
            unmatched.remove(match)
            if match["expires_on"] != spec.expires:
                self.report.changed.append(
                    f"agreement {spec.kind.value} for {label}: expires {match['expires_on']} -> {spec.expires}"
                )
                if (
                    spec.expires is not None
                    and spec.expires <= self.today
                    and is_valid(_agreement(match), self.today)
                ):
                    self.ending.add(label.split(" ", 1)[1])
                later = spec.expires is None or (
                    match["expires_on"] is not None and spec.expires > match["expires_on"]
                )
                self._note(
                    match,
                    AgreementAction.RENEWED if later else AgreementAction.REVOKED,
                    expires_on=spec.expires,
                    previous=match["expires_on"],
                    reason=f"expiry changed by the import of {self.file_name}",
                )
                match["expires_on"] = spec.expires
                self.updates[Agreement][match["id"]]["expires_on"] = spec.expires
        for agreement in unmatched:
            self.report.removed.append(
                f"agreement {agreement['kind']} for {label}{_dates(agreement['signed_on'], agreement['expires_on'])}"
            )
            if is_valid(_agreement(agreement), self.today):
                self.ending.add(label.split(" ", 1)[1])
            existing.remove(agreement)
            if agreement.get("id") is not None:
                self._note(
                    agreement,
                    AgreementAction.REVOKED,
                    expires_on=agreement["expires_on"],
                    previous=agreement["expires_on"],
                    reason=f"not in {self.file_name} (removed by its import)",
                )
                self.deleted_agreements.append(agreement["id"])

    def _note(
        self,
        agreement: dict[str, Any],
        action: AgreementAction,
        *,
        expires_on: dt.date | None,
        previous: dt.date | None,
        reason: str,
    ) -> None:
        self.history.append(
            {
                "agreement_id": agreement["id"],
                "person_id": agreement["person_id"],
                "organization_id": agreement["organization_id"],
                "kind": AgreementKind(agreement["kind"]),
                "action": action,
                "effective_on": self.on
                if action is AgreementAction.REVOKED
                else agreement["signed_on"] or self.on,
                "signed_on": agreement["signed_on"],
                "expires_on": expires_on,
                "previous_expires_on": previous,
                "reason": reason[:300],
                "recorded_by": self.actor,
                "recorded_at": self.now,
            }
        )

    def _recorded(self, agreements: list[dict[str, Any]], first_id: int) -> list[dict[str, Any]]:
        """Return a `recorded` history entry for each agreement inserted from `first_id` on."""
        inserted = {
            (row["person_id"], row["organization_id"], row["kind"], row["signed_on"]): row["id"]
            for row in store.agreement_rows_from(self.session, first_id)
        }
        entries = []
        for row in agreements:
            agreement_id = inserted.get(
                (row["person_id"], row["organization_id"], row["kind"], row["signed_on"])
            )
            if agreement_id is None:
                continue
            entries.append(
                {
                    "agreement_id": agreement_id,
                    "person_id": row["person_id"],
                    "organization_id": row["organization_id"],
                    "kind": AgreementKind(row["kind"]),
                    "action": AgreementAction.RECORDED,
                    "effective_on": row["signed_on"] or self.on,
                    "signed_on": row["signed_on"],
                    "expires_on": row["expires_on"],
                    "previous_expires_on": None,
                    "reason": f"imported from {self.file_name}"[:300],
                    "recorded_by": self.actor,
                    "recorded_at": self.now,
                }
            )
        return entries

    def _ensure(
        self,
        existing: list[dict[str, Any]],
        kind: AgreementKind,
        wanted: bool,
        label: str,
        holder: tuple[str, Any],
    ) -> None:
        valid = [a for a in existing if a["kind"] == kind.value and is_valid(_agreement(a), self.today)]
        if wanted and not valid:
            row = {
                "kind": kind.value,
                "signed_on": None,
                "expires_on": None,
                "source": self.source,
                "holder": holder,
            }
            existing.append(row)
            self.new_agreements.append(row)
            self.report.added.append(f"agreement {kind.value} for {label} (active, no expiry given)")
        elif not wanted:
            for agreement in valid:
                agreement["expires_on"] = self.today
                if agreement.get("id") is not None:
                    self.updates[Agreement][agreement["id"]]["expires_on"] = self.today
                self.report.changed.append(f"agreement {kind.value} for {label}: ended {self.today}")
                self.ending.add(label.split(" ", 1)[1])

    # --- fields, pruning, statuses, writing ----------------------------------------------

    def _set(
        self, model: type, row: dict[str, Any], label: str, values: dict[str, Any], *, quiet: bool
    ) -> None:
        for name, value in values.items():
            if value is None:
                continue
            value = None if value is _Clear else value
            old = row.get(name)
            if old != value:
                row[name] = value
                if row.get("id") is not None:
                    self.updates[model][row["id"]][name] = value
                if not quiet:
                    self.report.changed.append(f"{label}: {name} {old!r} -> {value!r}")

    def _prune(self, listed: set[str]) -> None:
        for key, who in sorted(self.people.items()):
            if key not in listed and who.row["removed_on"] is None:
                who.row["removed_on"] = self.on
                self.updates[Person][who.row["id"]]["removed_on"] = self.on
                self.report.removed.append(f"person {who.row['github']} (now alumni)")
                self.ending.add(who.row["github"])

    def _refresh_statuses(self) -> None:
        policy = current_policy(self.session)
        for who in self.people.values():
            org = self.org_by_id.get(who.row["organization_id"]) if who.row["organization_id"] else None
            standing = derive_standing(
                roles=who.roles,
                removed_on=who.row["removed_on"],
                agreements=[_agreement(a) for a in who.agreements],
                organization=cast(Organization, _Row(org.row)) if org else None,
                organization_agreements=[_agreement(a) for a in org.agreements] if org else [],
                champion_count=len(who.champions),
                policy=policy,
                today=self.today,
            )
            new = standing.status.value
            if who.row["status"] != new:
                old = who.row["status"]
                who.row["status"] = new
                self.updates[Person][who.row["id"]]["status"] = new
                if not who.new:
                    self.moved.append((who.row["id"], old, new))
                    self.report.changed.append(f"status {who.row['github']}: {old} -> {new}")
                    if new == Status.LAPSED.value:
                        self.ending.add(who.row["github"])
        self.report.ending = sorted(self.ending)

    def _write(self) -> None:
        session = self.session
        if self.new_repos:
            store.insert_rows(session, Repo, [_without_id(repo) for repo in self.new_repos])
            ids = store.ids_by_key(session, Repo, "key", [repo["key"] for repo in self.new_repos])
            for repo in self.new_repos:
                repo["id"] = ids[repo["key"]]
        grants = []
        for row in self.new_grants:
            repo = row.pop("repo", None)
            row["repo_id"] = repo["id"] if repo is not None else None
            grants.append(row)
        store.insert_rows(session, CommitGrant, grants)
        agreements = []
        for row in self.new_agreements:
            holder = row.pop("holder")
            agreements.append({**row, **self._holder_id(holder)})
        # History first: an entry outlives its agreement's removal (its agreement_id becomes NULL).
        store.insert_rows(session, AgreementEvent, self.history)
        store.delete_by_ids(session, Agreement, self.deleted_agreements)
        first_id = store.next_agreement_id(session) if agreements else 0
        store.insert_rows(session, Agreement, agreements)
        if agreements:
            store.insert_rows(session, AgreementEvent, self._recorded(agreements, first_id))
        store.delete_roles(session, self.roles_removed)
        for model, rows in self.inserts.items():
            store.insert_rows(session, model, rows)
        for model, by_id in self.updates.items():
            store.update_rows(
                session, model, [{"id": row_id, **values} for row_id, values in by_id.items() if values]
            )
        session.expire_all()


class _Row(dict[str, Any]):
    """A row dict whose columns read as attributes too, for the standing rules (`.kind`, `.expires_on`)."""

    __getattr__ = dict.get


def _agreement(row: dict[str, Any]) -> Agreement:
    """Read an agreement row as the standing rules read an Agreement (they use its attributes only)."""
    return cast(Agreement, row if isinstance(row, _Row) else _Row(row))


def _without_id(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != "id"}


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
