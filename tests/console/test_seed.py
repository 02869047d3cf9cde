"""compose's `try` seed: the example roster imported as of the day it runs, so its committers are active on any day."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.assembly import open_database
from bot.console.demo import main
from storage.db import upgrade
from storage.models import Person, Role, Status
from storage.roster import list_people_with_role

ROOT = Path(__file__).resolve().parents[2]
PILOT = ROOT / "examples" / "pilot-roster.yaml"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in list(os.environ):
        if name.startswith(("SLACK_", "CCBOT_")):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'try.db'}"
    monkeypatch.setenv("CCBOT_DATABASE_URL", url)
    return url


def _statuses(url: str) -> dict[str, Status]:
    with open_database(url) as database, Session(database.engine) as session:
        committers = list_people_with_role(session, Role.COMMITTER)
        return {person.github: person.status for person in committers}


@pytest.mark.parametrize("ahead", [0, 400], ids=["today", "past-the-file's-dates"])
def test_the_seed_leaves_the_pilot_committers_as_the_file_meant_on_any_day(
    database: str, ahead: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_database(database) as opened:
        upgrade(opened.engine)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=ahead)
    import bot.console.demo as demo

    real_seed = demo.seed
    monkeypatch.setattr(demo, "seed", lambda path: real_seed(path, now=later))
    assert main([str(PILOT)]) == 0
    assert "added 130" in capsys.readouterr().out
    statuses = _statuses(database)
    assert len(statuses) == 9
    # The file as written lapses everyone once its agreements end; moved to the day, nobody has lapsed.
    assert Status.LAPSED not in statuses.values(), statuses


def test_an_unmigrated_database_is_one_line_and_exit_2(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(PILOT)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["ccbot: the database is not migrated: run `ccbot db upgrade`"]
    with (
        open_database(database) as opened,
        Session(opened.engine) as session,
        pytest.raises(OperationalError),
    ):
        session.exec(select(Person)).all()  # nothing was created: no table, no person
