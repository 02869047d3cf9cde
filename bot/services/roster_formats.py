"""Readers for the roster formats met in the wild: ccbot's YAML, Open edX people.yaml/orgs.yaml, the CLA CSV."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from bot.services.logins import not_a_login
from bot.views.text import spreadsheet_safe
from storage.models import AgreementKind, Phase, Role

ROLES = {role.value for role in Role}
KINDS = {kind.value for kind in AgreementKind}
_KIND_BY_VALUE = {kind.value: kind for kind in AgreementKind}
# The handles upstream's schema accepts (repo-tools-data-schema `github_username`), at GitHub's length.
BOT_SUFFIXES = ("[bot]", "%5Bbot%5D")
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
    "granted",
    "champions",
    "manager",
    "agreements",
    "status",
    "removed",
}
ORG_KEYS = {"name", "alias", "is_provider", "agreements", "contact", "contact2"}
AGREEMENT_KEYS = {"kind", "signed", "expires"}
PEOPLE_AGREEMENTS = {"individual", "institution", "none"}
PEOPLE_YAML_WORDS = (
    "people.yaml maps each GitHub username to a person (name, email, agreement: individual | "
    "institution | none, institution, committer, before)"
)


class RosterError(Exception):
    """A roster file cannot be imported; `problems` name the file, the line and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class FieldProblem(ValueError):
    """A bad value, with the line it is on when the file says."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class AgreementSpec:
    """An agreement as a roster file states it."""

    kind: AgreementKind
    signed: dt.date | None = None
    expires: dt.date | None = None


@dataclass
class OrgSpec:
    """An organisation as a roster file states it; None means the file says nothing about that field.

    `only_if_referenced` organisations (orgs.yaml, the CSV's accounts) are created only when a
    person who is imported belongs to them; existing ones are updated all the same.
    """

    name: str
    where: str
    alias: str | None = None
    is_provider: bool | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact2_name: str | None = None
    contact2_email: str | None = None
    agreements: list[AgreementSpec] | None = None
    ensure_entity: bool | None = None
    only_if_referenced: bool = False


@dataclass
class PersonSpec:
    """A person as a roster file states it; None means the file says nothing about that field.

    `roles` replaces the person's roles within `role_scope`; `agreements` replaces their
    agreements of the kinds in `agreement_scope`; `ensure_individual` (CSV) only asks that a
    valid individual agreement exists (True) or that none does (False). `problems` are faults
    that refuse the file only when the person is imported (upstream skips such records); `notes`
    are warnings, summarised with the others when the person is not imported.
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
    grant_dates: dict[str, dt.date] = field(default_factory=dict)
    champions: list[str] | None = None
    manager: str | None = None
    clear_manager: bool = False
    agreements: list[AgreementSpec] | None = None
    agreement_scope: frozenset[str] = frozenset()
    ensure_individual: bool | None = None
    alumni: bool | None = None
    removed_on: dt.date | None = None
    only_if_known: bool = False
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def grant_date(self, key: str) -> dt.date | None:
        """Return when the grant `key` (a repo's lower-cased name, or `branch NAME`) began, if known."""
        return self.grant_dates.get(key, self.granted_on)


@dataclass
class RosterDocument:
    """Everything one import brings: the program phase, organisations and people."""

    source: str
    format: str
    phase: Phase | None = None
    organizations: list[OrgSpec] = field(default_factory=list)
    people: list[PersonSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_imported: list[str] = field(default_factory=list)
    as_of: dt.date | None = None


# --- YAML: parsed once by libyaml, with the line of every mapping and key --------------------


class _LineDict(dict[Any, Any]):
    """A mapping that remembers the line it started on and the line of each key."""

    line = 0
    key_lines: dict[Any, int]


class _BadScalar(str):
    """A scalar YAML could not turn into its value (an impossible date like 2026-13-01)."""

    line = 0
    problem = ""


# libyaml parses; Python builds the values straight from its events, so no node tree is ever held
# in memory (a third of the time and a tenth of the memory of composing nodes first), and every
# mapping keeps the line it starts on and the line of each key, for file:line messages.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_SCALARS = yaml.constructor.SafeConstructor()
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "binary")
}


def _plain_tag(value: str) -> str | None:
    """Return the tag YAML's safe resolver gives a plain scalar, or None for a string."""
    for tag, regexp in _IMPLICIT.get(value[:1] if value else "", ()):
        if regexp.match(value):
            return str(tag)
    return None


class _Builder:
    """Turns parser events into Python values; mappings keep their lines; duplicates are noted."""

    def __init__(self, loader: Any) -> None:
        self.next = loader.get_event
        self.duplicates: list[tuple[int, int, Any]] = []
        self.anchors: dict[str, Any] = {}
        self.open: set[str] = set()
        self.plain: dict[str, Any] = {}

    def document(self) -> Any:
        """Return the one document's value (None for an empty stream); FieldProblem when malformed."""
        self.next()  # StreamStart
        event = self.next()
        if isinstance(event, StreamEndEvent):
            return None
        value = self._item(self.next())
        self.next()  # DocumentEnd
        event = self.next()
        if not isinstance(event, StreamEndEvent):
            raise FieldProblem("expected one YAML document, found another", event.start_mark.line + 1)
        return value

    def value(self, event: Any) -> Any:
        kind = event.__class__
        if kind is ScalarEvent:
            value = self._scalar(event)
        elif kind is MappingStartEvent:
            value = self._mapping(event)
        elif kind is SequenceStartEvent:
            value = self._sequence(event)
        elif kind is AliasEvent:
            if event.anchor in self.open:
                raise FieldProblem("a YAML alias refers to its own parent", event.start_mark.line + 1)
            if event.anchor not in self.anchors:
                raise FieldProblem(f"unknown YAML alias *{event.anchor}", event.start_mark.line + 1)
            return self.anchors[event.anchor]
        else:  # pragma: no cover - the parser emits nothing else here
            raise FieldProblem("unexpected YAML structure", event.start_mark.line + 1)
        if event.anchor is not None and kind is ScalarEvent:
            self.anchors[event.anchor] = value
        return value

    def _scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag is None and event.implicit[0]:
            # Plain scalars repeat (roles, zones, dates): resolve each distinct one once.
            known = self.plain.get(event.value, _UNKNOWN)
            if known is not _UNKNOWN:
                return known
            value = self._resolved(event, _plain_tag(event.value))
            if not isinstance(value, _BadScalar):
                self.plain[event.value] = value
            return value
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return event.value
            tag = _plain_tag(event.value)
        return self._resolved(event, tag)

    def _resolved(self, event: Any, tag: str | None) -> Any:
        if tag is None:
            return event.value
        if tag == _STR:
            return event.value
        if tag not in _SCALAR_TAGS and tag != _MERGE:
            raise FieldProblem(f"YAML tag {tag} is not allowed here", event.start_mark.line + 1)
        if tag == _MERGE:
            return _MERGE_KEY
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return _SCALARS.yaml_constructors[tag](_SCALARS, node)
        except (ValueError, yaml.YAMLError) as exc:
            bad = _BadScalar(event.value)
            bad.line = event.start_mark.line + 1
            bad.problem = (
                f"{event.value!r} is not a valid date ({exc})" if tag.endswith("timestamp") else str(exc)
            )
            return bad

    def _item(self, event: Any) -> Any:
        """Return a value in a mapping or a sequence (plain scalars take the short way)."""
        plain = event.__class__ is ScalarEvent and event.anchor is None
        value = self._scalar(event) if plain else self.value(event)
        if value is _MERGE_KEY:
            raise FieldProblem(
                "`<<` merges mappings; as a value, write it in quotes", event.start_mark.line + 1
            )
        return value

    def _check_tag(self, event: Any, wanted: str) -> None:
        if event.tag not in (None, "!", wanted):
            raise FieldProblem(f"YAML tag {event.tag} is not allowed here", event.start_mark.line + 1)

    def _sequence(self, start: Any) -> list[Any]:
        self._check_tag(start, _SEQ)
        items: list[Any] = []
        self._opened(start, items)
        event = self.next()
        while event.__class__ is not SequenceEndEvent:
            items.append(self._item(event))
            event = self.next()
        self.open.discard(start.anchor)
        return items

    def _mapping(self, start: Any) -> _LineDict:
        self._check_tag(start, _MAP)
        mapping = _LineDict()
        mapping.line = start.start_mark.line + 1
        lines: dict[Any, int] = {}
        mapping.key_lines = lines
        self._opened(start, mapping)
        merged: list[Any] = []
        event = self.next()
        while event.__class__ is not MappingEndEvent:
            line = event.start_mark.line + 1
            if event.__class__ is ScalarEvent and event.anchor is None:
                name: Any = self._scalar(event)
            else:
                name = self.value(event)
            if isinstance(name, (list, dict)):
                raise FieldProblem("a mapping key must be a plain value", line)
            if name is _MERGE_KEY:
                merged.append((line, self.value(self.next())))
            else:
                if name in lines:
                    self.duplicates.append((lines[name], line, name))
                lines[name] = line
                mapping[name] = self._item(self.next())
            event = self.next()
        for line, source in merged:
            # `<<:` fills in the keys the mapping does not set itself.
            for inherited in source if isinstance(source, list) else [source]:
                if not isinstance(inherited, dict):
                    raise FieldProblem("a YAML merge (<<) takes a mapping or a list of mappings", line)
                for name, item in inherited.items():
                    if name not in mapping:
                        mapping[name] = item
                        lines[name] = line
        self.open.discard(start.anchor)
        return mapping

    def _opened(self, start: Any, value: Any) -> None:
        if start.anchor is not None:
            self.anchors[start.anchor] = value
            self.open.add(start.anchor)


_MERGE_KEY = object()
_UNKNOWN = object()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    Reading a roster makes hundreds of thousands of short-lived objects; the collector, triggered
    every few hundred allocations, would rescan the growing heap again and again (60% of a parse).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_yaml(path: Path) -> Any:
    """Parse a YAML file once (libyaml when present); raise RosterError with every located problem."""
    with gc_paused():
        return _parse_yaml(path)


def _parse_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError([f"{path}: cannot read the file: {exc}"]) from None
    loader = _Loader(text)
    builder = _Builder(loader)
    try:
        data = builder.document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise RosterError([f"{path}:{line}: not valid YAML: {exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise RosterError([f"{path}:1: not valid YAML: {exc}"]) from None
    except FieldProblem as exc:
        raise RosterError([f"{path}:{exc.line or 1}: not valid YAML: {exc}"]) from None
    except RecursionError:
        raise RosterError([f"{path}:1: not valid YAML: nested too deeply"]) from None
    finally:
        loader.dispose()
    if builder.duplicates:
        raise RosterError(
            [
                f"{path}:{second}: key {name!r} appears twice in one mapping (lines {first} and {second}); "
                "YAML would silently keep only the last"
                for first, second, name in builder.duplicates
            ]
        )
    return data


def _line(value: Any, fallback: int = 0) -> int:
    return getattr(value, "line", fallback) or fallback


def _key_line(mapping: Any, key: Any, fallback: int) -> int:
    lines = getattr(mapping, "key_lines", None)
    return lines.get(key, fallback) if lines else fallback


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


def _as_date(value: Any, what: str = "date") -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, _BadScalar):
        raise FieldProblem(f"{what}: {value.problem}", value.line)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise FieldProblem(f"{what}: {value!r} is not a date (use YYYY-MM-DD)") from None
    raise FieldProblem(f"{what}: {value!r} is not a date (use YYYY-MM-DD)")


def _string_list(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise FieldProblem(f"{what} must be a list of names")
    names = []
    for item in value:
        if type(item) is not str and (not isinstance(item, int) or isinstance(item, bool)):
            raise FieldProblem(f"{what} must be a list of names")
        names.append(str(item).strip())
    return names


def detect_format(path: Path, data: Any = None) -> str:
    """Return `ccbot`, `people` or `csv` for a roster file, by extension and shape."""
    if path.suffix.lower() == ".csv":
        return "csv"
    if data is None:
        data = _load_yaml(path)
    if isinstance(data, dict) and ("people" in data or "organizations" in data or "program" in data):
        return "ccbot"
    return "people"


def read_roster(path: Path, *, fmt: str = "auto", orgs: Path | None = None, as_of: dt.date) -> RosterDocument:
    """Parse a roster file of any supported format, or raise RosterError listing every problem."""
    if path.is_dir():
        raise RosterError([f"{path}: is a folder; give the roster file itself"])
    if not path.is_file():
        raise RosterError([f"{path}: no such file"])
    if fmt not in {"auto", "ccbot", "people", "csv"}:
        raise RosterError([f"{path}: unknown format {fmt!r} (use ccbot, people or csv)"])
    if fmt == "csv" or (fmt == "auto" and path.suffix.lower() == ".csv"):
        return read_agreements_csv(path, orgs_path=orgs)
    data = _load_yaml(path)  # parsed once, whatever the format turns out to be
    fmt = detect_format(path, data if data is not None else {}) if fmt == "auto" else fmt
    readers: dict[str, Callable[[], RosterDocument]] = {
        "ccbot": lambda: _read_ccbot(path, data),
        "people": lambda: _read_people(path, data, orgs_path=orgs, as_of=as_of),
    }
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
            signed = _as_date(item.get("signed"), "signed")
            expires = _as_date(item.get("expires"), "expires")
        except FieldProblem as exc:
            problems.add(exc.line or at, f"{owner}: {exc}")
            continue
        if signed and expires and expires <= signed:
            problems.add(at, f"{owner}: agreement expires ({expires}) on or before it was signed ({signed})")
            continue
        specs.append(AgreementSpec(_KIND_BY_VALUE[kind], signed, expires))
    return specs


def read_ccbot_yaml(path: Path) -> RosterDocument:
    """Parse ccbot's own roster YAML (the format `ccbot roster export` writes)."""
    return _read_ccbot(path, _load_yaml(path))


def _contact(raw: Any, problems: _Problems, line: int, owner: str, key: str) -> tuple[str | None, str | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, dict) or set(raw) - {"name", "email"}:
        problems.add(_line(raw, line), f"{owner}: {key} is a mapping with name and email")
        return None, None
    name, email = raw.get("name"), raw.get("email")
    if email is not None and not EMAIL.match(str(email)):
        problems.add(_line(raw, line), f"{owner}: {key} email {email!r} is not an e-mail address")
        return None, None
    return (str(name).strip() or None if name else None), (str(email).strip() if email else None)


def _read_ccbot(path: Path, data: Any) -> RosterDocument:
    problems = _Problems(path)
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
        problems.add(_line(data, 1), f"unknown top-level key(s): {', '.join(sorted(map(str, unknown)))}")
    program = data.get("program") or {}
    if program:
        phase = program.get("phase") if isinstance(program, dict) else None
        if phase is not None and phase not in {p.value for p in Phase}:
            problems.add(_line(program, 1), f"program phase {phase!r} is not pilot, establish or scale")
        elif phase is not None:
            doc.phase = Phase(phase)
    organizations = data.get("organizations") or []
    if not isinstance(organizations, list):
        problems.add(_key_line(data, "organizations", 1), "organizations must be a list")
        organizations = []
    for raw in organizations:
        line = _line(raw, 1)
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
        contact = _contact(raw.get("contact"), problems, line, owner, "contact")
        contact2 = _contact(raw.get("contact2"), problems, line, owner, "contact2")
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
        problems.add(_line(data, 1), "people must be a list")
        people = []
    for raw in people:
        spec = _ccbot_person(raw, problems)
        if spec is not None:
            doc.people.append(spec)
    _check_unique(doc, problems)
    problems.raise_if_any()
    return doc


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
                    _line(item, line),
                )
            name = str(item[singular]).strip()
            granted = _as_date(item.get("granted"), f"{key} {name} granted")
            if granted is not None:
                dates[name.lower() if key == "repos" else f"branch {name}"] = granted
        elif isinstance(item, str | int) and not isinstance(item, bool):
            name = str(item).strip()
        else:
            raise FieldProblem(f"{key} must be a list of names")
        names.append(name)
    return names, dates


def _ccbot_person(raw: Any, problems: _Problems) -> PersonSpec | None:
    line = _line(raw, 1)
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
        roles = set(_string_list(raw.get("roles"), "roles"))
        repos, repo_dates = _grant_entries(raw.get("repos"), "repos", who, line)
        branches, branch_dates = _grant_entries(raw.get("branches"), "branches", who, line)
        champions = _string_list(raw.get("champions"), "champions")
        granted = _as_date(raw.get("granted"), "granted")
        removed = _as_date(raw.get("removed"), "removed")
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
    if timezone is not None and not _known_timezone(str(timezone)):
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
        roles=roles,
        role_scope=frozenset(ROLES),
        repos=repos,
        branches=branches,
        granted_on=granted,
        grant_dates={**repo_dates, **branch_dates},
        champions=champions,
        manager=manager.strip() if manager else None,
        clear_manager=not manager,
        agreements=_agreements(raw.get("agreements"), problems, line, who),
        agreement_scope=frozenset(KINDS),
        alumni=status == "alumni",
        removed_on=removed,
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
        for name in filter(None, (org.name, org.alias)):
            if name.casefold() in names and names[name.casefold()] != org.where:
                problems.add(
                    _where_line(org.where),
                    f"organization {org.name}: {name!r} also names the organisation at {names[name.casefold()]}",
                )
            names[name.casefold()] = org.where


def _where_line(where: str) -> int:
    return int(where.rsplit(":", 1)[1])


# --- people.yaml and orgs.yaml -------------------------------------------------------------


def _before_entries(record: dict[str, Any], line: int) -> list[tuple[dt.date, dict[str, Any]]]:
    """Return a record's `before` entries as (date, values), latest first; FieldProblem when malformed."""
    before = record.get("before")
    if before is None:
        return []
    if not isinstance(before, dict):
        raise FieldProblem("before must map dates to the values that held before them", _line(before, line))
    entries = []
    for key, values in before.items():
        at = _key_line(before, key, line)
        if isinstance(key, dt.datetime):
            key = key.date()
        if not isinstance(key, dt.date):
            bad = key.problem if isinstance(key, _BadScalar) else f"{key!r} is not a date (use YYYY-MM-DD)"
            raise FieldProblem(f"before: {bad}", at)
        if values is not None and not isinstance(values, dict):
            raise FieldProblem(f"before {key}: expected the values that held before that date", at)
        entries.append((key, values or {}))
    return sorted(entries, key=lambda entry: entry[0], reverse=True)


def layer_as_of(record: dict[str, Any], when: dt.date) -> dict[str, Any]:
    """Return a people.yaml record as it stood on `when`, exactly as openedx-webhooks layers it.

    Upstream (`get_person_certain_time`) walks the `before` dates latest first and stops at the
    first date earlier than `when`: an entry dated on `when` itself still applies, and among the
    applicable entries the earliest wins (shallow update, as upstream's `dict.update`).
    """
    result = {key: value for key, value in record.items() if key != "before"}
    for date, values in _before_entries(record, _line(record, 1)):
        if when > date:
            break
        result.update(values)
    return result


def _is_committer(values: dict[str, Any]) -> bool:
    committer = values.get("committer")
    return isinstance(committer, dict) and bool(committer)


def _committer_since(record: dict[str, Any], as_of: dt.date) -> dt.date | None:
    """Return the first day of the current commit rights, or None when the history does not say.

    On a `before` date D the entry still applies (upstream's boundary), so rights that the
    entry denies begin on D + 1 day.
    """
    for date, _ in _before_entries(record, _line(record, 1)):
        if date < as_of and not _is_committer(layer_as_of(record, date)):
            return date + dt.timedelta(days=1)
    return None


def _agreement_end(record: dict[str, Any], as_of: dt.date) -> dt.date | None:
    """With no agreement now, the individual agreement ended the day after the latest `before` date that had one."""
    for date, _ in _before_entries(record, _line(record, 1)):
        if date < as_of and str(layer_as_of(record, date).get("agreement") or "none") == "individual":
            return date + dt.timedelta(days=1)
    return None


def _upstream_handle(handle: str) -> tuple[str | None, bool, bool]:
    """Return (why it is no GitHub login, or None; a `[bot]` account; ends with upstream's `*` marker)."""
    bare = handle
    bot = False
    for suffix in BOT_SUFFIXES:
        if bare.endswith(suffix):
            bare, bot = bare[: -len(suffix)], True
            break
    star = bare.endswith("*")
    return not_a_login(bare.removesuffix("*")), bot, star


def read_people_yaml(path: Path, *, orgs_path: Path | None, as_of: dt.date) -> RosterDocument:
    """Parse Open edX's people.yaml (and orgs.yaml beside it) as of a date."""
    return _read_people(path, _load_yaml(path), orgs_path=orgs_path, as_of=as_of)


@dataclass
class _OrgIndex:
    """orgs.yaml as upstream reads it: by key, and by the `name:` alias too."""

    specs: dict[str, OrgSpec] = field(default_factory=dict)

    def resolve(self, name: str) -> OrgSpec | None:
        return self.specs.get(name) or self.specs.get(name.casefold())


def _read_people(path: Path, data: Any, *, orgs_path: Path | None, as_of: dt.date) -> RosterDocument:
    problems = _Problems(path)
    doc = RosterDocument(source=str(path), format="people.yaml", as_of=as_of)
    if data is None:
        raise RosterError([f"{path}:1: the file is empty; {PEOPLE_YAML_WORDS}"])
    if not isinstance(data, dict):
        raise RosterError([f"{path}:{_line(data, 1)}: expected a mapping; {PEOPLE_YAML_WORDS}"])
    orgs = _read_orgs_yaml(orgs_path or path.with_name("orgs.yaml"), doc, required=orgs_path is not None)
    champions_referenced: set[str] = set()
    for key, raw in data.items():
        line = _key_line(data, key, _line(raw, 1))
        handle = str(key).strip()
        refused, bot, star = _upstream_handle(handle)
        if refused:
            problems.add(line, f"person {handle[:100]!r}: {refused}")
            continue
        if not isinstance(raw, dict):
            problems.add(line, f"person {handle}: expected a mapping of fields (name, email, agreement, ...)")
            continue
        if raw.get("is_robot") or bot:
            doc.not_imported.append(f"{path}:{line}: {handle}: a robot account")
            continue
        if star:
            # Upstream adds the star so the record can match no GitHub account.
            doc.not_imported.append(
                f"{path}:{line}: {handle}: the trailing * marks a record matching no account"
            )
            continue
        spec = _people_person(handle, raw, line, path, as_of, orgs, doc)
        if spec.problems and not spec.only_if_known:
            problems.items.extend(spec.problems)
            continue
        champions_referenced.update(c.lower() for c in spec.champions or [])
        doc.people.append(spec)
    for spec in doc.people:
        if spec.github.lower() in champions_referenced:
            if spec.problems:
                problems.items.extend(spec.problems)
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
    orgs: _OrgIndex,
    doc: RosterDocument,
) -> PersonSpec:
    spec = PersonSpec(
        github=handle,
        where=f"{path}:{line}",
        role_scope=frozenset({Role.COMMITTER.value}),
        agreement_scope=frozenset({AgreementKind.INDIVIDUAL.value}),
        repos=[],
        branches=[],
        champions=[],
    )

    def problem(exc: FieldProblem) -> None:
        spec.problems.append(f"{path}:{exc.line or line}: person {handle}: {exc}")

    try:
        now_values = layer_as_of(raw, as_of)
    except FieldProblem as exc:
        problem(exc)
        now_values = {key: value for key, value in raw.items() if key != "before"}
    committer = now_values.get("committer")
    spec.only_if_known = not _is_committer(now_values)
    if committer is True:
        # The 2015 form: the person's pull requests counted as edX's own; it names no repositories.
        doc.warnings.append(
            f"{path}:{_key_line(now_values, 'committer', line)}: person {handle}: `committer: true` is the "
            "2015 form and names no repositories; no commit rights imported (write committer: {orgs: [...]})"
        )
    elif committer not in (None, False) and not isinstance(committer, dict):
        problem(FieldProblem(f"committer {committer!r} must be false or a mapping of orgs, repos, branches"))
    spec.name = str(now_values.get("name") or "").strip() or None
    spec.email = str(now_values["email"]) if now_values.get("email") else None
    institution = now_values.get("institution")
    if institution:
        org = orgs.resolve(str(institution))
        if org is not None:
            spec.organization = org.name
        else:
            spec.organization = str(institution)
            spec.notes.append(
                f"{path}:{_key_line(now_values, 'institution', line)}: person {handle}: institution "
                f"{str(institution)!r} is not in orgs.yaml"
            )
    agreement = str(now_values.get("agreement") or "none")
    if agreement not in PEOPLE_AGREEMENTS:
        problem(FieldProblem(f"agreement {agreement!r} is not individual, institution or none"))
        agreement = "none"
    spec.agreements = []
    try:
        if agreement == "individual":
            spec.agreements.append(
                AgreementSpec(
                    AgreementKind.INDIVIDUAL, None, _as_date(now_values.get("expires_on"), "expires_on")
                )
            )
        elif agreement == "none":
            ended = _agreement_end(raw, as_of)
            if ended is not None:
                spec.agreements.append(AgreementSpec(AgreementKind.INDIVIDUAL, None, ended))
    except FieldProblem as exc:
        problem(exc)
    if isinstance(committer, dict) and committer:
        spec.roles = {Role.COMMITTER.value}
        try:
            orgs_list = _string_list(committer.get("orgs"), "committer.orgs")
            spec.repos = [f"{org}/*" for org in orgs_list] + _string_list(
                committer.get("repos"), "committer.repos"
            )
            spec.branches = _string_list(committer.get("branches"), "committer.branches")
            spec.champions = _string_list(committer.get("champions"), "committer.champions")
            for champion in spec.champions:
                refused = not_a_login(champion)
                if refused:
                    problem(FieldProblem(f"committer.champions: {champion[:100]!r}: {refused}"))
            spec.granted_on = _committer_since(raw, as_of)
        except FieldProblem as exc:
            problem(exc)
        for repo in spec.repos or []:
            if not REPO_NAME.match(repo):
                problem(FieldProblem(f"committer repo {repo!r} must look like org/name"))
    return spec


def _read_orgs_yaml(path: Path, doc: RosterDocument, *, required: bool) -> _OrgIndex:
    """Read orgs.yaml into `doc` (created only for people who are imported); index keys and aliases."""
    index = _OrgIndex()
    if not path.is_file():
        if required:
            raise RosterError([f"{path}: no such file"])
        doc.warnings.append(
            f"{path}: not found; people's institutions link only to organisations already on the roster"
        )
        return index
    data = _load_yaml(path)
    problems = _Problems(path)
    if data is None:
        return index
    if not isinstance(data, dict):
        raise RosterError([f"{path}:1: expected a mapping from organisation name to fields"])
    committer_orgs = []
    for key, raw in data.items():
        line = _key_line(data, key, _line(raw, 1))
        name = str(key).strip()
        if not isinstance(raw, dict):
            problems.add(line, f"organization {name}: expected a mapping of fields")
            continue
        agreement = str(raw.get("agreement") or "none")
        if agreement not in {"institution", "none"}:
            problems.add(line, f"organization {name}: agreement {agreement!r} is not institution or none")
            continue
        stated = [
            contact
            for key in ("contact", "contact1", "contact2")
            if (contact := _contact(raw.get(key), problems, line, f"organization {name}", key))
            != (None, None)
        ]
        if len(stated) > 2:
            problems.add(line, f"organization {name}: at most two of contact, contact1 and contact2")
        first = stated[0] if stated else (None, None)
        second = stated[1] if len(stated) > 1 else (None, None)
        if raw.get("committer") is True:
            committer_orgs.append(name)
        alias = str(raw.get("name") or "").strip() or None
        spec = OrgSpec(
            name=name,
            where=f"{path}:{line}",
            alias=alias if alias != name else None,
            is_provider=bool(raw.get("contractor", False)),
            contact_name=first[0],
            contact_email=first[1],
            contact2_name=second[0],
            contact2_email=second[1],
            agreements=[AgreementSpec(AgreementKind.ENTITY)] if agreement == "institution" else [],
            only_if_referenced=True,
        )
        doc.organizations.append(spec)
        index.specs[name] = spec
        index.specs.setdefault(name.casefold(), spec)
        if spec.alias:
            index.specs.setdefault(spec.alias, spec)
            index.specs.setdefault(spec.alias.casefold(), spec)
    if committer_orgs:
        doc.warnings.append(
            f"{path}: `committer: true` on {', '.join(committer_orgs)} is the 2015 form (its people's pull "
            "requests counted as edX's own); it grants no commit rights in ccbot and is ignored"
        )
    problems.raise_if_any()
    return index


# --- the CLA CSV export ----------------------------------------------------------------------


def read_agreements_csv(path: Path, *, orgs_path: Path | None = None) -> RosterDocument:
    """Parse the CLA export CSV: it wins for names and agreements, and marks core contributors.

    Blank contract counts (today's export) mean "not stated": the Account Name then says which
    agreement a person has, as openedx-webhooks reads it. Counts, when present, are exact.
    """
    problems = _Problems(path)
    doc = RosterDocument(source=str(path), format="csv")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        # Upstream's validator reads the export as cp1252 (Salesforce's encoding).
        text = path.read_bytes().decode("cp1252", errors="replace")
    except OSError as exc:
        raise RosterError([f"{path}: cannot read the file: {exc}"]) from None
    if not text.strip():
        raise RosterError(
            [f"{path}:1: the file is empty; the CLA export starts with the header {', '.join(CSV_COLUMNS)}"]
        )
    aliases: _OrgIndex = _OrgIndex()
    orgs_file = orgs_path or path.with_name("orgs.yaml")
    if orgs_file.is_file():
        aliases = _read_orgs_yaml(orgs_file, RosterDocument(source="", format=""), required=False)
    elif orgs_path is not None:
        raise RosterError([f"{orgs_path}: no such file"])
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in CSV_COLUMNS if column not in (reader.fieldnames or [])]
    if missing == ["Is Core Contributor"]:
        doc.warnings.append(
            f"{path}:1: no Is Core Contributor column (an export before 2023); roles unchanged"
        )
    elif missing:
        raise RosterError([f"{path}:1: missing column(s): {', '.join(missing)}"])
    orgs: dict[str, OrgSpec] = {}
    for row in reader:
        line = reader.line_num
        handle = (row["GitHub Username"] or "").strip().lstrip("@")
        if not handle:
            doc.not_imported.append(f"{path}:{line}: a row without a GitHub Username")
            continue
        refused, bot, star = _upstream_handle(handle)
        if refused:
            problems.add(line, f"GitHub Username {handle[:100]!r}: {refused}")
            continue
        if bot or star:
            doc.not_imported.append(
                f"{path}:{line}: {handle}: " + ("a robot account" if bot else "matches no account")
            )
            continue
        try:
            individual = _count(
                row["Number of Active Ind. CLA Contracts"], "Number of Active Ind. CLA Contracts"
            )
            entity = _count(
                row["Number of Active Entity CLA Contracts"], "Number of Active Entity CLA Contracts"
            )
            core = _flag(row.get("Is Core Contributor"))
        except FieldProblem as exc:
            problems.add(line, f"person {handle}: {exc}")
            continue
        name = " ".join(
            part for part in ((row["First Name"] or "").strip(), (row["Last Name"] or "").strip()) if part
        )
        account = (row["Account Name"] or "").strip()
        if individual is None:
            # No count: the Account Name decides, as upstream reads it.
            individual_wanted = True if account == INDIVIDUAL_ACCOUNT else (False if not account else None)
        else:
            individual_wanted = individual > 0
        spec = PersonSpec(
            github=handle,
            where=f"{path}:{line}",
            name=name or None,
            title=(row["Title"] or "").strip() or None,
            roles={Role.COMMITTER.value} if core else set(),
            role_scope=frozenset({Role.COMMITTER.value}) if core is not None else frozenset(),
            ensure_individual=individual_wanted,
            only_if_known=not core,
        )
        if account and account != INDIVIDUAL_ACCOUNT:
            known = aliases.resolve(account)
            org_name = known.name if known else account
            spec.organization = org_name
            org = orgs.setdefault(
                org_name, OrgSpec(name=org_name, where=f"{path}:{line}", only_if_referenced=True)
            )
            wanted_entity = True if entity is None else entity > 0
            org.ensure_entity = bool(org.ensure_entity) or wanted_entity
        doc.people.append(spec)
    doc.organizations = list(orgs.values())
    _check_unique(doc, problems)
    problems.raise_if_any()
    return doc


def _count(value: str | None, column: str) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise FieldProblem(f"{column} {text!r} is not a count of contracts")
    return int(text)


def _flag(value: str | None) -> bool | None:
    text = (value or "").strip().lower()
    if text in {"1", "true", "yes", "y"}:
        return True
    if text in {"0", "false", "no", "n"}:
        return False
    if text == "":
        return None
    raise FieldProblem(f"Is Core Contributor {value!r} is not 1 or 0")


# --- writing ---------------------------------------------------------------------------------


class _FlowList(list[Any]):
    """A list dumped on one line, like `[committer, champion]`."""


class _FlowDict(dict[Any, Any]):
    """A mapping dumped on one line, like `{kind: nda, signed: 2020-06-01}`."""


_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _RosterDumper(_Dumper):
    """Writes roster YAML the way people write it by hand."""


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


def dump_agreements_csv(rows: list[dict[str, str]]) -> str:
    """Return the CLA export CSV text for exported rows (no cell can start a spreadsheet formula)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: spreadsheet_safe(str(value)) for key, value in row.items()} for row in rows)
    return out.getvalue()
