"""Admin changes and roster imports that move someone's standing tell them, committed with the change (never silently)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from sqlmodel import Session, select

from bot.services.admin import set_phase, upsert_person
from bot.services.roster import import_roster, queue_status_notices, read_roster
from storage.models import Agreement, Person, Phase, Status
from tests.conftest import NOW, PILOT_ROSTER
from tests.flows import CHANNELS, FakeMessenger, deliver, person

ZIA, IGOR, MANAGER = "U0PILOT01", "U0PILOT09", "U0MGR0001"


def _phase(session: Session, *, nda_required: bool, now: dt.datetime = NOW) -> tuple[str, ...]:
    return set_phase(
        session,
        person(session, "cc-coordinator"),
        phase=Phase.PILOT,
        nda_required=nda_required,
        milestones="",
        now=now,
        channels=CHANNELS,
    ).keys


def _dms(messenger: FakeMessenger) -> dict[str, list[str]]:
    sent: dict[str, list[str]] = {}
    for message in messenger.posted:
        if message["channel"] != CHANNELS.coordination:
            sent.setdefault(message["channel"], []).append(message["text"])
    return sent


def test_dropping_the_nda_requirement_tells_the_committer_it_makes_active(pilot_session: Session) -> None:
    session = pilot_session
    assert person(session, "idegtiarov").status == Status.ONBOARDING.value, "the pilot's NDA is not back"

    _phase(session, nda_required=False)
    messenger = FakeMessenger()
    deliver(session, messenger, now=NOW)

    assert person(session, "idegtiarov").status == Status.ACTIVE.value
    texts = _dms(messenger)
    assert list(texts) == [IGOR]
    assert "now *active*" in texts[IGOR][0]


def test_requiring_the_nda_again_lapses_an_expired_one_and_tells_the_committer_manager_and_admins_once(
    pilot_session: Session,
) -> None:
    session = pilot_session
    _phase(session, nda_required=False)
    zia = person(session, "ziafazal")
    nda = session.exec(select(Agreement).where(Agreement.person_id == zia.id, Agreement.kind == "nda")).one()
    nda.expires_on = NOW.date() - dt.timedelta(days=1)
    session.add(nda)
    session.commit()
    later = NOW + dt.timedelta(hours=1)
    _phase(session, nda_required=False, now=later)  # the NDA does not count yet: Zia stays active
    assert person(session, "ziafazal").status == Status.ACTIVE.value
    deliver(session, FakeMessenger(), now=later)

    _phase(session, nda_required=True, now=later + dt.timedelta(hours=1))
    messenger = FakeMessenger()
    deliver(session, messenger, now=later + dt.timedelta(hours=1))

    assert person(session, "ziafazal").status == Status.LAPSED.value
    texts = _dms(messenger)
    assert "*lapsed*" in texts[ZIA][0]
    manager = session.exec(select(Person).where(Person.github_key == "nimisha")).one()
    assert manager.slack_user_id in texts, "the manager hears of the lapse"
    assert all(len(sent) == 1 for sent in texts.values()), texts
    # The hourly job finds nothing left to tell: the change and its notices were one decision.
    assert queue_status_notices(session, now=later + dt.timedelta(hours=2)) == 0


def test_an_admin_adding_the_committer_role_to_someone_without_agreements_tells_nobody_yet(
    pilot_session: Session,
) -> None:
    session = pilot_session
    keys = upsert_person(
        session,
        person(session, "cc-coordinator"),
        github="newcomer",
        name="New Comer",
        slack_user_id="U0NEW0001",
        organization=None,
        roles=["committer"],
        repos=["openedx/edx-platform"],
        now=NOW,
        channels=CHANNELS,
    ).keys
    assert keys == ()
    assert person(session, "newcomer").status == Status.ONBOARDING.value


def test_a_reimport_that_ends_an_nda_tells_the_lapsed_committer_and_a_dry_run_tells_nobody(
    pilot_session: Session, tmp_path: Path
) -> None:
    session = pilot_session
    data = yaml.safe_load(PILOT_ROSTER.read_text())
    zia = next(p for p in data["people"] if p["github"] == "ziafazal")
    for agreement in zia["agreements"]:
        if agreement["kind"] == "nda":
            agreement["expires"] = NOW.date() - dt.timedelta(days=1)  # revoked early, as the new file says
    changed = tmp_path / "roster.yaml"
    changed.write_text(yaml.safe_dump(data))
    doc = read_roster(changed, as_of=NOW.date())

    import_roster(session, doc, now=NOW, actor="test", dry_run=True)
    quiet = FakeMessenger()
    deliver(session, quiet, now=NOW)
    assert quiet.posted == [], "a dry run queues nothing"

    report = import_roster(session, read_roster(changed, as_of=NOW.date()), now=NOW, actor="test")
    assert "status ziafazal: active -> lapsed" in report.changed
    messenger = FakeMessenger()
    deliver(session, messenger, now=NOW)
    texts = _dms(messenger)
    assert "*lapsed*" in texts[ZIA][0]
    assert all(len(sent) == 1 for sent in texts.values()), texts
    assert IGOR not in texts, "only the people whose standing moved hear"
    assert queue_status_notices(session, now=NOW + dt.timedelta(hours=1)) == 0


def test_the_first_import_welcomes_nobody_by_dm(session: Session) -> None:
    # A roster loaded for the first time moves nobody's standing: nine committers get no DM at once.
    import_roster(session, read_roster(PILOT_ROSTER, as_of=NOW.date()), now=NOW, actor="test")
    messenger = FakeMessenger()
    deliver(session, messenger, now=NOW)
    assert messenger.posted == []
