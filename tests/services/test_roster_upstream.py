"""Roster files as their owners read them: the CLA export of today, people.yaml/orgs.yaml across the years."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from bot.services.roster import ConfirmationNeeded, RosterError, export_roster, import_roster, read_roster
from bot.services.roster.formats.people_yaml import layer_as_of
from storage.models import Agreement, AuditEntry, CommitGrant, Organization, Person
from storage.roster import (
    get_organization_by_name,
    get_person_by_github,
    list_active_grants,
    list_agreements,
)
from tests.conftest import NOW, ROOT, load_pilot

OPENEDX = ROOT / "examples" / "openedx"
WEBHOOKS = OPENEDX / "webhooks-2021"
ERA_2015 = OPENEDX / "2015"


def _import(session: Session, path: Path, *, as_of: dt.date | None = None, **kwargs: object) -> object:
    doc = read_roster(path, as_of=as_of or NOW.date())
    return import_roster(session, doc, now=NOW, actor="test", **kwargs)  # type: ignore[arg-type]


def _counts(session: Session) -> tuple[int, ...]:
    tables = (Person, Organization, CommitGrant, Agreement, AuditEntry)
    return tuple(session.exec(select(func.count()).select_from(t)).one() for t in tables)


def _pilot_csv(session: Session, tmp_path: Path, edit: dict[str, str]) -> Path:
    """The pilot roster as the CLA export, with some columns overwritten in every row."""
    from bot.services.roster import dump_agreements_csv, export_agreement_rows

    rows = export_agreement_rows(session, today=NOW.date())
    for row in rows:
        row.update(edit)
    path = tmp_path / "export.csv"
    path.write_text(dump_agreements_csv(rows))
    return path


# --- 15.1: today's CLA export ----------------------------------------------------------------


def test_blank_contract_counts_are_unknown_and_end_nothing(session: Session, tmp_path: Path) -> None:
    load_pilot(session)
    path = _pilot_csv(
        session,
        tmp_path,
        {"Number of Active Ind. CLA Contracts": "", "Number of Active Entity CLA Contracts": ""},
    )
    before = {p.github: p.status for p in session.exec(select(Person)).all()}
    report = _import(session, path, confirmed=False)
    assert not [line for line in report.changed if "ended" in line]  # type: ignore[attr-defined]
    assert report.removed == []  # type: ignore[attr-defined]
    assert {p.github: p.status for p in session.exec(select(Person)).all()} == before


def test_the_account_name_says_which_agreement_when_counts_are_blank(session: Session) -> None:
    _import(session, WEBHOOKS / "people.yaml")
    report = _import(session, WEBHOOKS / "salesforce-export.csv")
    assert report.removed == []  # type: ignore[attr-defined]
    bertha = get_person_by_github(session, "bertha-branches")
    assert bertha is not None
    assert bertha.id is not None
    assert [a.kind for a in list_agreements(session, person_id=bertha.id)] == ["individual"]
    edx = get_organization_by_name(session, "edX")
    assert edx is not None
    assert edx.id is not None
    assert [a.kind for a in list_agreements(session, organization_id=edx.id)] == ["entity"]
    # "2U/edX" is orgs.yaml's `name:` of edX: no second organisation.
    assert get_organization_by_name(session, "2U/edX") is None


def test_an_empty_account_name_ends_the_agreement(session: Session, tmp_path: Path) -> None:
    _import(session, WEBHOOKS / "people.yaml")
    text = (WEBHOOKS / "salesforce-export.csv").read_text()
    path = tmp_path / "salesforce-export.csv"
    path.write_text(text.replace('"Individual Contributors","","eve-nohistory"', '"","","eve-nohistory"'))
    report = _import(session, path)
    assert report.changed == [  # type: ignore[attr-defined]
        f"agreement individual for person eve-nohistory: ended {NOW.date()}",
        "status eve-nohistory: onboarding -> lapsed",
    ]


def test_an_import_ending_many_at_once_asks_for_confirmation(session: Session, tmp_path: Path) -> None:
    load_pilot(session)
    path = _pilot_csv(session, tmp_path, {"Number of Active Ind. CLA Contracts": "0"})
    before = _counts(session)
    with pytest.raises(ConfirmationNeeded) as refusal:
        _import(session, path, confirmed=False)
    assert refusal.value.report.dry_run
    assert len(refusal.value.report.ending) == 9
    assert "ziafazal" in refusal.value.report.ending
    assert any("ended" in line for line in refusal.value.report.changed)
    assert "re-run with --yes" in refusal.value.problems[0]
    session.expire_all()
    assert _counts(session) == before
    report = _import(session, path, confirmed=False, dry_run=True)
    assert report.dry_run  # type: ignore[attr-defined]
    _import(session, path, confirmed=True)
    zia = get_person_by_github(session, "ziafazal")
    assert zia is not None
    assert zia.status == "lapsed"


def test_the_cli_shows_the_dry_run_and_asks_for_yes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import app

    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "CCBOT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CCBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert (
        runner.invoke(app, ["roster", "import", str(ROOT / "examples" / "pilot-roster.yaml")]).exit_code == 0
    )
    exported = runner.invoke(app, ["roster", "export", "--format", "csv"]).output
    rows = list(csv.DictReader(io.StringIO(exported)))
    for row in rows:
        row["Account Name"] = ""
        row["Number of Active Ind. CLA Contracts"] = ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "blanked.csv"
    path.write_text(out.getvalue())
    refused = runner.invoke(app, ["roster", "import", str(path)])
    assert refused.exit_code == 2
    assert "~ agreement individual for person ziafazal: ended" in refused.output
    assert "re-run with --yes" in refused.output
    assert "Traceback" not in refused.output
    applied = runner.invoke(app, ["roster", "import", str(path), "--yes"])
    assert applied.exit_code == 0, applied.output
    again = runner.invoke(app, ["roster", "import", str(path)])
    assert again.exit_code == 0, again.output  # nothing left to end


# --- 15.2: people.yaml and orgs.yaml as upstream reads them ----------------------------------


@pytest.mark.parametrize(
    ("when", "committer"),
    [
        # openedx-webhooks' own cases for raisingarizona (tests/test_info.py), on carl-layers.
        (dt.date(2020, 12, 31), False),
        (dt.date(2015, 12, 31), False),
        (dt.date(2014, 12, 31), True),
        (dt.date(2013, 12, 31), False),
        # The boundary: an entry dated D still applies on D, not on D + 1.
        (dt.date(2015, 1, 2), True),
        (dt.date(2015, 1, 3), False),
        (dt.date(2014, 1, 2), False),
        (dt.date(2014, 1, 3), True),
    ],
)
def test_before_entries_layer_as_openedx_webhooks_does(when: dt.date, committer: bool) -> None:
    import yaml

    record = yaml.safe_load((WEBHOOKS / "people.yaml").read_text())["carl-layers"]
    assert bool(layer_as_of(record, when).get("committer")) is committer


def test_grant_dates_follow_the_history_and_unknown_stays_unknown(session: Session) -> None:
    _import(session, WEBHOOKS / "people.yaml")
    dates = {}
    for handle in ("ada-lovelace", "bertha-branches", "eve-nohistory"):
        person = get_person_by_github(session, handle)
        assert person is not None
        assert person.id is not None
        dates[handle] = {grant.granted_on for grant, _ in list_active_grants(session, person.id)}
    assert dates == {
        "ada-lovelace": {dt.date(2020, 6, 21)},
        "bertha-branches": {dt.date(2020, 1, 3)},
        "eve-nohistory": {None},
    }


def test_a_revocation_found_as_of_a_date_carries_that_date(session: Session) -> None:
    _import(session, WEBHOOKS / "people.yaml", as_of=dt.date(2014, 6, 1))
    carl = get_person_by_github(session, "carl-layers")
    assert carl is not None
    assert carl.id is not None
    [(grant, _repo)] = list_active_grants(session, carl.id)
    assert grant.granted_on == dt.date(2014, 1, 3)
    _import(session, WEBHOOKS / "people.yaml", as_of=dt.date(2015, 6, 1))
    revoked = session.exec(select(CommitGrant).where(CommitGrant.person_id == carl.id)).one()
    assert revoked.revoked_on == dt.date(2015, 6, 1)


def test_orgs_yaml_aliases_contacts_and_only_the_organisations_people_need(session: Session) -> None:
    report = _import(session, WEBHOOKS / "people.yaml")
    orgs = {o["name"]: o for o in export_roster(session)["organizations"]}
    assert set(orgs) == {"Analytical", "edX"}  # not Unused Org, not hal's Nowhere Inc
    assert orgs["edX"]["alias"] == "2U/edX"
    assert orgs["Analytical"]["contact"] == {"name": "Ann Contact", "email": "ann.contact@example.org"}
    assert orgs["Analytical"]["contact2"] == {"name": "Ben Contact", "email": "ben.contact@example.org"}
    people = {p["github"]: p for p in export_roster(session)["people"]}
    assert people["alan-champ"]["organization"] == "edX"
    assert report.skipped == 2  # type: ignore[attr-defined]
    summaries = [w for w in report.warnings if "not imported" in w]  # type: ignore[attr-defined]
    assert len(summaries) == 1
    assert summaries[0].startswith("4 note(s) about records that were not imported")
    assert not [w for w in report.warnings if "hal-contributor" in w and w not in summaries]  # type: ignore[attr-defined]
    assert {"dependabot[bot]", "dora-renamed*", "hal-contributor"}.isdisjoint(people)


def test_a_case_only_difference_is_not_a_rename(session: Session) -> None:
    _import(session, WEBHOOKS / "people.yaml")
    report = _import(session, WEBHOOKS / "salesforce-export.csv")
    assert not [line for line in report.changed if "github" in line]  # type: ignore[attr-defined]
    ada = get_person_by_github(session, "ADA-LOVELACE")
    assert ada is not None
    assert ada.github == "ada-lovelace"


def test_duplicate_keys_are_an_error_naming_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "people.yaml"
    path.write_text(
        "someone:\n  name: Some One\n  email: a@example.org\n  agreement: individual\n"
        "other:\n  name: Other\n  name: Other Again\n  agreement: none\n"
        "someone:\n  name: Some One Again\n  agreement: none\n"
    )
    with pytest.raises(RosterError) as error:
        read_roster(path, as_of=NOW.date())
    assert error.value.problems == [
        f"{path}:7: key 'name' appears twice in one mapping (lines 6 and 7); YAML would silently keep only the last",
        f"{path}:9: key 'someone' appears twice in one mapping (lines 1 and 9); YAML would silently keep only the last",
    ]


def test_a_fault_refuses_the_file_only_for_someone_imported(tmp_path: Path, session: Session) -> None:
    text = (WEBHOOKS / "people.yaml").read_text()
    (tmp_path / "orgs.yaml").write_text((WEBHOOKS / "orgs.yaml").read_text())
    path = tmp_path / "people.yaml"
    path.write_text(
        text.replace(
            "  agreement: individual\n  committer:\n    repos: [openedx/XBlock]",
            "  agreement: corporate\n  committer:\n    repos: [openedx/XBlock]",
        )
    )
    with pytest.raises(RosterError) as error:
        _import(session, path)
    eve_line = text.splitlines().index("eve-nohistory:") + 1
    assert error.value.problems == [
        f"{path}:{eve_line}: person eve-nohistory: agreement 'corporate' is not individual, institution or none"
    ]


def test_the_2015_committer_flag_is_explained_not_imported(session: Session) -> None:
    report = _import(session, ERA_2015 / "people.yaml")
    warnings = "\n".join(report.warnings)  # type: ignore[attr-defined]
    assert "external-committer: `committer: true` is the 2015 form" in warnings
    assert "orgs.yaml: `committer: true` on edX is the 2015 form" in warnings
    assert get_person_by_github(session, "external-committer") is None


# --- 15.4: every bad value is a file:line message --------------------------------------------


def test_an_impossible_date_is_a_located_message(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text(
        "people:\n  - github: someone\n    name: Some One\n    agreements:\n"
        "      - {kind: individual, signed: 2026-13-01}\n"
    )
    with pytest.raises(RosterError) as error:
        read_roster(path, as_of=NOW.date())
    assert error.value.problems[0].startswith(
        f"{path}:5: person someone: signed: '2026-13-01' is not a valid date"
    )
    people = tmp_path / "people.yaml"
    people.write_text(
        "someone:\n  name: Some One\n  agreement: individual\n  committer:\n    repos: [openedx/x]\n"
        "  before:\n    2026-02-30:\n      committer: false\n"
    )
    with pytest.raises(RosterError) as error:
        read_roster(people, as_of=NOW.date())
    assert error.value.problems[0].startswith(
        f"{people}:7: person someone: before: '2026-02-30' is not a valid date"
    )


def test_an_empty_file_is_described_in_its_format_s_words(tmp_path: Path) -> None:
    path = tmp_path / "people.yaml"
    path.write_text("# nothing yet\n")
    with pytest.raises(RosterError) as error:
        read_roster(path, as_of=NOW.date())
    assert error.value.problems == [
        f"{path}:1: the file is empty; people.yaml maps each GitHub username to a person (name, email, "
        "agreement: individual | institution | none, institution, committer, before)"
    ]


def test_a_dangling_manager_names_the_field(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text("people:\n  - github: someone\n    name: Some One\n    manager: nobody-here\n")
    with pytest.raises(RosterError) as error:
        _import(session, path)
    assert error.value.problems == [
        f"{path}:2: person someone: manager 'nobody-here' is not in this file or on the roster"
    ]


def test_an_undeclared_organisation_is_warned_and_not_created(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text(
        "organizations:\n  - {name: OpenCraft, is_provider: true}\n"
        "people:\n  - {github: one, name: One, organization: OpenCraft}\n"
        "  - {github: two, name: Two, organization: OpenCarft}\n"
    )
    report = _import(session, path)
    assert f"{path}:5: person two: organisation 'OpenCarft' is not declared" in "\n".join(report.warnings)  # type: ignore[attr-defined]
    assert get_organization_by_name(session, "OpenCarft") is None
    assert get_organization_by_name(session, "OpenCraft") is not None
    two = get_person_by_github(session, "two")
    assert two is not None
    assert two.organization_id is None


def test_yaml_tags_beyond_plain_data_are_refused_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text("people:\n  - github: a\n    name: !!python/object:os.system {}\n")
    with pytest.raises(RosterError) as error:
        read_roster(path, as_of=NOW.date())
    assert error.value.problems == [
        f"{path}:3: not valid YAML: YAML tag tag:yaml.org,2002:python/object:os.system is not allowed here"
    ]


def test_an_export_from_before_the_core_contributor_column_leaves_roles_alone(
    session: Session, tmp_path: Path
) -> None:
    # The seven columns of openedx-webhooks' salesforce-export.csv of 2022 (before "Is Core Contributor").
    _import(session, WEBHOOKS / "people.yaml")
    path = tmp_path / "salesforce-export.csv"
    path.write_text(
        '"First Name","Last Name","Number of Active Ind. CLA Contracts","Title","Account Name",'
        '"Number of Active Entity CLA Contracts","GitHub Username"\n'
        '"Ada","Lovelace","","","Analytical","","ada-lovelace"\n'
        '"Bertha","Branches","","","Individual Contributors","","bertha-branches"\n'
    )
    report = _import(session, path)
    assert (
        f"{path}:1: no Is Core Contributor column (an export before 2023); roles unchanged" in report.warnings
    )  # type: ignore[attr-defined]
    assert report.removed == []  # type: ignore[attr-defined]
    people = {p["github"]: p for p in export_roster(session)["people"]}
    assert people["ada-lovelace"]["roles"] == ["committer"]


# --- GitHub handles, by GitHub's rule, in every format --------------------------------------------

RULE = "GitHub handles are 1 to 39 letters, digits or single hyphens, and do not start or end with a hyphen"
ATTACK = "x/../../../admins/memberships/mallory"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (
            f"people:\n  - github: '{ATTACK}'\n    name: M\n",
            2,
            f"person {ATTACK!r}: github: not a GitHub handle: it contains '/'",
        ),
        (
            "people:\n  - github: '<!channel>'\n    name: M\n",
            2,
            "person '<!channel>': github: not a GitHub handle: it contains '<'",
        ),
        (
            "people:\n  - github: dou--ble\n    name: M\n",
            2,
            "person 'dou--ble': github: not a GitHub handle: it has two hyphens in a row",
        ),
        (
            "people:\n  - github: snake_case\n    name: M\n",
            2,
            "person 'snake_case': github: not a GitHub handle: it contains '_'",
        ),
        (
            "people:\n  - github: someone\n    name: S\n    champions: [jbowman, '<@U0PILOT02>']\n",
            2,
            "person someone: champions: '<@U0PILOT02>': not a GitHub handle: it contains '<'",
        ),
        (
            f"people:\n  - github: someone\n    name: S\n    manager: '{ATTACK}'\n",
            2,
            f"person someone: manager: {ATTACK!r}: not a GitHub handle: it contains '/'",
        ),
    ],
    ids=["path", "mention", "hyphens", "underscore", "champion", "manager"],
)
def test_a_ccbot_roster_refuses_a_handle_github_would_not_allow_naming_its_line(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text(text)
    with pytest.raises(RosterError) as error:
        read_roster(path, as_of=NOW.date())
    assert error.value.problems == [f"{path}:{line}: {problem} ({RULE})"]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (
            f"'{ATTACK}':\n  name: M\n  agreement: individual\n  committer:\n    repos: [openedx/XBlock]\n",
            1,
            f"person {ATTACK!r}: not a GitHub handle: it contains '/'",
        ),
        (
            "someone:\n  name: S\n  agreement: individual\n  committer:\n    repos: [openedx/XBlock]\n"
            "    champions: [jbowman, '<!channel>']\n",
            1,
            "person someone: committer.champions: '<!channel>': not a GitHub handle: it contains '<'",
        ),
        (
            "trailing-:\n  name: T\n  agreement: none\n",
            1,
            "person 'trailing-': not a GitHub handle: it ends with a hyphen",
        ),
    ],
    ids=["path", "champion", "hyphen"],
)
def test_people_yaml_refuses_a_handle_github_would_not_allow_naming_its_line(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    path = tmp_path / "people.yaml"
    path.write_text(text)
    with pytest.raises(RosterError) as error:
        read_roster(path, as_of=NOW.date())
    assert error.value.problems == [f"{path}:{line}: {problem} ({RULE})"]


def test_people_yaml_still_sets_robots_and_starred_records_aside(tmp_path: Path) -> None:
    path = tmp_path / "people.yaml"
    path.write_text(
        "dependabot[bot]:\n  name: Dependabot\n  agreement: none\n"
        "gone*:\n  name: Gone\n  agreement: none\n"
        "someone:\n  name: S\n  agreement: none\n"
    )
    doc = read_roster(path, as_of=NOW.date())
    assert [p.github for p in doc.people] == ["someone"]
    assert len(doc.not_imported) == 2


def test_the_cla_export_refuses_a_handle_github_would_not_allow_naming_its_line(
    session: Session, tmp_path: Path
) -> None:
    load_pilot(session)
    path = _pilot_csv(session, tmp_path, {})
    rows = path.read_text().splitlines()
    rows[3] = rows[3].replace(rows[3].split(",")[6], f'"{ATTACK}"', 1)
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(RosterError) as error:
        read_roster(path, as_of=NOW.date())
    assert error.value.problems == [
        f"{path}:4: GitHub Username {ATTACK!r}: not a GitHub handle: it contains '/' ({RULE})"
    ]
