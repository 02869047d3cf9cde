"""Scale-phase routing: repository areas, each with a channel, a responder rotation and an owning manager."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlmodel import Session

from bot.services.audit import audit
from bot.services.errors import UserError
from bot.services.rotation import least_loaded
from bot.settings import SLACK_CHANNEL_ID
from storage import areas as store
from storage import roster as roster_store
from storage.models import Person, RepoArea


@dataclass(frozen=True)
class Route:
    """Where a question goes: its channel (None: the coordination channel), area, and responders in order."""

    responders: list[Person]
    channel: str | None = None
    area: RepoArea | None = None


def import_areas(session: Session, path: Path, *, now: dt.datetime, actor: str) -> list[str]:
    """Read an areas file (`areas: [{name, channel, manager, repos, responders}]`) in one transaction."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"{path}: cannot read it ({exc.__class__.__name__})") from None
    entries = doc.get("areas") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise UserError(f"{path}: expected `areas:` with a list of areas")
    problems: list[str] = []
    planned = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: area {number}"
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("channel"):
            problems.append(f"{where}: needs name and channel")
            continue
        channel = str(entry["channel"])
        if not SLACK_CHANNEL_ID.match(channel):
            problems.append(f"{where}: {channel!r} is not a channel id like C012ABCDEF")
        people = []
        for handle in entry.get("responders") or []:
            person = roster_store.get_person_by_github(session, str(handle))
            if person is None:
                problems.append(f"{where}: responder {handle!r} is not on the roster")
            else:
                people.append(person)
        manager = (
            roster_store.get_person_by_github(session, str(entry["manager"]))
            if entry.get("manager")
            else None
        )
        if entry.get("manager") and manager is None:
            problems.append(f"{where}: manager {entry['manager']!r} is not on the roster")
        repos = [str(r) for r in entry.get("repos") or []]
        if not repos:
            problems.append(f"{where}: lists no repos")
        planned.append((str(entry["name"]), channel, manager, repos, people))
    if problems:
        raise UserError("the areas were not imported; nothing changed:\n" + "\n".join(problems))
    for name, channel, manager, repos, people in planned:
        store.put_area(
            session,
            RepoArea(name=name, channel=channel, manager_id=manager.id if manager else None),
            repos,
            [p.id for p in people if p.id is not None],
        )
    audit(session, now, actor, "areas.imported", str(path), areas=len(planned))
    session.commit()
    return [name for name, *_ in planned]


def pick_responder(session: Session, area: RepoArea, *, today: dt.date) -> Person | None:
    """Return the on-duty responder: fewest open questions, then longest since last given one; away people skipped."""
    return least_loaded(
        store.list_area_responders(session, area.id or 0),
        today=today,
        loads=lambda ids: store.open_question_counts(session, ids),
        last_given=lambda ids: store.last_routed_at(session, ids),
    )


def route_by_area(session: Session, repo: str, *, today: dt.date) -> Route:
    """Return the scale-phase route of a question on `repo`: its area's channel and on-duty responder."""
    area = store.find_area_for_repo(session, repo)
    if area is None:
        return Route(responders=[])
    responder = pick_responder(session, area, today=today)
    return Route(responders=[responder] if responder else [], channel=area.channel, area=area)


def area_manager(session: Session, area_id: int) -> Person | None:
    """Return the manager owning an area (the end of its questions' SLA ladder)."""
    area = store.get_area(session, area_id)
    return roster_store.get_person(session, area.manager_id) if area and area.manager_id else None


def set_away(
    session: Session, person: Person, until: dt.date | None, *, now: dt.datetime, actor: str
) -> None:
    """Mark someone away until a date (None: back), so rotations skip them (committed)."""
    person.away_until = until
    session.add(person)
    audit(session, now, actor, "person.away", person.github, until=until or "")
    session.commit()
