"""Migrations: the newest schema matches the models, and moving postings into one table keeps existing data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from storage.db import make_engine, upgrade

AT = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def test_the_newest_migration_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


@pytest.fixture
def at_0007(tmp_path: Path, db_url: str) -> Engine:
    if db_url.startswith("postgresql"):
        pytest.skip("the data migration is exercised on SQLite; PostgreSQL runs the same SQL in CI's upgrade")
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0007")
    return engine


def test_0008_moves_every_posting_into_slack_posting_and_keeps_it(at_0007: Engine) -> None:
    with at_0007.begin() as c:
        c.execute(
            text(
                "INSERT INTO person (id, github, github_key, name, email, status, timezone) "
                "VALUES (1, 'zia', 'zia', 'Zia', 'z@example.org', 'active', 'UTC')"
            )
        )
        c.execute(
            text(
                "INSERT INTO question (id, committer_id, pr_url, pr_number, text, urgency, has_grant, state, asked_at, "
                "channel, thread_ts, permalink) VALUES (7, 1, 'https://github.com/o/r/pull/1', 1, 'q', 'normal', 1, "
                "'open', :at, 'C0COORD01', '111.000100', 'https://x.slack.com/archives/C0COORD01/p111000100')"
            ),
            {"at": AT},
        )
        c.execute(
            text(
                "INSERT INTO question (id, committer_id, pr_url, pr_number, text, urgency, has_grant, state, asked_at) "
                "VALUES (8, 1, 'https://github.com/o/r/pull/2', 2, 'never posted', 'normal', 1, 'open', :at)"
            ),
            {"at": AT},
        )
        c.execute(
            text(
                "INSERT INTO escalation (id, committer_id, summary, impact, urgency, state, opened_at, channel, ts) "
                "VALUES (3, 1, 's', 'i', 'normal', 'open', :at, 'C0MGMT001', '222.000100')"
            ),
            {"at": AT},
        )
        c.execute(
            text(
                "INSERT INTO outbox (key, kind, channel, text, blocks, status, attempts, created_at, sent_at, ts) "
                "VALUES ('deploy-thread:5', 'deploy-thread', 'C0COORD01', 't', '[]', 'sent', 1, :at, :at, "
                "'333.000100')"
            ),
            {"at": AT},
        )
    upgrade(at_0007)
    with at_0007.connect() as c:
        rows = c.execute(
            text("SELECT subject, channel, ts, permalink FROM slack_posting ORDER BY subject")
        ).all()
        subjects = c.execute(text("SELECT key, subject, op FROM outbox")).all()
    assert [tuple(r) for r in rows] == [
        ("escalation:3", "C0MGMT001", "222.000100", None),
        ("notice-thread:5", "C0COORD01", "333.000100", None),
        ("question:7", "C0COORD01", "111.000100", "https://x.slack.com/archives/C0COORD01/p111000100"),
    ]
    assert [tuple(r) for r in subjects] == [("deploy-thread:5", "notice-thread:5", "post")]


@pytest.fixture
def at_0013(tmp_path: Path, db_url: str) -> Engine:
    if db_url.startswith("postgresql"):
        pytest.skip("the data migration is exercised on SQLite; PostgreSQL runs the same SQL in CI's upgrade")
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0013")
    return engine


def test_github_work_recorded_before_becomes_activity(at_0013: Engine) -> None:
    with at_0013.begin() as c:
        c.execute(
            text(
                "INSERT INTO person (id, github, github_key, name, email, status, timezone) "
                "VALUES (1, 'zia', 'zia', 'Zia', 'z@example.org', 'active', 'UTC')"
            )
        )
        c.execute(
            text("INSERT INTO repo (id, full_name, key) VALUES (4, 'openedx/XBlock', 'openedx/xblock')")
        )
        for kind, number in (("merged", 12), ("authored", 12), ("reviewed", 40)):
            c.execute(
                text(
                    "INSERT INTO github_activity (person_id, kind, repo_id, pr_number, at, delivery_id) "
                    "VALUES (1, :kind, 4, :number, :at, 'd-1')"
                ),
                {"kind": kind, "number": number, "at": AT},
            )
        c.execute(
            text("INSERT INTO activity (person_id, kind, at, ref) VALUES (1, 'question', :at, 'question:3')"),
            {"at": AT},
        )
    upgrade(at_0013)
    with at_0013.connect() as c:
        rows = c.execute(text("SELECT person_id, kind, ref FROM activity ORDER BY kind")).all()
    assert [tuple(r) for r in rows] == [
        (1, "authored", "openedx/XBlock#12"),
        (1, "merged", "openedx/XBlock#12"),
        (1, "question", "question:3"),
        (1, "reviewed", "openedx/XBlock#40"),
    ]
