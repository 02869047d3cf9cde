"""A roster file's values read with their lines: problems, dates, lists of names, handles, contacts, uniqueness."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from bot.services.logins import not_a_login
from bot.services.roster.formats.document import FieldProblem, RosterDocument, RosterError
from bot.services.roster.formats.yaml_lines import BadScalar

# The handles upstream's schema accepts (repo-tools-data-schema `github_username`), at GitHub's length.
BOT_SUFFIXES = ("[bot]", "%5Bbot%5D")
REPO_NAME = re.compile(r"^[A-Za-z0-9_.-]+/(?:[A-Za-z0-9_.-]+|\*)$")
SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def line_of(value: Any, fallback: int = 0) -> int:
    """Return the line a parsed value starts on, or `fallback` when it does not say."""
    return getattr(value, "line", fallback) or fallback


def key_line(mapping: Any, key: Any, fallback: int) -> int:
    """Return the line of `key` in a parsed mapping, or `fallback`."""
    lines = getattr(mapping, "key_lines", None)
    return lines.get(key, fallback) if lines else fallback


class Problems:
    """Collects every problem in a file, so one run reports them all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, line: int, message: str) -> None:
        """Note a problem on a line of the file."""
        self.items.append(f"{self.path}:{line}: {message}")

    def raise_if_any(self) -> None:
        """Raise RosterError with every problem noted, if any."""
        if self.items:
            raise RosterError(self.items)


def as_date(value: Any, what: str = "date") -> dt.date | None:
    """Return a file's value as a date (None when empty); FieldProblem when it is no date."""
    if value is None or value == "":
        return None
    if isinstance(value, BadScalar):
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


def string_list(value: Any, what: str) -> list[str]:
    """Return a name or a list of names as a list of stripped strings; FieldProblem otherwise."""
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


def read_contact(
    raw: Any, problems: Problems, line: int, owner: str, key: str
) -> tuple[str | None, str | None]:
    """Return a contact mapping's (name, e-mail), noting a problem and returning Nones when it is malformed."""
    if raw is None:
        return None, None
    if not isinstance(raw, dict) or set(raw) - {"name", "email"}:
        problems.add(line_of(raw, line), f"{owner}: {key} is a mapping with name and email")
        return None, None
    name, email = raw.get("name"), raw.get("email")
    if email is not None and not EMAIL.match(str(email)):
        problems.add(line_of(raw, line), f"{owner}: {key} email {email!r} is not an e-mail address")
        return None, None
    return (str(name).strip() or None if name else None), (str(email).strip() if email else None)


def known_timezone(name: str) -> bool:
    """Whether `name` is an IANA time zone this system knows."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_unique(doc: RosterDocument, problems: Problems) -> None:
    """Note people listed twice, Slack ids held twice, and names or aliases given to two organisations."""
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


def upstream_handle(handle: str) -> tuple[str | None, bool, bool]:
    """Return (why it is no GitHub login, or None; a `[bot]` account; ends with upstream's `*` marker)."""
    bare = handle
    bot = False
    for suffix in BOT_SUFFIXES:
        if bare.endswith(suffix):
            bare, bot = bare[: -len(suffix)], True
            break
    star = bare.endswith("*")
    return not_a_login(bare.removesuffix("*")), bot, star
