"""The CLA export CSV, the community's source of truth for agreements: read on import, written on export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.services.roster.formats.document import (
    FieldProblem,
    OrgSpec,
    PersonSpec,
    RosterDocument,
    RosterError,
)
from bot.services.roster.formats.fields import Problems, check_unique, upstream_handle
from bot.services.roster.formats.orgs_yaml import OrgIndex, read_orgs_yaml
from bot.views.text import spreadsheet_safe
from storage.models import Role

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


def read_agreements_csv(path: Path, *, orgs_path: Path | None = None) -> RosterDocument:
    """Parse the CLA export CSV: it wins for names and agreements, and marks core contributors.

    Blank contract counts (today's export) mean "not stated": the Account Name then says which
    agreement a person has, as openedx-webhooks reads it. Counts, when present, are exact.
    """
    problems = Problems(path)
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
    aliases: OrgIndex = OrgIndex()
    orgs_file = orgs_path or path.with_name("orgs.yaml")
    if orgs_file.is_file():
        aliases = read_orgs_yaml(orgs_file, RosterDocument(source="", format=""), required=False)
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
        refused, bot, star = upstream_handle(handle)
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
            roles={Role.COMMITTER} if core else set(),
            role_scope=frozenset({Role.COMMITTER}) if core is not None else frozenset(),
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
    check_unique(doc, problems)
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


def dump_agreements_csv(rows: list[dict[str, str]]) -> str:
    """Return the CLA export CSV text for exported rows (no cell can start a spreadsheet formula)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: spreadsheet_safe(str(value)) for key, value in row.items()} for row in rows)
    return out.getvalue()
