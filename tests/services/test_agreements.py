"""Agreements with a history: renewals add, revocations and invalidations end, nothing earlier is rewritten;
My agreements says valid, needs attention (ending or missing) or ended, with what to do."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from bot.services.admin import record_agreement, set_phase
from bot.services.agreements import agreement_history, change_agreement, my_agreements
from bot.services.errors import FieldErrors
from bot.services.roster import get_profile
from bot.types.agreements import AgreementState
from bot.types.policy import Channels
from bot.views.agreements import history_lines, my_agreements_blocks
from storage.db import make_engine, upgrade
from storage.models import AgreementAction, AgreementEvent, AgreementKind, Phase, Status
from storage.roster import list_agreements
from tests.conftest import NOW, load_pilot
from tests.flows import person

TODAY = NOW.date()


@pytest.fixture
def db(session: Session) -> Session:
    load_pilot(session)
    return session


def _change(db: Session, action: AgreementAction, **fields: object) -> str:
    values: dict[str, object] = {
        "holder": "ziafazal",
        "kind": AgreementKind.NDA,
        "signed_on": None,
        "expires_on": None,
        "effective_on": None,
        "reason": "as agreed",
        **fields,
    }
    return change_agreement(db, person(db, "cc-coordinator"), action=action, now=NOW, **values).confirmation  # type: ignore[arg-type]


def test_a_renewal_adds_an_agreement_and_leaves_the_earlier_one_as_it_was(db: Session) -> None:
    zia = person(db, "ziafazal")
    before = [(a.signed_on, a.expires_on) for a in list_agreements(db, person_id=zia.id) if a.kind == "nda"]
    done = _change(
        db, AgreementAction.RENEWED, signed_on=dt.date(2026, 11, 20), expires_on=dt.date(2027, 11, 20)
    )
    assert "renewed from 2026-11-20" in done
    after = [(a.signed_on, a.expires_on) for a in list_agreements(db, person_id=zia.id) if a.kind == "nda"]
    assert after == [*before, (dt.date(2026, 11, 20), dt.date(2027, 11, 20))]
    event = db.exec(select(AgreementEvent).where(AgreementEvent.recorded_by != "test")).one()
    assert (event.action, event.previous_expires_on, event.recorded_by, event.reason) == (
        AgreementAction.RENEWED,
        dt.date(2027, 1, 31),
        "cc-coordinator",
        "as agreed",
    )


def test_a_revocation_ends_the_agreement_on_its_date_and_the_standing_follows(db: Session) -> None:
    done = _change(db, AgreementAction.REVOKED, effective_on=TODAY, reason="Signed for the wrong program")
    assert "standing is now *lapsed*" in done
    zia = person(db, "ziafazal")
    assert get_profile(db, zia.id or 0, today=TODAY).standing.status is Status.LAPSED
    event = db.exec(select(AgreementEvent).where(AgreementEvent.recorded_by != "test")).one()
    assert (event.action, event.effective_on, event.expires_on, event.previous_expires_on) == (
        AgreementAction.REVOKED,
        TODAY,
        TODAY,
        dt.date(2027, 1, 31),
    )
    with pytest.raises(FieldErrors, match="no nda agreement in force"):
        _change(db, AgreementAction.REVOKED, effective_on=TODAY)
    lines = {line.kind: line for line in my_agreements(db, zia.id or 0, today=TODAY)}
    assert lines[AgreementKind.NDA].state is AgreementState.ENDED
    text = my_agreements_blocks(list(lines.values()), [person(db, "cc-coordinator")], today=TODAY)[
        1
    ].to_dict()
    assert "revoked: Signed for the wrong program" in text["text"]["text"]
    assert "To be active again, ask <@U0ADMIN01>" in text["text"]["text"]


def test_an_invalidation_voids_the_agreement_from_its_signing(db: Session) -> None:
    _change(db, AgreementAction.INVALIDATED, kind=AgreementKind.INDIVIDUAL, reason="Not signed by them")
    zia = person(db, "ziafazal")
    individual = next(a for a in list_agreements(db, person_id=zia.id) if a.kind == "individual")
    assert individual.expires_on == individual.signed_on == dt.date(2026, 1, 5)
    with pytest.raises(FieldErrors, match="no individual agreement to invalidate"):
        _change(db, AgreementAction.INVALIDATED, kind=AgreementKind.INDIVIDUAL)


def test_changes_say_which_field_is_wrong(db: Session) -> None:
    with pytest.raises(FieldErrors) as missing:
        _change(db, AgreementAction.RENEWED, reason="  ")
    assert "reason" in missing.value.errors
    with pytest.raises(FieldErrors) as unsigned:
        _change(db, AgreementAction.RENEWED)
    assert "signed" in unsigned.value.errors
    with pytest.raises(FieldErrors) as backwards:
        _change(db, AgreementAction.RENEWED, signed_on=TODAY, expires_on=TODAY)
    assert "expires" in backwards.value.errors
    with pytest.raises(FieldErrors, match="edX holds no entity agreement in force"):
        _change(db, AgreementAction.REVOKED, holder="nimisha", kind=AgreementKind.ENTITY)
    with pytest.raises(FieldErrors, match="not on the roster"):
        _change(db, AgreementAction.REVOKED, holder="nobody-here")


def test_my_agreements_valid_ending_missing_and_no_longer_required(db: Session) -> None:
    igor = person(db, "idegtiarov")  # no NDA yet; Raccoon Gang's entity agreement ends 2026-12-31
    lines = {line.kind: line for line in my_agreements(db, igor.id or 0, today=dt.date(2026, 12, 10))}
    assert lines[AgreementKind.INDIVIDUAL].state is AgreementState.VALID
    assert lines[AgreementKind.ENTITY].state is AgreementState.ATTENTION
    assert lines[AgreementKind.ENTITY].organization == "Raccoon Gang"
    assert lines[AgreementKind.NDA].missing
    blocks = my_agreements_blocks(list(lines.values()), [], today=dt.date(2026, 12, 10))
    shown = blocks[1].to_dict()["text"]["text"]
    assert "ends 2026-12-31 (in 21 days)" in shown
    assert "your organisation (Raccoon Gang) renews it" in shown
    assert "missing" in shown
    set_phase(
        db,
        person(db, "cc-coordinator"),
        phase=Phase.SCALE,
        nda_required=False,
        milestones="",
        now=NOW,
        channels=Channels(),
    )
    zia = person(db, "ziafazal")
    _change(db, AgreementAction.REVOKED, effective_on=TODAY)
    lines = {line.kind: line for line in my_agreements(db, zia.id or 0, today=TODAY)}
    assert lines[AgreementKind.NDA].state is AgreementState.ENDED
    assert not lines[AgreementKind.NDA].required
    shown = my_agreements_blocks(list(lines.values()), [], today=TODAY)[1].to_dict()["text"]["text"]
    assert "Not required any more" in shown


def test_recording_through_the_admin_form_starts_the_history_and_the_cli_lists_it(db: Session) -> None:
    record_agreement(
        db,
        person(db, "cc-coordinator"),
        holder="idegtiarov",
        kind=AgreementKind.NDA,
        signed_on=dt.date(2026, 11, 20),
        expires_on=dt.date(2027, 11, 20),
        now=NOW,
        channels=Channels(),
    )
    _change(
        db,
        AgreementAction.REVOKED,
        holder="idegtiarov",
        effective_on=dt.date(2026, 12, 1),
        reason="withdrawn",
    )
    every = history_lines(agreement_history(db, "idegtiarov"))
    imported = [line for line in every if "imported from" in line]
    assert imported, every
    assert all(" recorded " in line and "by test:" in line for line in imported), every
    lines = [line for line in every if "imported from" not in line]
    assert len(lines) == 2
    assert "recorded    nda        idegtiarov effective 2026-11-20" in lines[0]
    assert "revoked" in lines[1]
    assert "was 2027-11-20" in lines[1]
    assert lines[1].endswith("by cc-coordinator: withdrawn")


def test_the_migration_starts_each_existing_agreements_history(tmp_path: Path, db_url: str) -> None:
    if db_url.startswith("postgresql"):
        pytest.skip("the data migration is exercised on SQLite; PostgreSQL runs the same SQL in its upgrade")
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0008")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO person (id, github, github_key, name, status) VALUES (1, 'zia', 'zia', 'Zia', 'active')"
            )
        )
        c.execute(
            text(
                "INSERT INTO agreement (kind, person_id, signed_on, expires_on, source) "
                "VALUES ('nda', 1, '2026-01-05', '2027-01-31', 'ccbot:roster.yaml'), ('individual', 1, NULL, NULL, '')"
            )
        )
    upgrade(engine)
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT kind, action, effective_on, expires_on, recorded_by FROM agreement_event ORDER BY kind"
            )
        ).all()
    assert [(r[0], r[1], str(r[3]), r[4]) for r in rows] == [
        ("individual", "recorded", "None", "migration"),
        ("nda", "recorded", "2027-01-31", "ccbot:roster.yaml"),
    ]
    assert str(rows[1][2]) == "2026-01-05"
    engine.dispose()
