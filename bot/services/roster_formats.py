"""Readers for the roster formats met in the wild: ccbot's YAML, Open edX people.yaml/orgs.yaml, the CLA CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from storage.models import AgreementKind, Phase, Role

ROLES = {role.value for role in Role}
KINDS = {kind.value for kind in AgreementKind}
GITHUB_HANDLE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
REPO_NAME = re.compile(r"^[A-Za-z0-9_.-]+/(?:[A-Za-z0-9_.-]+|\*)$")
SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INDIVIDUAL_ACCOUNT = "Individual Contributors"
CSV_COLUMNS = [
    "First Name",
    "Last Name",
    "Number of Active Ind. CLA Contracts",
    "Title",
    "Account Name",
    "Number of Active Entity CLA Contracts",
    "GitHub Username",
    "Is Core Contributor",
]
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
    "champions",
    "manager",
    "agreements",
    "status",
}
ORG_KEYS = {"name", "is_provider", "agreements", "contact"}
AGREEMENT_KEYS = {"kind", "signed", "expires"}


class RosterError(Exception):
    """A roster file cannot be imported; `problems` name the file, the line and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class AgreementSpec:
    """An agreement as a roster file states it."""

    kind: AgreementKind
    signed: dt.date | None = None
    expires: dt.date | None = None


@dataclass
class OrgSpec:
    """An organisation as a roster file states it; None means the file says nothing about that field."""

    name: str
    where: str
    is_provider: bool | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    agreements: list[AgreementSpec] | None = None
    ensure_entity: bool | None = None


@dataclass
class PersonSpec:
    """A person as a roster file states it; None means the file says nothing about that field.

    `roles` replaces the person's roles within `role_scope`; `agreements` replaces their
    agreements of the kinds in `agreement_scope`; `ensure_individual` (CSV) only asks that a
    valid individual agreement exists (True) or that none does (False).
    """

    github: str
    where: str
    name: str | None = None
    email: str | None = None
    slack: str | None = None
    timezone: str | None = None
    title: str | None = None
    organization: str | None = None
    clear_organization: bool = False
    roles: set[str] = field(default_factory=set)
    role_scope: frozenset[str] = frozenset()
    repos: list[str] | None = None
    branches: list[str] | None = None
    granted_on: dt.date | None = None
    champions: list[str] | None = None
    manager: str | None = None
    clear_manager: bool = False
    agreements: list[AgreementSpec] | None = None
    agreement_scope: frozenset[str] = frozenset()
    ensure_individual: bool | None = None
    alumni: bool | None = None
    only_if_known: bool = False


@dataclass
class RosterDocument:
    """Everything one import brings: the program phase, organisations and people."""

    source: str
    format: str
    phase: Phase | None = None
    organizations: list[OrgSpec] = field(default_factory=list)
    people: list[PersonSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _LineDict(dict[Any, Any]):
    """A mapping that remembers the line it started on."""

    line = 0


class _LineLoader(yaml.SafeLoader):
    """A safe YAML loader whose mappings carry their line numbers."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    mapping = _LineDict(loader.construct_pairs(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 (a SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else 0
        raise RosterError([f"{path}:{line}: not valid YAML: {exc.problem}"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError([f"{path}: cannot read the file: {exc}"]) from None


def _line(value: Any, fallback: int = 0) -> int:
    return getattr(value, "line", fallback)


class _Problems:
    """Collects every problem in a file, so one run reports them all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, line: int, message: str) -> None:
        self.items.append(f"{self.path}:{line}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise RosterError(self.items)


def _as_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value.strip())
    raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD)")


def _string_list(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str | int) for item in value):
        raise ValueError(f"{what} must be a list of names")
    return [str(item).strip() for item in value]


def detect_format(path: Path) -> str:
    """Return `ccbot`, `people` or `csv` for a roster file, by extension and shape."""
    if path.suffix.lower() == ".csv":
        return "csv"
    data = _load_yaml(path)
    if isinstance(data, dict) and ("people" in data or "organizations" in data or "program" in data):
        return "ccbot"
    return "people"


def read_roster(path: Path, *, fmt: str = "auto", orgs: Path | None = None, as_of: dt.date) -> RosterDocument:
    """Parse a roster file of any supported format, or raise RosterError listing every problem."""
    if not path.is_file():
        raise RosterError([f"{path}: no such file"])
    fmt = detect_format(path) if fmt == "auto" else fmt
    readers: dict[str, Callable[[], RosterDocument]] = {
        "ccbot": lambda: read_ccbot_yaml(path),
        "people": lambda: read_people_yaml(path, orgs_path=orgs, as_of=as_of),
        "csv": lambda: read_agreements_csv(path),
    }
    if fmt not in readers:
        raise RosterError([f"{path}: unknown format {fmt!r} (use ccbot, people or csv)"])
    return readers[fmt]()


def _agreements(raw: Any, problems: _Problems, line: int, owner: str) -> list[AgreementSpec]:
    specs: list[AgreementSpec] = []
    if raw is None:
        return specs
    if not isinstance(raw, list):
        problems.add(line, f"{owner}: agreements must be a list")
        return specs
    for item in raw:
        at = _line(item, line)
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
            signed, expires = _as_date(item.get("signed")), _as_date(item.get("expires"))
        except ValueError as exc:
            problems.add(at, f"{owner}: {exc}")
            continue
        if signed and expires and expires <= signed:
            problems.add(at, f"{owner}: agreement expires ({expires}) on or before it was signed ({signed})")
            continue
        specs.append(AgreementSpec(AgreementKind(kind), signed, expires))
    return specs


def read_ccbot_yaml(path: Path) -> RosterDocument:
    """Parse ccbot's own roster YAML (the format `ccbot roster export` writes)."""
    data = _load_yaml(path)
    problems = _Problems(path)
    doc = RosterDocument(source=str(path), format="ccbot")
    if not isinstance(data, dict):
        raise RosterError([f"{path}:1: expected a mapping with program, organizations and people"])
    unknown = set(data) - {"program", "organizations", "people"}
    if unknown:
        problems.add(_line(data, 1), f"unknown top-level key(s): {', '.join(sorted(map(str, unknown)))}")
    program = data.get("program") or {}
    if program:
        phase = program.get("phase") if isinstance(program, dict) else None
        if phase is not None and phase not in {p.value for p in Phase}:
            problems.add(_line(program, 1), f"program phase {phase!r} is not pilot, establish or scale")
        elif phase is not None:
            doc.phase = Phase(phase)
    for raw in data.get("organizations") or []:
        line = _line(raw, 1)
        if not isinstance(raw, dict) or not str(raw.get("name") or "").strip():
            problems.add(line, "each organization needs a name")
            continue
        name = str(raw["name"]).strip()
        unknown = set(raw) - ORG_KEYS
        if unknown:
            problems.add(line, f"organization {name}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        agreements = _agreements(raw.get("agreements"), problems, line, f"organization {name}")
        if any(a.kind is not AgreementKind.ENTITY for a in agreements):
            problems.add(line, f"organization {name}: organisations hold entity agreements only")
        contact = raw.get("contact") or {}
        doc.organizations.append(
            OrgSpec(
                name=name,
                where=f"{path}:{line}",
                is_provider=bool(raw.get("is_provider", False)),
                contact_name=(contact.get("name") if isinstance(contact, dict) else None),
                contact_email=(contact.get("email") if isinstance(contact, dict) else None),
                agreements=agreements,
            )
        )
    people = data.get("people") or []
    if not isinstance(people, list):
        problems.add(_line(data, 1), "people must be a list")
        people = []
    for raw in people:
        spec = _ccbot_person(raw, problems)
        if spec is not None:
            doc.people.append(spec)
    _check_unique(doc, problems)
    problems.raise_if_any()
    return doc


def _ccbot_person(raw: Any, problems: _Problems) -> PersonSpec | None:
    line = _line(raw, 1)
    if not isinstance(raw, dict):
        problems.add(line, "each person is a mapping with at least github and name")
        return None
    github = str(raw.get("github") or "").strip()
    if not GITHUB_HANDLE.match(github):
        problems.add(line, f"person {github or '(no github)'}: github must be a GitHub handle")
        return None
    who = f"person {github}"
    unknown = set(raw) - PERSON_KEYS
    if unknown:
        problems.add(line, f"{who}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    try:
        roles = set(_string_list(raw.get("roles"), "roles"))
        repos = _string_list(raw.get("repos"), "repos")
        branches = _string_list(raw.get("branches"), "branches")
        champions = _string_list(raw.get("champions"), "champions")
    except ValueError as exc:
        problems.add(line, f"{who}: {exc}")
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
    if timezone is not None and not _known_timezone(str(timezone)):
        problems.add(line, f"{who}: timezone {timezone!r} is not an IANA time zone (like Europe/Paris)")
    status = raw.get("status")
    if status not in (None, "alumni"):
        problems.add(line, f"{who}: status may only be 'alumni' (the rest is derived)")
    for handle in [*champions, raw.get("manager")]:
        if handle is not None and str(handle).lower() == github.lower():
            problems.add(line, f"{who}: cannot be their own champion or manager")
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
        roles=roles,
        role_scope=frozenset(ROLES),
        repos=repos,
        branches=branches,
        champions=champions,
        manager=str(raw["manager"]).strip() if raw.get("manager") else None,
        clear_manager=not raw.get("manager"),
        agreements=_agreements(raw.get("agreements"), problems, line, who),
        agreement_scope=frozenset(KINDS),
        alumni=status == "alumni",
    )


def _known_timezone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_unique(doc: RosterDocument, problems: _Problems) -> None:
    seen: dict[str, str] = {}
    slack_seen: dict[str, str] = {}
    for person in doc.people:
        key = person.github.lower()
        if key in seen:
            problems.add(
                _where_line(person.where), f"person {person.github}: listed twice (also at {seen[key]})"
            )
        seen[key] = person.where
        if person.slack:
            if person.slack in slack_seen:
                problems.add(
                    _where_line(person.where),
                    f"person {person.github}: Slack id {person.slack} also belongs to {slack_seen[person.slack]}",
                )
            slack_seen[person.slack] = person.github
    names: dict[str, str] = {}
    for org in doc.organizations:
        if org.name in names:
            problems.add(
                _where_line(org.where), f"organization {org.name}: listed twice (also at {names[org.name]})"
            )
        names[org.name] = org.where


def _where_line(where: str) -> int:
    return int(where.rsplit(":", 1)[1])


def layer_as_of(record: dict[str, Any], when: dt.date) -> dict[str, Any]:
    """Return a people.yaml record as it stood on `when`: `before` entries dated on or after it, earliest winning."""
    result = {key: value for key, value in record.items() if key != "before"}
    before = record.get("before") or {}
    dated = sorted(((_as_date(key), value) for key, value in before.items()), key=lambda kv: kv[0] or when)
    for date, values in reversed(dated):
        if date is not None and date >= when and isinstance(values, dict):
            result.update(values)
    return result


def read_people_yaml(path: Path, *, orgs_path: Path | None, as_of: dt.date) -> RosterDocument:
    """Parse Open edX's people.yaml (and orgs.yaml beside it) as of a date."""
    data = _load_yaml(path)
    problems = _Problems(path)
    doc = RosterDocument(source=str(path), format="people.yaml")
    if not isinstance(data, dict):
        raise RosterError([f"{path}:1: expected a mapping from GitHub username to person"])
    orgs_path = orgs_path or path.with_name("orgs.yaml")
    known_orgs = _read_orgs_yaml(orgs_path, doc) if orgs_path.is_file() else set()
    if not orgs_path.is_file():
        doc.warnings.append(f"{orgs_path}: not found; organisations are created without agreements")
    champions_referenced: set[str] = set()
    for handle, raw in data.items():
        line = _line(raw, 1)
        handle = str(handle).strip()
        if not isinstance(raw, dict):
            problems.add(line, f"person {handle}: expected a mapping of fields")
            continue
        if not GITHUB_HANDLE.match(handle):
            problems.add(line, f"person {handle!r}: not a GitHub handle")
            continue
        if raw.get("is_robot"):
            continue
        try:
            spec = _people_person(handle, raw, line, path, as_of, known_orgs, doc)
        except ValueError as exc:
            problems.add(line, f"person {handle}: {exc}")
            continue
        champions_referenced.update(c.lower() for c in spec.champions or [])
        doc.people.append(spec)
    for spec in doc.people:
        if spec.github.lower() in champions_referenced:
            spec.roles.add(Role.CHAMPION.value)
            spec.role_scope = spec.role_scope | {Role.CHAMPION.value}
            spec.only_if_known = False
    _check_unique(doc, problems)
    problems.raise_if_any()
    return doc


def _people_person(
    handle: str,
    raw: dict[str, Any],
    line: int,
    path: Path,
    as_of: dt.date,
    known_orgs: set[str],
    doc: RosterDocument,
) -> PersonSpec:
    now_values = layer_as_of(raw, as_of)
    committer = now_values.get("committer") or None
    if committer is not None and not isinstance(committer, dict):
        committer = {}
    spec = PersonSpec(
        github=handle,
        where=f"{path}:{line}",
        name=str(now_values.get("name") or "") or None,
        email=str(now_values["email"]) if now_values.get("email") else None,
        role_scope=frozenset({Role.COMMITTER.value}),
        agreement_scope=frozenset({AgreementKind.INDIVIDUAL.value}),
        only_if_known=committer is None,
    )
    institution = now_values.get("institution")
    if institution:
        spec.organization = str(institution)
        if str(institution) not in known_orgs:
            doc.warnings.append(
                f"{path}:{line}: person {handle}: institution {institution!r} is not in orgs.yaml"
            )
    agreement = str(now_values.get("agreement") or "none")
    if agreement not in {"individual", "institution", "none"}:
        raise ValueError(f"agreement {agreement!r} is not individual, institution or none")
    spec.agreements = []
    if agreement == "individual":
        spec.agreements.append(
            AgreementSpec(AgreementKind.INDIVIDUAL, None, _as_date(now_values.get("expires_on")))
        )
    elif agreement == "none":
        ended = _agreement_end(raw)
        if ended is not None:
            spec.agreements.append(AgreementSpec(AgreementKind.INDIVIDUAL, None, ended))
    if committer is not None:
        spec.roles = {Role.COMMITTER.value}
        orgs = _string_list(committer.get("orgs"), "committer.orgs")
        spec.repos = [f"{org}/*" for org in orgs] + _string_list(committer.get("repos"), "committer.repos")
        spec.branches = _string_list(committer.get("branches"), "committer.branches")
        spec.champions = _string_list(committer.get("champions"), "committer.champions")
        spec.granted_on = _committer_since(raw, as_of)
        for repo in spec.repos:
            if not REPO_NAME.match(repo):
                raise ValueError(f"committer repo {repo!r} must look like org/name")
    else:
        spec.repos, spec.branches, spec.champions = [], [], []
    return spec


def _agreement_end(raw: dict[str, Any]) -> dt.date | None:
    """With no agreement now, the individual agreement ended on the latest `before` date that had one."""
    ends = [
        _as_date(date)
        for date, values in (raw.get("before") or {}).items()
        if isinstance(values, dict) and str(values.get("agreement") or "none") == "individual"
    ]
    return max((d for d in ends if d is not None), default=None)


def _committer_since(raw: dict[str, Any], as_of: dt.date) -> dt.date | None:
    """Return the date commit rights began: the latest `before` date before which the person was no committer."""
    dates = sorted(
        (d for d in (_as_date(k) for k in (raw.get("before") or {})) if d and d <= as_of), reverse=True
    )
    for date in dates:
        if not layer_as_of(raw, date - dt.timedelta(days=1)).get("committer"):
            return date
    return None


def _read_orgs_yaml(path: Path, doc: RosterDocument) -> set[str]:
    data = _load_yaml(path)
    problems = _Problems(path)
    if not isinstance(data, dict):
        raise RosterError([f"{path}:1: expected a mapping from organisation name to fields"])
    for name, raw in data.items():
        line = _line(raw, 1)
        if not isinstance(raw, dict):
            problems.add(line, f"organization {name}: expected a mapping of fields")
            continue
        agreement = str(raw.get("agreement") or "none")
        if agreement not in {"institution", "none"}:
            problems.add(line, f"organization {name}: agreement {agreement!r} is not institution or none")
            continue
        contact = raw.get("contact") or {}
        doc.organizations.append(
            OrgSpec(
                name=str(name),
                where=f"{path}:{line}",
                is_provider=bool(raw.get("contractor", False)),
                contact_name=contact.get("name") if isinstance(contact, dict) else None,
                contact_email=contact.get("email") if isinstance(contact, dict) else None,
                agreements=[AgreementSpec(AgreementKind.ENTITY)] if agreement == "institution" else [],
            )
        )
    problems.raise_if_any()
    return {org.name for org in doc.organizations}


def read_agreements_csv(path: Path) -> RosterDocument:
    """Parse the CLA export CSV: it wins for names and agreements, and marks core contributors."""
    problems = _Problems(path)
    doc = RosterDocument(source=str(path), format="csv")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError([f"{path}: cannot read the file: {exc}"]) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in CSV_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise RosterError([f"{path}:1: missing column(s): {', '.join(missing)}"])
    orgs: dict[str, OrgSpec] = {}
    for row in reader:
        line = reader.line_num
        handle = (row["GitHub Username"] or "").strip().lstrip("@")
        if not handle:
            doc.warnings.append(f"{path}:{line}: row without a GitHub Username skipped")
            continue
        if not GITHUB_HANDLE.match(handle):
            problems.add(line, f"GitHub Username {handle!r} is not a GitHub handle")
            continue
        try:
            individual = _count(row["Number of Active Ind. CLA Contracts"])
            entity = _count(row["Number of Active Entity CLA Contracts"])
            core = _flag(row["Is Core Contributor"])
        except ValueError as exc:
            problems.add(line, f"person {handle}: {exc}")
            continue
        name = " ".join(
            part for part in ((row["First Name"] or "").strip(), (row["Last Name"] or "").strip()) if part
        )
        account = (row["Account Name"] or "").strip()
        spec = PersonSpec(
            github=handle,
            where=f"{path}:{line}",
            name=name or None,
            title=(row["Title"] or "").strip() or None,
            roles={Role.COMMITTER.value} if core else set(),
            role_scope=frozenset({Role.COMMITTER.value}),
            ensure_individual=individual > 0,
            only_if_known=not core,
        )
        if account and account != INDIVIDUAL_ACCOUNT:
            spec.organization = account
            org = orgs.setdefault(account, OrgSpec(name=account, where=f"{path}:{line}"))
            org.ensure_entity = bool(org.ensure_entity) or entity > 0
        doc.people.append(spec)
    doc.organizations = list(orgs.values())
    _check_unique(doc, problems)
    problems.raise_if_any()
    return doc


def _count(value: str | None) -> int:
    text = (value or "0").strip() or "0"
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a count of contracts")
    return int(text)


def _flag(value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in {"1", "true", "yes", "y"}:
        return True
    if text in {"", "0", "false", "no", "n"}:
        return False
    raise ValueError(f"Is Core Contributor {value!r} is not yes/no")


class _FlowList(list[Any]):
    """A list dumped on one line, like `[committer, champion]`."""


class _FlowDict(dict[Any, Any]):
    """A mapping dumped on one line, like `{kind: nda, signed: 2020-06-01}`."""


class _RosterDumper(yaml.SafeDumper):
    """Writes roster YAML the way people write it by hand."""


_RosterDumper.add_representer(
    _FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)
_RosterDumper.add_representer(
    _FlowDict, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True)
)


def _flowed(value: Any) -> Any:
    if isinstance(value, dict):
        if value and all(not isinstance(v, dict | list) for v in value.values()) and "kind" in value:
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


def dump_agreements_csv(rows: list[dict[str, str]]) -> str:
    """Return the CLA export CSV text for exported rows."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
