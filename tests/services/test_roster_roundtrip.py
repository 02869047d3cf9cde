"""`roster export --format yaml` is lossless: export, import into an empty database, export again: the same file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

import storage.models  # noqa: F401 (registers every table)
from bot.services.roster import dump_ccbot_yaml, export_roster, import_roster, read_roster
from tests.conftest import NOW

DATES = st.dates(min_value=dt.date(2014, 1, 1), max_value=dt.date(2030, 12, 31))
WORDS = st.text(alphabet="abcdefghij KLMNOP-é", min_size=1, max_size=12).map(str.strip).filter(bool)
ORG_NAMES = ["Analytical", "edX", "OpenCraft", "Raccoon Gang"]
HANDLES = ["ada", "Bertha-B", "carl-c", "dora", "eve-2", "fred"]


@st.composite
def contacts(draw: st.DrawFn) -> dict[str, str]:
    """A contact as orgs.yaml writes it: name and e-mail, either may be missing."""
    contact = draw(
        st.fixed_dictionaries(
            {}, optional={"name": WORDS, "email": st.sampled_from(["a@example.org", "b@x.io"])}
        )
    )
    return contact or {"name": "Someone"}


@st.composite
def agreements(draw: st.DrawFn, kinds: list[str]) -> list[dict[str, Any]]:
    """Agreements with distinct (kind, signed) pairs, each expiring after it was signed."""
    found = []
    for kind, signed in draw(
        st.lists(st.tuples(st.sampled_from(kinds), st.none() | DATES), max_size=3, unique=True)
    ):
        entry: dict[str, Any] = {"kind": kind}
        if signed is not None:
            entry["signed"] = signed
        if draw(st.booleans()):
            entry["expires"] = (signed or dt.date(2014, 1, 1)) + dt.timedelta(days=draw(st.integers(1, 900)))
        found.append(entry)
    return found


@st.composite
def rosters(draw: st.DrawFn) -> dict[str, Any]:
    """A ccbot roster using everything an import can set."""
    orgs = []
    for name in draw(st.lists(st.sampled_from(ORG_NAMES), unique=True, max_size=3)):
        org: dict[str, Any] = {"name": name, "is_provider": draw(st.booleans())}
        if draw(st.booleans()):
            org["alias"] = f"2U/{name}"
        for key in ("contact", "contact2"):
            if draw(st.booleans()):
                org[key] = draw(contacts())
        org["agreements"] = draw(agreements(["entity"]))
        orgs.append(org)
    handles = draw(st.lists(st.sampled_from(HANDLES), unique_by=str.lower, min_size=1, max_size=5))
    people = []
    for handle in handles:
        others = [h for h in handles if h != handle]
        person: dict[str, Any] = {"github": handle, "name": draw(WORDS)}
        if draw(st.booleans()):
            person["email"] = f"{handle.lower()}@example.org"
        if draw(st.booleans()):
            person["timezone"] = draw(st.sampled_from(["Europe/Paris", "America/Vancouver", "UTC"]))
        if draw(st.booleans()):
            person["title"] = draw(WORDS)
        if orgs and draw(st.booleans()):
            person["organization"] = draw(st.sampled_from([o["name"] for o in orgs]))
        person["roles"] = draw(
            st.lists(st.sampled_from(["committer", "champion", "manager", "owner", "admin"]), unique=True)
        )
        repos = draw(
            st.lists(st.sampled_from(["openedx/edx-platform", "openedx/*", "org/XBlock"]), unique=True)
        )
        branches = draw(st.lists(st.sampled_from(["open-release/*", "master"]), unique=True))
        shared = draw(st.none() | DATES)
        if repos:
            person["repos"] = [
                repo if shared or draw(st.booleans()) else {"repo": repo, "granted": draw(DATES)}
                for repo in repos
            ]
        if branches:
            person["branches"] = [
                branch if shared or draw(st.booleans()) else {"branch": branch, "granted": draw(DATES)}
                for branch in branches
            ]
        if shared and (repos or branches):
            person["granted"] = shared
        if others and draw(st.booleans()):
            person["champions"] = draw(st.lists(st.sampled_from(others), unique=True, min_size=1, max_size=3))
        if others and draw(st.booleans()):
            person["manager"] = draw(st.sampled_from(others))
        person["agreements"] = draw(agreements(["individual", "nda"]))
        if draw(st.booleans()):
            person["status"] = "alumni"
            person["removed"] = draw(DATES)
        people.append(person)
    phase = draw(st.sampled_from(["pilot", "establish", "scale"]))
    return {"program": {"phase": phase}, "organizations": orgs, "people": people}


@contextmanager
def empty_database() -> Iterator[Session]:
    """An empty in-memory roster database."""
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def _import_and_export(path: Path) -> str:
    with empty_database() as session:
        import_roster(session, read_roster(path, as_of=NOW.date()), now=NOW, actor="test")
        return dump_ccbot_yaml(export_roster(session))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(roster=rosters())
def test_export_import_export_gives_the_same_file(tmp_path: Path, roster: dict[str, Any]) -> None:
    source = tmp_path / "generated.yaml"
    source.write_text(dump_ccbot_yaml(roster))
    first = _import_and_export(source)
    exported = tmp_path / "exported.yaml"
    exported.write_text(first)
    assert _import_and_export(exported) == first
    # And nothing the generated file said was dropped on the way.
    people = {p["github"]: p for p in yaml.safe_load(first)["people"]}
    for person in roster["people"]:
        out = people[person["github"]]
        assert out.get("removed") == person.get("removed")
        assert out.get("manager") == person.get("manager")
        assert out.get("champions") == person.get("champions")
        assert _grant_dates(out) == _grant_dates(person)
        assert len(out.get("agreements", [])) == len(person["agreements"])
    orgs = {o["name"]: o for o in yaml.safe_load(first)["organizations"]}
    for org in roster["organizations"]:
        for key in ("alias", "contact", "contact2", "is_provider"):
            assert orgs[org["name"]].get(key) == org.get(key), key
        assert sorted(map(repr, orgs[org["name"]].get("agreements", []))) == sorted(
            map(repr, org["agreements"])
        )


def _grant_dates(person: dict[str, Any]) -> dict[str, dt.date | None]:
    dates: dict[str, dt.date | None] = {}
    for key, singular in (("repos", "repo"), ("branches", "branch")):
        for entry in person.get(key, []):
            if isinstance(entry, dict):
                dates[f"{key}:{entry[singular]}"] = entry.get("granted")
            else:
                dates[f"{key}:{entry}"] = person.get("granted")
    return dates
