"""Open edX's orgs.yaml: organisations with their entity agreements and contacts, found by key or alias."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.services.roster.formats.document import AgreementSpec, OrgSpec, RosterDocument, RosterError
from bot.services.roster.formats.fields import Problems, key_line, line_of, read_contact
from bot.services.roster.formats.yaml_lines import load_yaml
from storage.models import AgreementKind


@dataclass
class OrgIndex:
    """orgs.yaml as upstream reads it: by key, and by the `name:` alias too."""

    specs: dict[str, OrgSpec] = field(default_factory=dict)

    def resolve(self, name: str) -> OrgSpec | None:
        """Return the organisation a key or alias names (any case), or None."""
        return self.specs.get(name) or self.specs.get(name.casefold())


def read_orgs_yaml(path: Path, doc: RosterDocument, *, required: bool) -> OrgIndex:
    """Read orgs.yaml into `doc` (created only for people who are imported); index keys and aliases."""
    index = OrgIndex()
    if not path.is_file():
        if required:
            raise RosterError([f"{path}: no such file"])
        doc.warnings.append(
            f"{path}: not found; people's institutions link only to organisations already on the roster"
        )
        return index
    data = load_yaml(path)
    problems = Problems(path)
    if data is None:
        return index
    if not isinstance(data, dict):
        raise RosterError([f"{path}:1: expected a mapping from organisation name to fields"])
    committer_orgs = []
    for key, raw in data.items():
        line = key_line(data, key, line_of(raw, 1))
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
            if (contact := read_contact(raw.get(key), problems, line, f"organization {name}", key))
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
