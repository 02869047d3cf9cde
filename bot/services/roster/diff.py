"""The roster diff: one parsed document against one read of the database, written back in bulk."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, cast

from sqlmodel import Session

from bot.services.policy import PHASE_KEY, current_policy
from bot.services.roster.agreement_diff import AgreementDiff, Row, as_agreement
from bot.services.roster.formats.document import OrgSpec, PersonSpec, RosterDocument, RosterError
from bot.services.roster.profiles import ROLE_ORDER
from bot.services.standing import derive_standing
from bot.types.roster import ImportReport
from storage import roster as store
from storage.models import (
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

# More than this many holders ended or lapsed at once, or more than this share of the roster,
# asks for confirmation: a file that blanks a column would otherwise end everyone's agreement.
MASS_CHANGE_COUNT = 3
MASS_CHANGE_SHARE = 0.2


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
    roles: set[Role] = field(default_factory=set)
    grants: list[dict[str, Any]] = field(default_factory=list)
    champions: list[dict[str, Any]] = field(default_factory=list)
    agreements: list[dict[str, Any]] = field(default_factory=list)
    new: bool = False


class RosterDiff:
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
            who = _Who(row)
            self.people[row["github_key"]] = who
            self.by_id[row["id"]] = who
        for person_id, role in snapshot.roles:
            self.by_id[person_id].roles.add(role)
        self.repos: dict[str, dict[str, Any]] = {row["key"]: row for row in snapshot.repos}
        self.repo_by_id = {row["id"]: row for row in snapshot.repos}
        for row in snapshot.grants:
            self.by_id[row["person_id"]].grants.append(row)
        for row in snapshot.assignments:
            self.by_id[row["committer_id"]].champions.append(row)
        for row in map(Row, snapshot.agreements):
            if row["person_id"] is not None:
                self.by_id[row["person_id"]].agreements.append(row)
            elif row["organization_id"] is not None:
                self.org_by_id[row["organization_id"]].agreements.append(row)
        self.slack_holders = {row["slack_user_id"]: row for row in snapshot.people if row["slack_user_id"]}
        self.population = len(snapshot.people) + len(snapshot.organizations)
        self.updates: dict[type, dict[int, dict[str, Any]]] = defaultdict(lambda: defaultdict(dict))
        self.inserts: dict[type, list[dict[str, Any]]] = defaultdict(list)
        self.roles_removed: list[tuple[int, Role]] = []
        self.new_repos: list[dict[str, Any]] = []
        self.new_grants: list[dict[str, Any]] = []
        self.agreements = AgreementDiff(
            report=report,
            ending=self.ending,
            updates=self.updates,
            source=self.source,
            file_name=self.file_name,
            actor=self.actor,
            today=today,
            on=self.on,
            now=self.now,
        )
        # Standings of people already on the roster that this import moves: (person id, old, new).
        self.moved: list[tuple[int, Status, Status]] = []

    # --- the run -------------------------------------------------------------------------

    def run(self, *, prune: bool) -> None:
        """Diff the document against the roster and write the difference (nothing is committed here)."""
        specs = self._relevant_people()
        self._check_references(specs)
        if self.doc.phase is not None:
            old = get_program_setting(self.session, PHASE_KEY, Phase.PILOT)
            if old != self.doc.phase:
                set_program_setting(self.session, PHASE_KEY, self.doc.phase)
                self.report.changed.append(f"program phase: {old} -> {self.doc.phase}")
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
            self.agreements.sync(org.agreements, spec.agreements, {AgreementKind.ENTITY}, label, holder)
        if spec.ensure_entity is not None:
            self.agreements.ensure(org.agreements, AgreementKind.ENTITY, spec.ensure_entity, label, holder)
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
            status = Status.ONBOARDING if Role.COMMITTER in spec.roles else Status.ACTIVE
            row = {"id": None, "github": spec.github, "github_key": key, "name": spec.name or spec.github}
            row.update({"status": status, "removed_on": None, "organization_id": None, "manager_id": None})
            who = _Who(row, new=True)
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
                if role == Role.COMMITTER:
                    self.ending.add(spec.github)
            who.roles = wanted
        self._sync_grants(who, spec)
        label = f"person {spec.github}"
        holder = ("person_id", who)
        if spec.agreements is not None:
            self.agreements.sync(who.agreements, spec.agreements, set(spec.agreement_scope), label, holder)
        if spec.ensure_individual is not None:
            self.agreements.ensure(
                who.agreements, AgreementKind.INDIVIDUAL, spec.ensure_individual, label, holder
            )

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
            if Role.CHAMPION not in champion.roles:
                self.report.warnings.append(
                    f"{spec.where}: {champion.row['github']} champions {spec.github} "
                    "but does not hold the champion role"
                )
        who.champions = current

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
                agreements=[as_agreement(a) for a in who.agreements],
                organization=cast(Organization, Row(org.row)) if org else None,
                organization_agreements=[as_agreement(a) for a in org.agreements] if org else [],
                champion_count=len(who.champions),
                policy=policy,
                today=self.today,
            )
            new = standing.status
            if who.row["status"] != new:
                old = who.row["status"]
                who.row["status"] = new
                self.updates[Person][who.row["id"]]["status"] = new
                if not who.new:
                    self.moved.append((who.row["id"], old, new))
                    self.report.changed.append(f"status {who.row['github']}: {old} -> {new}")
                    if new == Status.LAPSED:
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
        self.agreements.write(session)
        store.delete_roles(session, self.roles_removed)
        for model, rows in self.inserts.items():
            store.insert_rows(session, model, rows)
        for model, by_id in self.updates.items():
            store.update_rows(
                session, model, [{"id": row_id, **values} for row_id, values in by_id.items() if values]
            )
        session.expire_all()


def _without_id(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != "id"}


class _ClearType:
    """Marks a field the file explicitly leaves empty (distinct from 'not mentioned')."""


_Clear: Any = _ClearType()
