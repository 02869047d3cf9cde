"""Roster files in the formats met in the wild: ccbot's own YAML, Open edX's people.yaml with orgs.yaml, the
CLA export CSV; each is read into one RosterDocument."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.services.roster.formats.agreements_csv import read_agreements_csv
from bot.services.roster.formats.ccbot_yaml import read_ccbot
from bot.services.roster.formats.document import RosterDocument, RosterError
from bot.services.roster.formats.people_yaml import read_people
from bot.services.roster.formats.yaml_lines import load_yaml


def detect_format(path: Path, data: Any = None) -> str:
    """Return `ccbot`, `people` or `csv` for a roster file, by extension and shape."""
    if path.suffix.lower() == ".csv":
        return "csv"
    if data is None:
        data = load_yaml(path)
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
    data = load_yaml(path)  # parsed once, whatever the format turns out to be
    fmt = detect_format(path, data if data is not None else {}) if fmt == "auto" else fmt
    readers: dict[str, Callable[[], RosterDocument]] = {
        "ccbot": lambda: read_ccbot(path, data),
        "people": lambda: read_people(path, data, orgs_path=orgs, as_of=as_of),
    }
    return readers[fmt]()
