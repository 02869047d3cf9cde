"""ccbot's own roster YAML: read by `ccbot roster import`, written by `ccbot roster export`."""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path
from typing import Any

import yaml

from bot.services.logins import not_a_login
from bot.services.roster.formats.document import (
    AgreementSpec,
    FieldProblem,
    OrgSpec,
    PersonSpec,
    RosterDocument,
    RosterError,
)
from bot.services.roster.formats.fields import (
    EMAIL,
    REPO_NAME,
    SLACK_ID,
    Problems,
    as_date,
    check_unique,
    key_line,
    known_timezone,
    line_of,
    read_contact,
    string_list,
)
from storage.models import AgreementKind, Phase, Role

ROLES = frozenset(Role)
KINDS = frozenset(AgreementKind)
PERSON_KEYS = {
    "github",
    "name",
    "email",
    "slack",
    "timezone",
    "title",
    "organization",
    "roles",
    "repos",
    "branches",
    "granted",
    "champions",
    "manager",
    "agreements",
    "status",
    "removed",
}
ORG_KEYS = {"name", "alias", "is_provider", "agreements", "contact", "contact2"}
AGREEMENT_KEYS = {"kind", "signed", "expires"}


def read_ccbot(path: Path, data: Any) -> RosterDocument:
    """Read ccbot's roster YAML, already parsed, into a document; RosterError lists every problem."""
    problems = Problems(path)
    doc = RosterDocument(source=str(path), format="ccbot")
    if data is None:
        raise RosterError(
            [
                f"{path}:1: the file is empty; a ccbot roster is a mapping with program, organizations and people"
            ]
        )
    if not isinstance(data, dict):
        raise RosterError([f"{path}:1: expected a mapping with program, organizations and people"])
    unknown = set(data) - {"program", "organizations", "people"}
    if unknown:
        problems.add(line_of(data, 1), f"unknown top-level key(s): {', '.join(sorted(map(str, unknown)))}")
    program = data.get("program") or {}
    if program:
        phase = program.get("phase") if isinstance(program, dict) else None
        if phase is not None and phase not in set(Phase):
            problems.add(line_of(program, 1), f"program phase {phase!r} is not pilot, establish or scale")
        elif phase is not None:
            doc.phase = Phase(phase)
    organizations = data.get("organizations") or []
    if not isinstance(organizations, list):
        problems.add(key_line(data, "organizations", 1), "organizations must be a list")
        organizations = []
    for raw in organizations:
        line = line_of(raw, 1)
        if not isinstance(raw, dict) or not str(raw.get("name") or "").strip():
            problems.add(line, "each organization needs a name")
            continue
        name = str(raw["name"]).strip()
        owner = f"organization {name}"
        unknown = set(raw) - ORG_KEYS
        if unknown:
            problems.add(line, f"{owner}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        agreements = _agreements(raw.get("agreements"), problems, line, owner)
        if any(a.kind is not AgreementKind.ENTITY for a in agreements):
            problems.add(line, f"{owner}: organisations hold entity agreements only")
        contact = read_contact(raw.get("contact"), problems, line, owner, "contact")
        contact2 = read_contact(raw.get("contact2"), problems, line, owner, "contact2")
        alias = str(raw.get("alias") or "").strip() or None
        doc.organizations.append(
            OrgSpec(
                name=name,
                where=f"{path}:{line}",
                alias=alias,
                is_provider=bool(raw.get("is_provider", False)),
                contact_name=contact[0],
                contact_email=contact[1],
                contact2_name=contact2[0],
                contact2_email=contact2[1],
                agreements=agreements,
            )
        )
    people = data.get("people") or []
    if not isinstance(people, list):
        problems.add(line_of(data, 1), "people must be a list")
        people = []
    for raw in people:
        spec = _ccbot_person(raw, problems)
        if spec is not None:
            doc.people.append(spec)
    check_unique(doc, problems)
    problems.raise_if_any()
    return doc


def _agreements(raw: Any, problems: Problems, line: int, owner: str) -> list[AgreementSpec]:
    specs: list[AgreementSpec] = []
    if raw is None:
        return specs
    if not isinstance(raw, list):
        problems.add(line, f"{owner}: agreements must be a list")
        return specs
    for item in raw:
        at = line_of(item, line)
        if not isinstance(item, dict):
            problems.add(
                at, f"{owner}: each agreement is a mapping like {{kind: individual, signed: 2020-06-01}}"
            )
            continue
        unknown = set(item) - AGREEMENT_KEYS
        if unknown:
            problems.add(at, f"{owner}: unknown agreement key(s) {', '.join(sorted(map(str, unknown)))}")
        kind = str(item.get("kind", ""))
        if kind not in KINDS:
            problems.add(at, f"{owner}: agreement kind {kind!r} is not one of {', '.join(sorted(KINDS))}")
            continue
        try:
            signed = as_date(item.get("signed"), "signed")
            expires = as_date(item.get("expires"), "expires")
        except FieldProblem as exc:
            problems.add(exc.line or at, f"{owner}: {exc}")
            continue
        if signed and expires and expires <= signed:
            problems.add(at, f"{owner}: agreement expires ({expires}) on or before it was signed ({signed})")
            continue
        specs.append(AgreementSpec(AgreementKind(kind), signed, expires))
    return specs


def _grant_entries(raw: Any, key: str, who: str, line: int) -> tuple[list[str], dict[str, dt.date]]:
    """Read `repos`/`branches`: names, or mappings `{repo|branch: NAME, granted: DATE}`."""
    if raw is None:
        return [], {}
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise FieldProblem(f"{key} must be a list of names")
    names: list[str] = []
    dates: dict[str, dt.date] = {}
    singular = key.rstrip("s") if key != "branches" else "branch"
    for item in raw:
        if isinstance(item, dict):
            if set(item) - {singular, "granted"} or not item.get(singular):
                raise FieldProblem(
                    f"{key} entries are names or mappings like {{{singular}: NAME, granted: 2025-03-01}}",
                    line_of(item, line),
                )
            name = str(item[singular]).strip()
            granted = as_date(item.get("granted"), f"{key} {name} granted")
            if granted is not None:
                dates[name.lower() if key == "repos" else f"branch {name}"] = granted
        elif isinstance(item, str | int) and not isinstance(item, bool):
            name = str(item).strip()
        else:
            raise FieldProblem(f"{key} must be a list of names")
        names.append(name)
    return names, dates


def _ccbot_person(raw: Any, problems: Problems) -> PersonSpec | None:
    line = line_of(raw, 1)
    if not isinstance(raw, dict):
        problems.add(line, "each person is a mapping with at least github and name")
        return None
    github = str(raw.get("github") or "").strip()
    if not github:
        problems.add(line, "person (no github): github must be their GitHub handle")
        return None
    refused = not_a_login(github)
    if refused:
        problems.add(line, f"person {github[:100]!r}: github: {refused}")
        return None
    who = f"person {github}"
    unknown = set(raw) - PERSON_KEYS
    if unknown:
        problems.add(line, f"{who}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    try:
        roles = set(string_list(raw.get("roles"), "roles"))
        repos, repo_dates = _grant_entries(raw.get("repos"), "repos", who, line)
        branches, branch_dates = _grant_entries(raw.get("branches"), "branches", who, line)
        champions = string_list(raw.get("champions"), "champions")
        granted = as_date(raw.get("granted"), "granted")
        removed = as_date(raw.get("removed"), "removed")
    except FieldProblem as exc:
        problems.add(exc.line or line, f"{who}: {exc}")
        return None
    for role in sorted(roles - ROLES):
        problems.add(line, f"{who}: role {role!r} is not one of {', '.join(sorted(ROLES))}")
    for repo in repos:
        if not REPO_NAME.match(repo):
            problems.add(line, f"{who}: repo {repo!r} must look like org/name (or org/* for every repo)")
    slack = raw.get("slack")
    if slack is not None and not SLACK_ID.match(str(slack)):
        problems.add(line, f"{who}: slack {slack!r} is not a Slack user id (like U01ABCDEF)")
    email = raw.get("email")
    if email is not None and not EMAIL.match(str(email)):
        problems.add(line, f"{who}: email {email!r} is not an e-mail address")
    timezone = raw.get("timezone")
    if timezone is not None and not known_timezone(str(timezone)):
        problems.add(line, f"{who}: timezone {timezone!r} is not an IANA time zone (like Europe/Paris)")
    status = raw.get("status")
    if status not in (None, "alumni"):
        problems.add(line, f"{who}: status may only be 'alumni' (the rest is derived)")
    if removed is not None and status != "alumni":
        problems.add(line, f"{who}: removed is the date someone became alumni; add status: alumni")
    for handle in champions:
        refused = not_a_login(handle)
        if refused:
            problems.add(line, f"{who}: champions: {handle[:100]!r}: {refused}")
    manager = raw.get("manager")
    if manager is not None and not isinstance(manager, str):
        problems.add(line, f"{who}: manager must be one GitHub handle")
        manager = None
    elif manager is not None and (refused := not_a_login(manager.strip())):
        problems.add(line, f"{who}: manager: {manager[:100]!r}: {refused}")
    if manager is not None and manager.strip().lower() == github.lower():
        problems.add(line, f"{who}: manager: cannot be their own manager")
    if any(handle.lower() == github.lower() for handle in champions):
        problems.add(line, f"{who}: champions: cannot be their own champion")
    return PersonSpec(
        github=github,
        where=f"{problems.path}:{line}",
        name=str(raw["name"]).strip() if raw.get("name") else None,
        email=str(email) if email else None,
        slack=str(slack) if slack else None,
        timezone=str(timezone) if timezone else None,
        title=str(raw["title"]) if raw.get("title") else None,
        organization=str(raw["organization"]).strip() if raw.get("organization") else None,
        clear_organization=not raw.get("organization"),
        roles={Role(role) for role in roles if role in ROLES},
        role_scope=ROLES,
        repos=repos,
        branches=branches,
        granted_on=granted,
        grant_dates={**repo_dates, **branch_dates},
        champions=champions,
        manager=manager.strip() if manager else None,
        clear_manager=not manager,
        agreements=_agreements(raw.get("agreements"), problems, line, who),
        agreement_scope=KINDS,
        alumni=status == "alumni",
        removed_on=removed,
    )


class _FlowList(list[Any]):
    """A list dumped on one line, like `[committer, champion]`."""


class _FlowDict(dict[Any, Any]):
    """A mapping dumped on one line, like `{kind: nda, signed: 2020-06-01}`."""


_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _RosterDumper(_Dumper):
    """Writes roster YAML the way people write it by hand."""


# Roles, kinds and the phase come back from the database as enums; they are written as their values.
_RosterDumper.add_multi_representer(enum.StrEnum, lambda d, v: d.represent_str(str(v)))
_RosterDumper.add_representer(
    _FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)
_RosterDumper.add_representer(
    _FlowDict, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True)
)


def _flowed(value: Any) -> Any:
    if isinstance(value, dict):
        flat = value and all(not isinstance(v, dict | list) for v in value.values())
        if flat and ("kind" in value or "granted" in value or set(value) <= {"name", "email"}):
            return _FlowDict(value)
        return {key: _flowed(item) for key, item in value.items()}
    if isinstance(value, list):
        if all(not isinstance(item, dict | list) for item in value):
            return _FlowList(value)
        return [_flowed(item) for item in value]
    return value


def dump_ccbot_yaml(data: dict[str, Any]) -> str:
    """Return ccbot's roster YAML text for an exported roster structure."""
    return yaml.dump(_flowed(data), Dumper=_RosterDumper, sort_keys=False, allow_unicode=True, width=110)
