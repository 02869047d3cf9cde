"""Storage on SQLite and PostgreSQL: UTC datetimes, constraints, migration checks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.audit import add_audit_entry, list_audit_entries
from storage.db import DatabaseNotReady, check_ready, make_engine, make_session_factory
from storage.events import claim_event
from storage.models import Agreement
from storage.roster import add_person, get_person_by_github


def test_datetimes_come_back_timezone_aware_in_utc(session: Session) -> None:
    paris = dt.datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Paris"))
    add_audit_entry(session, at=paris, actor="t", action="a", subject="s", details={"k": 1})
    session.commit()
    session.expire_all()
    (entry,) = list_audit_entries(session)
    assert entry.at.tzinfo is not None
    assert entry.at.utcoffset() == dt.timedelta(0)
    assert entry.at == paris
    assert entry.details == {"k": 1}


def test_naive_datetimes_are_refused(session: Session) -> None:
    with pytest.raises(Exception, match="naive datetimes"):
        add_audit_entry(session, at=dt.datetime(2026, 1, 1), actor="t", action="a", subject="s", details={})


def test_github_handles_are_unique_whatever_their_case(session: Session) -> None:
    add_person(session, github="RegisB", name="Regis")
    session.commit()
    assert get_person_by_github(session, "regisb") is not None
    with pytest.raises(IntegrityError):
        add_person(session, github="regisb", name="Someone else")
    session.rollback()


def test_a_database_error_carries_the_statement_but_never_its_parameters(session: Session) -> None:
    add_person(session, github="RegisB", name="Regis")
    session.commit()
    with pytest.raises(IntegrityError) as refused:
        add_person(session, github="regisb", name="Private-Name-Of-A-Person", email="private@example.org")
    session.rollback()
    # Its message (and so any traceback in the log) keeps the SQL, not what people typed or are.
    message = str(refused.value)
    assert "INSERT INTO person" in message
    assert "Private-Name-Of-A-Person" not in message
    assert "private@example.org" not in message


def test_an_agreement_has_exactly_one_holder(session: Session) -> None:
    session.add(Agreement(kind="nda"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_an_event_id_is_claimed_once(session: Session) -> None:
    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    assert claim_event(session, "Ev1", now=now) is True
    session.commit()
    assert claim_event(session, "Ev1", now=now) is False
    assert claim_event(session, "Ev2", now=now) is True
    session.commit()


def test_an_unmigrated_database_is_refused_with_the_command_to_run(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(DatabaseNotReady, match="run `ccbot db upgrade`"):
        check_ready(engine)


def test_a_migrated_database_is_ready(engine) -> None:
    check_ready(engine)
    with make_session_factory(engine)() as session:
        assert session.get(Agreement, 1) is None


def test_an_unreachable_database_is_reported_without_a_traceback() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/nothing")
    with pytest.raises(DatabaseNotReady, match="cannot reach the database"):
        check_ready(engine)
