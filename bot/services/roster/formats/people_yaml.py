"""Open edX's people.yaml (repo-tools data), read as of a date through its `before` history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bot.services.logins import not_a_login
from bot.services.roster.formats.document import (
    AgreementSpec,
    FieldProblem,
    PersonSpec,
    RosterDocument,
    RosterError,
)
from bot.services.roster.formats.fields import (
    REPO_NAME,
    Problems,
    as_date,
    check_unique,
    key_line,
    line_of,
    string_list,
    upstream_handle,
)
from bot.services.roster.formats.orgs_yaml import OrgIndex, read_orgs_yaml
from bot.services.roster.formats.yaml_lines import BadScalar
from storage.models import AgreementKind, Role

PEOPLE_AGREEMENTS = {"individual", "institution", "none"}
PEOPLE_YAML_WORDS = (
    "people.yaml maps each GitHub username to a person (name, email, agreement: individual | "
    "institution | none, institution, committer, before)"
)


def _before_entries(record: dict[str, Any], line: int) -> list[tuple[dt.date, dict[str, Any]]]:
    """Return a record's `before` entries as (date, values), latest first; FieldProblem when malformed."""
    before = record.get("before")
    if before is None:
        return []
    if not isinstance(before, dict):
        raise FieldProblem("before must map dates to the values that held before them", line_of(before, line))
    entries = []
    for key, values in before.items():
        at = key_line(before, key, line)
        if isinstance(key, dt.datetime):
            key = key.date()
        if not isinstance(key, dt.date):
            bad = key.problem if isinstance(key, BadScalar) else f"{key!r} is not a date (use YYYY-MM-DD)"
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
    for date, values in _before_entries(record, line_of(record, 1)):
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
    for date, _ in _before_entries(record, line_of(record, 1)):
        if date < as_of and not _is_committer(layer_as_of(record, date)):
            return date + dt.timedelta(days=1)
    return None


def _agreement_end(record: dict[str, Any], as_of: dt.date) -> dt.date | None:
    """With no agreement now, the individual agreement ended the day after the latest `before` date that had one."""
    for date, _ in _before_entries(record, line_of(record, 1)):
        if date < as_of and str(layer_as_of(record, date).get("agreement") or "none") == "individual":
            return date + dt.timedelta(days=1)
    return None


def read_people(path: Path, data: Any, *, orgs_path: Path | None, as_of: dt.date) -> RosterDocument:
    """Read people.yaml, already parsed, (with orgs.yaml beside it) as of `as_of` into a document."""
    problems = Problems(path)
    doc = RosterDocument(source=str(path), format="people.yaml", as_of=as_of)
    if data is None:
        raise RosterError([f"{path}:1: the file is empty; {PEOPLE_YAML_WORDS}"])
    if not isinstance(data, dict):
        raise RosterError([f"{path}:{line_of(data, 1)}: expected a mapping; {PEOPLE_YAML_WORDS}"])
    orgs = read_orgs_yaml(orgs_path or path.with_name("orgs.yaml"), doc, required=orgs_path is not None)
    champions_referenced: set[str] = set()
    for key, raw in data.items():
        line = key_line(data, key, line_of(raw, 1))
        handle = str(key).strip()
        refused, bot, star = upstream_handle(handle)
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
            spec.roles.add(Role.CHAMPION)
            spec.role_scope = spec.role_scope | {Role.CHAMPION}
            spec.only_if_known = False
    check_unique(doc, problems)
    problems.raise_if_any()
    return doc


def _people_person(
    handle: str,
    raw: dict[str, Any],
    line: int,
    path: Path,
    as_of: dt.date,
    orgs: OrgIndex,
    doc: RosterDocument,
) -> PersonSpec:
    spec = PersonSpec(
        github=handle,
        where=f"{path}:{line}",
        role_scope=frozenset({Role.COMMITTER}),
        agreement_scope=frozenset({AgreementKind.INDIVIDUAL}),
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
            f"{path}:{key_line(now_values, 'committer', line)}: person {handle}: `committer: true` is the "
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
                f"{path}:{key_line(now_values, 'institution', line)}: person {handle}: institution "
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
                    AgreementKind.INDIVIDUAL, None, as_date(now_values.get("expires_on"), "expires_on")
                )
            )
        elif agreement == "none":
            ended = _agreement_end(raw, as_of)
            if ended is not None:
                spec.agreements.append(AgreementSpec(AgreementKind.INDIVIDUAL, None, ended))
    except FieldProblem as exc:
        problem(exc)
    if isinstance(committer, dict) and committer:
        spec.roles = {Role.COMMITTER}
        try:
            orgs_list = string_list(committer.get("orgs"), "committer.orgs")
            spec.repos = [f"{org}/*" for org in orgs_list] + string_list(
                committer.get("repos"), "committer.repos"
            )
            spec.branches = string_list(committer.get("branches"), "committer.branches")
            spec.champions = string_list(committer.get("champions"), "committer.champions")
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
