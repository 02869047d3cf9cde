"""Roster import and export: the three formats, one transaction, dry runs, round trips, Slack resolution."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, col, func, select

from bot.assembly import slack_client
from bot.services.directory import resolve_slack
from bot.services.roster import (
    RosterError,
    dump_agreements_csv,
    dump_ccbot_yaml,
    export_agreement_rows,
    export_roster,
    get_profile,
    import_roster,
    read_roster,
)
from bot.settings import load_settings
from bot.slack import SlackDirectory
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import (
    Agreement,
    AgreementAction,
    AgreementEvent,
    AuditEntry,
    ChampionAssignment,
    CommitGrant,
    Person,
    Status,
)
from storage.roster import get_person_by_github, list_active_champions, list_active_grants, list_agreements
from tests.conftest import NOW, PILOT_ROSTER, ROOT, load_pilot

OPENEDX = ROOT / "examples" / "openedx"
PILOT_CCS = [
    "ziafazal",
    "bradenmacdonald",
    "symbolist",
    "pomegranited",
    "felipemontoya",
    "omarIthawi",
    "pdpinch",
    "regisb",
    "idegtiarov",
]


def _import(
    session: Session, path: Path, *, dry_run: bool = False, confirmed: bool = True, **kwargs
) -> object:
    doc = read_roster(path, as_of=kwargs.pop("as_of", NOW.date()), **kwargs)
    return import_roster(session, doc, now=NOW, actor="test", dry_run=dry_run, confirmed=confirmed)


def _counts(session: Session) -> tuple[int, ...]:
    tables = (Person, CommitGrant, ChampionAssignment, Agreement, AuditEntry)
    return tuple(session.exec(select(func.count()).select_from(t)).one() for t in tables)


def test_the_pilot_roster_has_nine_committers_each_with_two_champions(session: Session) -> None:
    load_pilot(session)
    exported = export_roster(session)
    committers = [p for p in exported["people"] if "committer" in p["roles"]]
    assert sorted(p["github"] for p in committers) == sorted(PILOT_CCS)
    for person in committers:
        assert len(person["champions"]) >= 2, person["github"]
    by_handle = {p["github"]: p for p in exported["people"]}
    assert by_handle["bradenmacdonald"]["champions"] == ["ormsbee", "kdmccormick"]
    assert by_handle["idegtiarov"]["champions"] == ["nedbat", "nimisha", "schen"]
    assert "openedx/XBlock" in by_handle["bradenmacdonald"]["repos"]
    statuses = {p.github: p.status for p in session.exec(select(Person)).all()}
    assert statuses["ziafazal"] == Status.ACTIVE.value
    assert statuses["idegtiarov"] == Status.ONBOARDING.value


def test_yaml_export_round_trips_without_loss(session: Session, tmp_path: Path) -> None:
    load_pilot(session)
    first = dump_ccbot_yaml(export_roster(session))
    assert yaml.safe_load(first)["program"] == {"phase": "pilot"}
    exported = tmp_path / "exported.yaml"
    exported.write_text(first)
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    with make_session_factory(other)() as fresh:
        _import(fresh, exported)
        assert dump_ccbot_yaml(export_roster(fresh)) == first
        again = _import(fresh, exported)
        assert (again.added, again.changed, again.removed) == ([], [], [])
    other.dispose()
    source = {p["github"]: p for p in yaml.safe_load(PILOT_ROSTER.read_text())["people"]}
    for person in yaml.safe_load(first)["people"]:
        original = source[person["github"]]
        for key in ("name", "email", "slack", "timezone", "organization", "repos", "champions", "manager"):
            assert person.get(key) == original.get(key), (person["github"], key)
        assert sorted(person["roles"]) == sorted(original["roles"])
        assert person.get("agreements", []) == original.get("agreements", [])


def test_csv_export_round_trips(session: Session, tmp_path: Path) -> None:
    load_pilot(session)
    first = dump_agreements_csv(export_agreement_rows(session, today=NOW.date()))
    path = tmp_path / "agreements.csv"
    path.write_text(first)
    report = _import(session, path)
    assert report.added == []
    assert report.removed == []
    assert dump_agreements_csv(export_agreement_rows(session, today=NOW.date())) == first
    assert "Zia,Fazal,1,,Edly by Arbisoft,1,ziafazal,1" in first


def test_a_dry_run_lists_the_changes_and_changes_nothing(session: Session) -> None:
    before = _counts(session)
    report = _import(session, PILOT_ROSTER, dry_run=True)
    assert "person ziafazal (Zia Fazal)" in report.added
    assert "champion jbowman for ziafazal" in report.added
    assert "grant ziafazal -> openedx/edx-platform" in report.added
    assert _counts(session) == before


def test_a_reimport_reports_what_was_removed_and_changed(session: Session, tmp_path: Path) -> None:
    load_pilot(session)
    data = yaml.safe_load(PILOT_ROSTER.read_text())
    zia = next(p for p in data["people"] if p["github"] == "ziafazal")
    zia["champions"] = ["jbowman", "rraposa"]
    zia["email"] = "zia@example.net"
    braden = next(p for p in data["people"] if p["github"] == "bradenmacdonald")
    braden["repos"].remove("openedx/blockstore")
    changed = tmp_path / "roster.yaml"
    changed.write_text(yaml.safe_dump(data))
    report = _import(session, changed, dry_run=True)
    assert "champion feanil for ziafazal" in report.removed
    assert "champion rraposa for ziafazal" in report.added
    assert "grant bradenmacdonald -> openedx/blockstore" in report.removed
    assert "person ziafazal: email 'zia.fazal@example.org' -> 'zia@example.net'" in report.changed
    _import(session, changed)
    zia_row = get_person_by_github(session, "ziafazal")
    assert zia_row is not None
    assert zia_row.id is not None
    assert [c.github for _, c in list_active_champions(session, zia_row.id)] == ["jbowman", "rraposa"]


def test_a_broken_file_changes_nothing_and_says_where_it_broke(session: Session, tmp_path: Path) -> None:
    load_pilot(session)
    before = _counts(session)
    text = PILOT_ROSTER.read_text()
    text = text.replace(
        "champions: [jbowman, feanil]\n    manager: nimisha\n    agreements:\n"
        "      - {kind: individual, signed: 2026-01-05",
        "champions: [jbowman, nobody-here]\n    manager: nimisha\n    agreements:\n"
        "      - {kind: individual, signed: 2026-01-05",
    )
    text = text.replace(
        "roles: [committer]\n    repos: [openedx/edx-ace]", "roles: [commiter]\n    repos: [openedx/edx-ace]"
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text(text)
    with pytest.raises(RosterError) as error:
        _import(session, broken)
    problems = "\n".join(error.value.problems)
    omar_line = text.splitlines().index("  - github: omarIthawi") + 1
    assert f"{broken}:{omar_line}: person omarIthawi: role 'commiter' is not one of" in problems
    assert _counts(session) == before

    text = text.replace("roles: [commiter]", "roles: [committer]")
    broken.write_text(text)
    with pytest.raises(RosterError) as error:
        _import(session, broken)
    zia_line = text.splitlines().index("  - github: ziafazal") + 1
    assert error.value.problems == [
        f"{broken}:{zia_line}: person ziafazal: champion 'nobody-here' is not in this file or on the roster"
    ]
    assert _counts(session) == before


def test_invalid_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("people:\n  - github: a\n    roles: [committer\n")
    with pytest.raises(RosterError, match=r"bad.yaml:\d+: not valid YAML"):
        read_roster(path, as_of=NOW.date())


def test_people_yaml_brings_committers_their_champions_and_history(session: Session) -> None:
    report = _import(session, OPENEDX / "people.yaml")
    exported = {p["github"]: p for p in export_roster(session)["people"]}
    assert set(exported) == {"alice-cc", "bob-branches", "carol-org", "champ-one", "champ-two"}
    assert report.skipped == 2  # dan-former (no longer a committer) and eve-contributor
    alice = exported["alice-cc"]
    assert alice["roles"] == ["committer"]
    assert alice["champions"] == ["champ-one", "champ-two"]
    assert alice["repos"] == ["openedx/edx-platform", "openedx/XBlock"]
    assert alice["organization"] == "Example Provider"
    assert alice["agreements"] == [{"kind": "individual", "expires": dt.date(2027, 6, 1)}]
    alice_row = get_person_by_github(session, "alice-cc")
    assert alice_row is not None
    assert alice_row.id is not None
    # `before: 2025-03-01: committer: false` still applies on 2025-03-01 (openedx-webhooks' boundary).
    assert {g.granted_on for g, _ in list_active_grants(session, alice_row.id)} == {dt.date(2025, 3, 2)}
    assert exported["bob-branches"]["branches"] == ["open-release/*"]
    assert exported["carol-org"]["repos"] == ["openedx/*"]
    assert exported["champ-one"]["roles"] == ["champion"]
    org = next(o for o in export_roster(session)["organizations"] if o["name"] == "Example Provider")
    assert org["is_provider"] is True
    assert org["agreements"] == [{"kind": "entity"}]
    assert org["contact"] == {"name": "Pat Contact", "email": "pat.contact@example.org"}
    profile = get_profile(session, alice_row.id, today=NOW.date())
    assert profile.standing.status is Status.ONBOARDING  # people.yaml carries no NDA


def test_people_yaml_as_of_an_earlier_date_layers_the_before_entries(session: Session) -> None:
    _import(session, OPENEDX / "people.yaml", as_of=dt.date(2023, 6, 1))
    exported = {p["github"]: p for p in export_roster(session)["people"]}
    assert "alice-cc" not in exported  # not yet a committer before 2025-03-01
    assert exported["dan-former"]["repos"] == ["openedx/edx-ora2"]
    assert exported["dan-former"]["agreements"] == [{"kind": "individual"}]


def test_a_former_committer_loses_rights_and_the_agreement_end_is_recorded(session: Session) -> None:
    _import(session, OPENEDX / "people.yaml", as_of=dt.date(2023, 6, 1))
    _import(session, OPENEDX / "people.yaml")
    dan = get_person_by_github(session, "dan-former")
    assert dan is not None
    assert dan.id is not None
    assert list_active_grants(session, dan.id) == []
    # The agreement still held on 2024-01-01 (upstream's boundary); ccbot's expiry is the first day without it.
    assert [(a.kind, a.expires_on) for a in list_agreements(session, person_id=dan.id)] == [
        ("individual", dt.date(2024, 1, 2))
    ]


def test_the_csv_wins_for_names_and_agreements(session: Session) -> None:
    _import(session, OPENEDX / "people.yaml")
    report = _import(session, OPENEDX / "agreements.csv")
    alice = get_person_by_github(session, "alice-cc")
    assert alice is not None
    assert alice.name == "Alice Example-Renamed"
    assert alice.title == "Staff Engineer"
    bob = get_person_by_github(session, "bob-branches")
    assert bob is not None
    assert bob.id is not None
    assert list_agreements(session, person_id=bob.id) == []
    frank = get_person_by_github(session, "frank-new")
    assert frank is not None
    assert frank.status == Status.ONBOARDING.value
    assert get_person_by_github(session, "hal-signed") is None
    assert any("without a GitHub Username" in w for w in report.warnings)


def test_an_import_asks_slack_nothing_and_leaves_slack_ids_and_time_zones_to_the_background(
    session: Session, slack
) -> None:
    slack.add_user("U0ALICE01", email="ALICE@example.org", tz="Europe/Berlin")
    doc = read_roster(OPENEDX / "people.yaml", as_of=NOW.date())
    report = import_roster(session, doc, now=NOW, actor="test")
    assert slack.calls() == []
    assert report.resolving > 0
    directory = SlackDirectory(slack_client(load_settings(SLACK_BOT_TOKEN="xoxb-t", SLACK_API_URL=slack.url)))
    resolved = resolve_slack(session, directory, now=NOW)
    alice = get_person_by_github(session, "alice-cc")
    assert alice is not None
    assert alice.slack_user_id == "U0ALICE01"
    assert alice.timezone == "Europe/Berlin"
    assert "bob-branches" in {n.github for n in resolved.not_found}


def test_an_import_is_audited(session: Session) -> None:
    load_pilot(session)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "roster.import")).one()
    assert entry.actor == "test"
    assert entry.subject == str(PILOT_ROSTER)
    assert "person ziafazal (Zia Fazal)" in entry.details["added"]


def test_the_shipped_example_parses_under_its_own_name(tmp_path: Path) -> None:
    copy = tmp_path / "roster.yml"
    shutil.copy(PILOT_ROSTER, copy)
    assert read_roster(copy, as_of=NOW.date()).format == "ccbot"


def test_imports_write_the_agreements_history_and_a_dry_run_writes_none(
    session: Session, tmp_path: Path
) -> None:
    load_pilot(session)
    recorded = session.exec(select(AgreementEvent)).all()
    agreements = session.exec(select(Agreement)).all()
    assert sorted(e.agreement_id or 0 for e in recorded) == sorted(a.id or 0 for a in agreements)
    assert {(e.action, e.recorded_by) for e in recorded} == {(AgreementAction.RECORDED, "test")}

    data = yaml.safe_load(PILOT_ROSTER.read_text())
    zia = next(p for p in data["people"] if p["github"] == "ziafazal")
    braden = next(p for p in data["people"] if p["github"] == "bradenmacdonald")
    regis = next(p for p in data["people"] if p["github"] == "regisb")
    zia_nda = next(a for a in zia["agreements"] if a["kind"] == "nda")
    zia_nda["expires"] = dt.date(2028, 1, 31)  # extended
    braden_nda = next(a for a in braden["agreements"] if a["kind"] == "nda")
    braden_nda["expires"] = dt.date(2026, 12, 15)  # cut short
    regis["agreements"] = [a for a in regis["agreements"] if a["kind"] != "nda"]  # gone from the file
    changed = tmp_path / "roster.yaml"
    changed.write_text(yaml.safe_dump(data))
    before = len(recorded)
    _import(session, changed, dry_run=True)
    assert len(session.exec(select(AgreementEvent)).all()) == before, "a dry run writes no history"

    _import(session, changed, confirmed=True)
    new = session.exec(
        select(AgreementEvent).where(col(AgreementEvent.id) > max(e.id or 0 for e in recorded))
    ).all()
    by_holder = {(e.person_id, e.action): e for e in new}
    ids = {handle: person_id(session, handle) for handle in ("ziafazal", "bradenmacdonald", "regisb")}
    renewed = by_holder[(ids["ziafazal"], AgreementAction.RENEWED)]
    assert (renewed.previous_expires_on, renewed.expires_on) == (dt.date(2027, 1, 31), dt.date(2028, 1, 31))
    cut = by_holder[(ids["bradenmacdonald"], AgreementAction.REVOKED)]
    assert (cut.previous_expires_on, cut.expires_on) == (dt.date(2027, 1, 31), dt.date(2026, 12, 15))
    removed = by_holder[(ids["regisb"], AgreementAction.REVOKED)]
    assert removed.agreement_id is None, "the entry outlives its agreement"
    assert removed.reason == "not in roster.yaml (removed by its import)", (
        "the file's name, not the admin's path"
    )
    assert len(new) == 3


def person_id(session: Session, handle: str) -> int:
    found = get_person_by_github(session, handle)
    assert found is not None
    assert found.id is not None
    return found.id
