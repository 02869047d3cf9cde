"""Digest, expiry scan and a busy champion's App Home at 1x, 10x and 100x the data, each beside a floor.

1x is 100 committers and 10,000 questions; 100x is 10,000 committers (20,000 agreements, one provider
organisation whose entity agreement covers them all) and 1,000,000 questions over a year.

Run: python -m bench.scale [--scales 1,10,100] [--postgres URL] [--keep] [--runs 7]
PostgreSQL also from CCBOT_TEST_POSTGRES_URL. Generating the data takes minutes at 100x: with --keep the
databases (PostgreSQL `ccbot_bench_scale_*`, SQLite files in --data-dir) stay, and the next run reuses them
after applying any new migration; without it they are dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bench.common import ROOT, growth, median, timed_against, write_section
from bot.assembly import open_database
from bot.services.digest import build_digest
from bot.services.home import build_home
from bot.services.reminders import list_expiry_notices
from bot.types.reminders import ExpiryNotice
from bot.views.home import home_blocks
from storage.db import normalise_url, upgrade
from storage.models import (
    Agreement,
    ChampionAssignment,
    DeploymentEvent,
    DeploymentNotice,
    Escalation,
    Organization,
    OutboxMessage,
    OutboxOp,
    OutboxStatus,
    Person,
    PersonRole,
    Question,
    QuestionResponder,
    ReminderPreference,
    Repo,
)

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
CHUNK = 20_000
BASE_COMMITTERS = 100
BASE_QUESTIONS = 10_000
THRESHOLDS = (30, 14, 7, 1)
CHAMPION_THRESHOLDS = {7, 1}
# Bump when `load` changes, so kept databases are generated again.
GENERATOR = 1
MARKER = "bench_scale_data"

# The floors: one hand-written query each, the least any implementation must do.
DIGEST_FLOOR = """
SELECT
  SUM(CASE WHEN asked_at >= :start AND asked_at < :end THEN 1 ELSE 0 END),
  SUM(CASE WHEN answered_at >= :start AND answered_at < :end THEN 1 ELSE 0 END),
  SUM(CASE WHEN state IN ('open', 'claimed') THEN 1 ELSE 0 END)
FROM question
"""
EXPIRY_FLOOR = """
SELECT id, kind, person_id, organization_id, expires_on FROM agreement
WHERE expires_on > :today AND expires_on <= :until
"""
WALK_FLOOR = """
SELECT a.id, p.id, p.github, p.slack_user_id, p.timezone FROM agreement a JOIN person p ON p.id = a.person_id
WHERE a.expires_on > :today AND a.expires_on <= :until
UNION ALL
SELECT a.id, p.id, p.github, p.slack_user_id, p.timezone FROM agreement a
JOIN person p ON p.organization_id = a.organization_id
WHERE a.expires_on > :today AND a.expires_on <= :until
"""
HOME_FLOOR = """
SELECT q.* FROM question q
WHERE q.state IN ('open', 'claimed')
  AND EXISTS (SELECT 1 FROM question_responder r WHERE r.question_id = q.id AND r.person_id = :person)
"""


def chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def load(engine: Engine, *, committers: int, questions: int) -> int:
    """Fill the database; return the busy champion's person id."""
    rng = random.Random(42)
    champions = max(2, committers // 50)
    with engine.begin() as db:
        db.execute(insert(Organization), [{"id": 1, "name": "Big Org", "is_provider": True}])
        db.execute(
            insert(Repo),
            [{"id": i + 1, "full_name": f"openedx/repo{i}", "key": f"openedx/repo{i}"} for i in range(100)],
        )
        people = [
            {
                "id": i + 1,
                "github": f"cc{i}",
                "github_key": f"cc{i}",
                "name": f"CC {i}",
                "slack_user_id": f"U{i:09d}",
                "status": "active",
                "organization_id": 1,
            }
            for i in range(committers)
        ]
        people += [
            {
                "id": committers + j + 1,
                "github": f"champ{j}",
                "github_key": f"champ{j}",
                "name": f"Champion {j}",
                "slack_user_id": f"W{j:09d}",
                "status": "active",
                "organization_id": None,
            }
            for j in range(champions)
        ]
        people.append(
            {
                "id": committers + champions + 1,
                "github": "boss",
                "github_key": "boss",
                "name": "Boss",
                "status": "active",
                "slack_user_id": "U999999999",
                "organization_id": None,
            }
        )
        for batch in chunks(iter(people)):
            db.execute(insert(Person), batch)
        roles = [{"person_id": i + 1, "role": "committer"} for i in range(committers)]
        roles += [{"person_id": committers + j + 1, "role": "champion"} for j in range(champions)]
        roles += [
            {"person_id": committers + champions + 1, "role": "manager"},
            {"person_id": committers + champions + 1, "role": "admin"},
        ]
        for batch in chunks(iter(roles)):
            db.execute(insert(PersonRole), batch)
        assignments = [
            {
                "committer_id": i + 1,
                "champion_id": committers + (i + slot) % champions + 1,
                "slot": slot + 1,
                "started_on": dt.date(2026, 1, 1),
            }
            for i in range(committers)
            for slot in range(2)
        ]
        for batch in chunks(iter(assignments)):
            db.execute(insert(ChampionAssignment), batch)
        agreements = (
            {
                "kind": kind,
                "person_id": i + 1,
                "signed_on": dt.date(2026, 1, 1),
                "expires_on": NOW.date() + dt.timedelta(days=rng.randint(-30, 400)),
            }
            for i in range(committers)
            for kind in ("individual", "nda")
        )
        for batch in chunks(agreements):
            db.execute(insert(Agreement), batch)
        db.execute(
            insert(Agreement),
            [
                {
                    "kind": "entity",
                    "organization_id": 1,
                    "signed_on": dt.date(2026, 1, 1),
                    "expires_on": dt.date(2026, 12, 31),
                }
            ],
        )
    busy = committers + 1  # champ0
    start = NOW - dt.timedelta(days=365)

    def question_rows() -> Iterator[dict[str, Any]]:
        for n in range(questions):
            asked = start + dt.timedelta(seconds=rng.randint(0, 365 * 86400))
            answered = rng.random() < 0.97 or asked < NOW - dt.timedelta(days=30)
            first = asked + dt.timedelta(minutes=rng.randint(1, 600))
            yield {
                "id": n + 1,
                "committer_id": rng.randint(1, committers),
                "repo_id": rng.randint(1, 100),
                "pr_url": "https://github.com/openedx/repo/pull/1",
                "pr_number": n + 1,
                "text": "q",
                "urgency": "normal",
                "has_grant": True,
                "state": "answered" if answered else "open",
                "asked_at": asked,
                "channel": "C0COORD01",
                "thread_ts": f"{n}.0",
                "first_response_at": first,
                "first_responder_id": committers + rng.randint(1, champions - 1) + 1,
                "answered_at": first if answered else None,
                "answered_by_id": busy if answered else None,
            }

    with engine.begin() as db:
        for batch in chunks(question_rows()):
            db.execute(insert(Question), batch)
            responders = [
                {"question_id": q["id"], "person_id": q["first_responder_id"], "position": 1} for q in batch
            ]
            db.execute(insert(QuestionResponder), responders)
        db.execute(
            insert(QuestionResponder),
            [{"question_id": q, "person_id": busy, "position": 2} for q in range(1, questions + 1, 50)],
        )
        escalations = (
            {
                "committer_id": rng.randint(1, committers),
                "summary": "s",
                "impact": "i",
                "urgency": "normal",
                "state": "resolved",
                "opened_at": start + dt.timedelta(seconds=rng.randint(0, 365 * 86400)),
                "acknowledged_at": NOW - dt.timedelta(days=rng.randint(0, 300)),
                "resolved_at": NOW - dt.timedelta(days=rng.randint(0, 300)),
            }
            for _ in range(questions // 100)
        )
        for batch in chunks(escalations):
            db.execute(insert(Escalation), batch)
        db.execute(
            insert(DeploymentEvent),
            [
                {
                    "id": 1,
                    "event": "escaped_issue",
                    "environment": "production",
                    "summary": "",
                    "details": "",
                    "received_at": NOW - dt.timedelta(days=3),
                }
            ],
        )
        notices = (
            {
                "key": f"n{n}",
                "event_id": 1,
                "event": "escaped_issue",
                "repo_id": 1,
                "pr_number": n,
                "pr_url": "u",
                "person_id": rng.randint(1, committers),
                "matched_by": "author",
                "state": "notified",
                "received_at": NOW - dt.timedelta(days=rng.randint(0, 300)),
                "reverted_at": NOW - dt.timedelta(days=rng.randint(0, 2)),
            }
            for n in range(questions // 100)
        )
        for batch in chunks(notices):
            db.execute(insert(DeploymentNotice), batch)
    return busy


def _marker(engine: Engine) -> tuple[int, int, int, int, float] | None:
    if not inspect(engine).has_table(MARKER):
        return None
    with engine.connect() as db:
        row = db.execute(
            text(f"SELECT committers, questions, generator, busy, load_seconds FROM {MARKER}")
        ).first()
    return None if row is None else (int(row[0]), int(row[1]), int(row[2]), int(row[3]), float(row[4]))


@dataclass
class Database:
    """A benchmark database: where it is, and how to start it afresh."""

    label: str
    url: str
    admin: Engine | None = None  # PostgreSQL: the server connection that creates and drops it

    @property
    def name(self) -> str:
        """The database name (PostgreSQL) or file path (SQLite)."""
        return str(make_url(self.url).database)

    def create(self) -> None:
        """Create it empty, dropping what was there."""
        self.drop()
        if self.admin is not None:
            with self.admin.connect() as db:
                db.execute(text(f'CREATE DATABASE "{self.name}"'))

    def exists(self) -> bool:
        """Whether it exists already."""
        if self.admin is None:
            return Path(self.name).exists()
        with self.admin.connect() as db:
            found = db.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": self.name}).first()
        return found is not None

    def drop(self) -> None:
        """Remove it."""
        if self.admin is None:
            for suffix in ("", "-wal", "-shm"):
                Path(self.name + suffix).unlink(missing_ok=True)
        else:
            with self.admin.connect() as db:
                db.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def prepare(database: Database, *, committers: int, questions: int) -> tuple[int, float, bool]:
    """Make sure `database` holds this data at the newest migration; return (busy id, load seconds, reused)."""
    wanted = (committers, questions, GENERATOR)
    if database.exists():
        engine = open_database(database.url).engine
        marker = _marker(engine)
        engine.dispose()
        if marker is not None and marker[:3] == wanted:
            engine = open_database(database.url).engine
            upgrade(engine)
            if engine.dialect.name == "postgresql":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
                    db.execute(text("ANALYZE"))
            engine.dispose()
            return marker[3], marker[4], True
    database.create()
    engine = open_database(database.url).engine
    upgrade(engine)
    started = time.perf_counter()
    busy = load(engine, committers=committers, questions=questions)
    loaded = time.perf_counter() - started
    with engine.begin() as db:
        db.execute(
            text(
                f"CREATE TABLE {MARKER} (committers INTEGER, questions INTEGER, generator INTEGER, "
                "busy INTEGER, load_seconds FLOAT)"
            )
        )
        db.execute(
            text(f"INSERT INTO {MARKER} VALUES (:c, :q, :g, :b, :s)"),
            {"c": committers, "q": questions, "g": GENERATOR, "b": busy, "s": loaded},
        )
    if engine.dialect.name == "postgresql":
        # What autovacuum does to a table after a bulk load: statistics and the visibility map.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
            db.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return busy, loaded, False


@dataclass
class Result:
    """One database at one scale: (subject, floor) median seconds for each benchmark."""

    scale: int
    committers: int
    questions: int
    load: float
    reused: bool
    timings: dict[str, tuple[float, float]]


def _walk(notices: list[ExpiryNotice]) -> int:
    """Read what the reminder job reads: each notice's committers and, for each, their champions."""
    return sum(len(notice.champions.get(c.id or 0, [])) + 1 for notice in notices for c in notice.committers)


def measure(database: Database, *, scale: int, runs: int) -> Result:
    """Time each benchmark against its floor at one scale."""
    committers, questions = BASE_COMMITTERS * scale, BASE_QUESTIONS * scale
    busy, loaded, reused = prepare(database, committers=committers, questions=questions)
    opened = open_database(database.url)
    engine, factory = opened.engine, opened.session_factory

    def with_session(fn: Callable[[Session], object]) -> Callable[[], object]:
        def run() -> object:
            with factory() as session:
                return fn(session)

        return run

    def query(sql: str, **params: Any) -> Callable[[], object]:
        return with_session(lambda s: s.execute(text(sql), params).all())

    today = NOW.date()
    until = today + dt.timedelta(days=max(THRESHOLDS))

    def scan(session: Session) -> list[ExpiryNotice]:
        return list_expiry_notices(
            session, today=today, thresholds=THRESHOLDS, champion_thresholds=CHAMPION_THRESHOLDS
        )

    benchmarks: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
        "weekly digest": (
            with_session(lambda s: build_digest(s, now=NOW)),
            query(DIGEST_FLOOR, start=NOW - dt.timedelta(days=7), end=NOW),
        ),
        "expiry scan": (with_session(scan), query(EXPIRY_FLOOR, today=today, until=until)),
        "expiry scan + walk": (
            with_session(lambda s: _walk(scan(s))),
            query(WALK_FLOOR, today=today, until=until),
        ),
        "busy champion's App Home": (
            with_session(lambda s: home_blocks(build_home(s, busy, now=NOW), now=NOW)),
            query(HOME_FLOOR, person=busy),
        ),
    }
    timings = {name: timed_against(subject, floor, runs) for name, (subject, floor) in benchmarks.items()}
    engine.dispose()
    return Result(scale, committers, questions, loaded, reused, timings)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}" if seconds < 0.1 else f"{seconds * 1000:.0f}"


def _ratio(pair: tuple[float, float]) -> str:
    return f"{pair[0] / pair[1]:.1f}x"


def report(results: dict[str, list[Result]], runs: int) -> str:
    """Return the section body: the largest scale's table, then how each benchmark grows."""
    largest = {label: rows[-1] for label, rows in results.items() if rows}
    top = next(iter(largest.values()))
    lines = [
        f"At {top.scale}x: {top.committers:,} committers ({2 * top.committers:,} agreements, one provider "
        f"organisation whose entity agreement, ending in 24 days, covers them all), {top.questions:,} questions "
        f"over a year, {top.questions // 100:,} escalations and {top.questions // 100:,} production notices. "
        f"Median of {runs} runs after a warm-up, in milliseconds; each run alternates with its floor so both "
        "see the same load. Floors, one hand-written query each: the digest's is one aggregate pass over the "
        "question table (asked, answered, open); the expiry scan's reads the agreements ending within 30 days; "
        "the walk's reads every committer those agreements cover (the job messages each of them); App Home's "
        "reads the champion's open queue.",
        "",
        "| database | load | benchmark | ms | floor ms | / floor |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for label, r in largest.items():
        load = f"{r.load:.0f} s"
        for name, pair in r.timings.items():
            lines.append(f"| {label} | {load} | {name} | {_ms(pair[0])} | {_ms(pair[1])} | {_ratio(pair)} |")
            load = ""
    scales = [r.scale for r in max(results.values(), key=len)]
    lines += [
        "",
        "Growth: milliseconds at each scale (the data grows tenfold per step; 1x is 100 committers and "
        "10,000 questions), the factor per step (x10 is as fast as the data) and the ratio to the floor "
        "at each scale.",
        "",
        "| database | benchmark | "
        + " | ".join(f"{s}x ms" for s in scales)
        + " | growth per step | / floor |",
        "|---|---|" + "---:|" * len(scales) + "---|---|",
    ]
    for label, rows in results.items():
        for name in rows[0].timings:
            pairs = [r.timings[name] for r in rows]
            for what, times, ratios in (
                (name, [p[0] for p in pairs], ", ".join(_ratio(p) for p in pairs)),
                ("floor", [p[1] for p in pairs], ""),
            ):
                cells = " | ".join(_ms(t) for t in times)
                lines.append(f"| {label} | {what} | {cells} | {growth(times)} | {ratios} |")
    return "\n".join(lines)


# -- the yearly cycle ------------------------------------------------------------------------------------

RENEWAL_STEPS = ("open", "remind", "settle")
RENEWAL_NAMES = {"open": "open a round", "remind": "reminder pass", "settle": "settle the deadline"}
RENEWAL_GENERATOR = 1
ZONES = ("Europe/Paris", "America/New_York", "Asia/Kolkata", None)
STEP_WORKER = Path(__file__).resolve().parent / "renewal_step.py"

# The floors: what each step must write, with every text built beforehand, one statement per table.
OPEN_FLOOR_MEMBERS = """
INSERT INTO renewal_member (renewal_id, person_id, organization_id, contact_id, invited_at, deadline, answer,
                            extensions)
SELECT :renewal, p.id, NULL, p.id, :now, :deadline, 'pending', 0 FROM person p
JOIN person_role r ON r.person_id = p.id AND r.role = 'committer'
WHERE p.removed_on IS NULL AND p.status = 'active'
"""
REMIND_FLOOR_READ = """
SELECT m.id, p.id, p.slack_user_id, p.timezone FROM renewal_member m JOIN person p ON p.id = m.contact_id
WHERE m.answer = 'pending' AND m.settled_at IS NULL AND p.slack_user_id IS NOT NULL
"""
SETTLE_FLOOR_MEMBERS = """
UPDATE renewal_member SET settled_at = :now, outcome = CASE answer
  WHEN 'recommitted' THEN 'recommitted' WHEN 'stepped_down' THEN 'alumni' ELSE 'listed' END
WHERE settled_at IS NULL AND deadline <= :now
"""
SETTLE_FLOOR_PEOPLE = """
UPDATE person SET status = 'alumni', removed_on = :today WHERE id IN (
  SELECT person_id FROM renewal_member WHERE answer = 'stepped_down' AND person_id IS NOT NULL)
"""
SETTLE_FLOOR_READ = """
SELECT p.id, p.slack_user_id FROM renewal_member m JOIN person p ON p.id = m.person_id
WHERE m.answer = 'stepped_down'
"""


def load_roster(engine: Engine, *, committers: int) -> None:
    """Fill a roster for the yearly cycle: committers in provider organisations and on their own, admins."""
    organizations = max(2, committers // 50)
    with engine.begin() as db:
        db.execute(
            insert(Organization),
            [
                {
                    "id": j + 1,
                    "name": f"Provider {j}",
                    "is_provider": True,
                    # Every tenth has no contact on the roster (the admins are told to follow it up).
                    "contact_email": None if j % 10 == 9 else f"cc{j}@example.org",
                }
                for j in range(organizations)
            ],
        )
        people = [
            {
                "id": i + 1,
                "github": f"cc{i}",
                "github_key": f"cc{i}",
                "name": f"CC {i}",
                "email": f"cc{i}@example.org",
                "slack_user_id": None if i % 100 == 99 else f"U{i:09d}",
                "timezone": ZONES[i % len(ZONES)],
                "status": "active",
                # Four in five work for a provider; the first ones are the providers' contacts.
                "organization_id": i % organizations + 1 if i % 5 else None,
            }
            for i in range(committers)
        ]
        people += [
            {
                "id": committers + k + 1,
                "github": f"admin{k}",
                "github_key": f"admin{k}",
                "name": f"Admin {k}",
                "email": None,
                "slack_user_id": f"A{k:09d}",
                "timezone": None,
                "organization_id": None,
                "status": "active",
            }
            for k in range(3)
        ]
        for batch in chunks(iter(people)):
            db.execute(insert(Person), batch)
        roles = [{"person_id": i + 1, "role": "committer"} for i in range(committers)]
        roles += [{"person_id": committers + k + 1, "role": "admin"} for k in range(3)]
        for batch in chunks(iter(roles)):
            db.execute(insert(PersonRole), batch)
        db.execute(
            insert(Agreement),
            [
                {
                    "kind": "entity",
                    "organization_id": j + 1,
                    "signed_on": dt.date(2026, 1, 1),
                    "expires_on": dt.date(2027, 6, 30),
                }
                for j in range(organizations)
            ],
        )
        preferences = [
            {
                "person_id": i + 1,
                "paused_until": dt.date(2026, 12, 20) if i % 100 == 7 else None,
                "hours_start": dt.time(10) if i % 100 == 8 else None,
                "hours_end": dt.time(16) if i % 100 == 8 else None,
                "updated_at": NOW,
            }
            for i in range(committers)
            if i % 100 in (7, 8)
        ]
        if preferences:
            db.execute(insert(ReminderPreference), preferences)


def answer_some(engine: Engine, *, recommitted: int, stepped_down: int) -> None:
    """Record answers for some members of the open rounds: `recommitted` and `stepped_down` of every ten."""
    from storage.models import RenewalAnswer, RenewalMember

    answered = RenewalMember.__table__.c  # type: ignore[attr-defined]
    with engine.begin() as db:
        for answer, low, high in (
            (RenewalAnswer.RECOMMITTED, 0, recommitted),
            (RenewalAnswer.STEPPED_DOWN, recommitted, recommitted + stepped_down),
        ):
            db.execute(
                RenewalMember.__table__.update()  # type: ignore[attr-defined]
                .where((answered.id % 10) >= low, (answered.id % 10) < high)
                .values(answer=answer, answered_at=NOW, answered_by_id=answered.contact_id)
            )


class Templates:
    """A database per starting state of a step, and one to work in, restored from them before each run."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.states = {
            step: Database(database.label, _suffixed(database.url, step), database.admin)
            for step in RENEWAL_STEPS
        }

    def build(self, committers: int) -> None:
        """Create the three starting states: the roster; a round open, some answered; more answered."""
        from bench.renewal_step import CLOSES_ON, OPEN_AT, YEAR
        from bot.services.renewals import open_renewal
        from bot.types.policy import Policy

        roster = self.states["open"]
        roster.create()
        opened = open_database(roster.url)
        upgrade(opened.engine)
        load_roster(opened.engine, committers=committers)
        _settle_files(opened.engine)
        opened.engine.dispose()
        for step, (recommitted, stepped_down) in (("remind", (3, 1)), ("settle", (6, 1))):
            self.restore(self.states[step], roster)
            opened = open_database(self.states[step].url)
            with opened.session_factory() as session:
                open_renewal(
                    session,
                    year=YEAR,
                    who="all",
                    closes_on=CLOSES_ON,
                    now=OPEN_AT,
                    actor="bench",
                    policy=Policy(),
                )
            answer_some(opened.engine, recommitted=recommitted, stepped_down=stepped_down)
            _settle_files(opened.engine)
            opened.engine.dispose()

    def restore(self, target: Database, source: Database) -> None:
        """Make `target` a copy of `source`."""
        if target.admin is None:
            target.drop()
            shutil.copyfile(source.name, target.name)
            return
        with target.admin.connect() as db:
            db.execute(text(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)'))
            db.execute(text(f'CREATE DATABASE "{target.name}" TEMPLATE "{source.name}"'))

    def drop(self) -> None:
        """Remove every database made for the cycle."""
        for state in self.states.values():
            state.drop()
        self.database.drop()


def _suffixed(url: str, suffix: str) -> str:
    parsed = make_url(url)
    name = str(parsed.database)
    if name.endswith(".db"):
        return str(parsed.set(database=f"{name[:-3]}-{suffix}.db"))
    return parsed.set(database=f"{name}_{suffix}").render_as_string(hide_password=False)


def _settle_files(engine: Engine) -> None:
    """Leave a SQLite database whole in its main file (copied next), PostgreSQL's statistics fresh."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
        if engine.dialect.name == "sqlite":
            db.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        else:
            db.execute(text("VACUUM ANALYZE"))


class StepWorker:
    """A process running the cycle's steps with one checkout's code (`code`: None for this one)."""

    def __init__(self, url: str, code: Path | None) -> None:
        env = dict(os.environ)
        if code is not None:
            env["PYTHONPATH"] = str(code)
        self.process = subprocess.Popen(
            [sys.executable, str(STEP_WORKER), url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=code or ROOT,
        )
        ready = self._read()
        expected = (code or ROOT) / "bot"
        if not ready.startswith("ready ") or Path(ready[6:]).parent != expected:
            raise RuntimeError(f"the step worker runs other code than {expected}: {ready}")

    def _read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the step worker stopped (exit {self.process.wait()})")
        return line.strip()

    def run(self, step: str) -> tuple[float, float]:
        """Run one step; return its wall-clock and CPU seconds."""
        assert self.process.stdin is not None
        self.process.stdin.write(step + "\n")
        self.process.stdin.flush()
        wall, cpu = self._read().split()
        return float(wall), float(cpu)

    def close(self) -> None:
        """Stop the process."""
        assert self.process.stdin is not None
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        self.process.wait()


def _floor(url: str, step: str) -> float:
    """Time the floor of one step on a fresh copy of its starting state."""
    from bench.renewal_step import OPEN_AT, REMIND_AT, SETTLE_AT

    engine = open_database(url).engine
    body = "x" * 1500
    started = time.perf_counter()
    with engine.begin() as db:
        if step == "open":
            db.execute(
                text(
                    "INSERT INTO renewal (year, audience, opened_at, closes_at, opened_by) "
                    "VALUES (2027, 'individuals', :now, :deadline, 'bench')"
                ),
                {"now": OPEN_AT, "deadline": SETTLE_AT},
            )
            renewal = db.execute(text("SELECT max(id) FROM renewal")).scalar_one()
            db.execute(text(OPEN_FLOOR_MEMBERS), {"renewal": renewal, "now": OPEN_AT, "deadline": SETTLE_AT})
            rows = db.execute(
                text(
                    "SELECT m.id, p.slack_user_id FROM renewal_member m JOIN person p ON p.id = m.contact_id "
                    "WHERE m.renewal_id = :r"
                ),
                {"r": renewal},
            ).all()
            now = OPEN_AT
        elif step == "remind":
            rows = db.execute(text(REMIND_FLOOR_READ)).all()
            now = REMIND_AT
        else:
            db.execute(text(SETTLE_FLOOR_MEMBERS), {"now": SETTLE_AT})
            db.execute(text(SETTLE_FLOOR_PEOPLE), {"today": SETTLE_AT.date()})
            rows = db.execute(text(SETTLE_FLOOR_READ)).all()
            now = SETTLE_AT
        messages = [
            {
                "key": f"floor-{step}:{row[0]}",
                "kind": "floor",
                "op": OutboxOp.POST,
                "channel": row[1] or "",
                "text": body[:100],
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": body}}],
                "created_at": now,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "version": 1,
                "in_thread": False,
            }
            for row in rows
        ]
        if messages:
            db.execute(insert(OutboxMessage), messages)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


@dataclass
class CycleResult:
    """One database at one scale: for each step, the median seconds now, of the floor and before; CPU now and before."""

    scale: int
    committers: int
    timings: dict[str, tuple[float, float, float | None, float, float | None]]


def measure_cycle(
    database: Database, *, scale: int, runs: int, before: Path | None, before_runs: int | None = None
) -> CycleResult:
    """Time opening a round, a reminder pass and settling the deadline, each from a fresh copy of its state."""
    committers = BASE_COMMITTERS * scale
    templates = Templates(database)
    templates.build(committers)
    workers = {"now": StepWorker(database.url, None)}
    if before is not None:
        workers["before"] = StepWorker(database.url, before)
    samples: dict[tuple[str, str], list[float]] = {}
    try:
        for run in range(runs):
            for step in RENEWAL_STEPS:
                for label, worker in workers.items():
                    if label == "before" and before_runs is not None and run >= before_runs:
                        continue
                    templates.restore(database, templates.states[step])
                    wall, cpu = worker.run(step)
                    samples.setdefault((step, label), []).append(wall)
                    samples.setdefault((step, label + " cpu"), []).append(cpu)
                templates.restore(database, templates.states[step])
                samples.setdefault((step, "floor"), []).append(_floor(database.url, step))
    finally:
        for worker in workers.values():
            worker.close()
        templates.drop()
    timings = {
        step: (
            median(samples[(step, "now")]),
            median(samples[(step, "floor")]),
            median(samples[(step, "before")]) if before is not None else None,
            median(samples[(step, "now cpu")]),
            median(samples[(step, "before cpu")]) if before is not None else None,
        )
        for step in RENEWAL_STEPS
    }
    return CycleResult(scale, committers, timings)


def report_cycle(results: dict[str, list[CycleResult]], runs: int, load: str) -> str:
    """Return the yearly cycle's section: each step at each scale, beside its floor and the code before."""
    scales = [r.scale for r in max(results.values(), key=len)]
    lines = [
        "Opening a round for everyone (`--who all`: each committer, and each provider organisation through "
        "its contact), a reminder pass past the midpoint and settling the deadline, at 1x, 10x and 100x "
        "(100, 1,000 and 10,000 committers; one provider organisation per 50 committers, four committers in "
        "five working for one; one in a hundred without Slack, two in a hundred with reminders paused or "
        "hours of their own; time zones in Europe, America and India). The reminder pass starts with 30% "
        "recommitted and 10% stepped down, settling with 60% and 10% (so 30% are listed for the admins and "
        "10% become alumni, or their organisation's agreement ends). Each run starts from a fresh copy of "
        "the step's starting state; the step runs in a warm process (imports done, the engine's statement "
        f"cache kept across runs). Median of {runs} runs, milliseconds. Floors: what the step must write, "
        "every text built beforehand, one statement per table (the members inserted or updated by one "
        "statement, the outbox rows by one `executemany`). Load average during the run: " + load + ".",
        "",
        "| database | step | "
        + " | ".join(f"{s}x ms" for s in scales)
        + " | growth per step | / floor | CPU ms | before ms | before CPU ms |",
        "|---|---|" + "---:|" * len(scales) + "---|---|---|---|---|",
    ]
    for label, rows in results.items():
        for step in RENEWAL_STEPS:
            now = [r.timings[step][0] for r in rows]
            floors = [r.timings[step][1] for r in rows]
            ratios = ", ".join(f"{n / f:.1f}x" for n, f in zip(now, floors, strict=True))

            def listed(index: int, step: str = step, rows: list[CycleResult] = rows) -> str:
                values = [r.timings[step][index] for r in rows]
                return ", ".join(_ms(v) for v in values if v is not None) or "-"

            cells = " | ".join(_ms(t) for t in now)
            lines.append(
                f"| {label} | {RENEWAL_NAMES[step]} | {cells} | {growth(now)} | {ratios} | {listed(3)} | "
                f"{listed(2)} | {listed(4)} |"
            )
            cells = " | ".join(_ms(t) for t in floors)
            lines.append(f"| {label} | floor | {cells} | {growth(floors)} |  |  |  |  |")
    return "\n".join(lines)


def cycle(args: argparse.Namespace, scales: list[int]) -> None:
    """Run the yearly cycle's steps on SQLite and (when configured) PostgreSQL at each scale; write the table."""
    loads = [os.getloadavg()[0]]
    before_scales = {int(s) for s in args.before_scales.split(",")} if args.before_scales else set(scales)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        admin = None
        if args.postgres:
            admin = open_database(args.postgres).engine.execution_options(isolation_level="AUTOCOMMIT")
        results: dict[str, list[CycleResult]] = {}
        try:
            for scale in scales:
                targets = (
                    []
                    if args.no_sqlite
                    else [Database("SQLite", f"sqlite:///{data_dir / f'cycle-x{scale}.db'}")]
                )
                if admin is not None:
                    base = normalise_url(args.postgres).rsplit("/", 1)[0]
                    targets.append(Database("PostgreSQL", f"{base}/ccbot_bench_cycle_x{scale}", admin))
                for database in targets:
                    r = measure_cycle(
                        database,
                        scale=scale,
                        runs=args.runs,
                        before=args.before if scale in before_scales else None,
                        before_runs=args.before_runs,
                    )
                    loads.append(os.getloadavg()[0])
                    results.setdefault(database.label, []).append(r)
                    timings = ", ".join(
                        f"{RENEWAL_NAMES[n]} {_ms(t[0])} ms (CPU {_ms(t[3])}, floor {_ms(t[1])}"
                        + (f", before {_ms(t[2])})" if t[2] is not None else ")")
                        for n, t in r.timings.items()
                    )
                    print(f"{database.label} {scale}x: {timings}", flush=True)
        finally:
            if admin is not None:
                admin.dispose()
    load = f"{min(loads):.1f} to {max(loads):.1f}"
    body = report_cycle(results, args.runs, load)
    command = f"python -m bench.scale --cycle --scales {','.join(map(str, scales))} --runs {args.runs}"
    if args.before is not None:
        command += " --before CHECKOUT" + (f" --before-runs {args.before_runs}" if args.before_runs else "")
        command += f" --before-scales {args.before_scales}" if args.before_scales else ""
    if not args.no_write:
        write_section("Yearly cycle at scale", command, body)
    print(body)


def main() -> None:
    """Run on SQLite and (when configured) PostgreSQL at each scale; write the tables."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scales", default="1,10,100", help="multiples of 100 committers and 10,000 questions"
    )
    parser.add_argument(
        "--runs", type=int, default=7, help="timed runs of each benchmark (the median is shown)"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("CCBOT_TEST_POSTGRES_URL"),
        help="a PostgreSQL server to create the benchmark databases on (default: CCBOT_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--keep", action="store_true", help="keep the generated databases for the next run")
    parser.add_argument(
        "--data-dir", type=Path, help="where SQLite files are kept (default: a temporary directory)"
    )
    parser.add_argument("--no-write", action="store_true", help="print, do not update docs/PERFORMANCE.md")
    parser.add_argument(
        "--cycle",
        action="store_true",
        help="the yearly cycle instead (open a round, a reminder pass, settle the deadline), on its own data",
    )
    parser.add_argument(
        "--before-runs", type=int, help="with --before: runs of the other code (default: --runs)"
    )
    parser.add_argument(
        "--before-scales", help="with --before: the scales to run the other code at (default: every scale)"
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="with --cycle: a checkout of other code (e.g. `git worktree add` of main) to time alongside",
    )
    args = parser.parse_args()
    try:
        scales = sorted({int(s) for s in args.scales.split(",")})
    except ValueError:
        parser.error(f"--scales: expected numbers separated by commas, got {args.scales!r}")
    if any(scale < 1 for scale in scales):
        parser.error(f"--scales: each scale is a multiple of at least 1, got {args.scales!r}")
    if args.no_sqlite and not args.postgres:
        parser.error("--no-sqlite needs --postgres (or CCBOT_TEST_POSTGRES_URL)")
    if args.cycle:
        cycle(args, scales)
        return
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or (
            Path(tempfile.gettempdir()) / "ccbot-bench-scale" if args.keep else Path(tmp)
        )
        data_dir.mkdir(parents=True, exist_ok=True)
        admin = None
        if args.postgres:
            admin = open_database(args.postgres).engine.execution_options(isolation_level="AUTOCOMMIT")
        results: dict[str, list[Result]] = {}
        databases: list[Database] = []
        try:
            for scale in scales:
                targets = (
                    []
                    if args.no_sqlite
                    else [Database("SQLite", f"sqlite:///{data_dir / f'scale-x{scale}.db'}")]
                )
                if admin is not None:
                    base = normalise_url(args.postgres).rsplit("/", 1)[0]
                    targets.append(Database("PostgreSQL", f"{base}/ccbot_bench_scale_x{scale}", admin))
                for database in targets:
                    databases.append(database)
                    r = measure(database, scale=scale, runs=args.runs)
                    results.setdefault(database.label, []).append(r)
                    timings = ", ".join(f"{n} {_ms(t[0])} ms ({_ratio(t)})" for n, t in r.timings.items())
                    kept = " (kept data)" if r.reused else ""
                    print(f"{database.label} {scale}x{kept}: {timings}", flush=True)
        finally:
            if not args.keep:
                for database in databases:
                    database.drop()
            if admin is not None:
                admin.dispose()
    body = report(results, args.runs)
    if not args.no_write:
        write_section("Scale", f"python -m bench.scale --scales {','.join(map(str, scales))}", body)
    print(body)


if __name__ == "__main__":
    main()
