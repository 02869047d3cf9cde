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
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bench.common import growth, timed_against, write_section
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
    Person,
    PersonRole,
    Question,
    QuestionResponder,
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
    args = parser.parse_args()
    try:
        scales = sorted({int(s) for s in args.scales.split(",")})
    except ValueError:
        parser.error(f"--scales: expected numbers separated by commas, got {args.scales!r}")
    if any(scale < 1 for scale in scales):
        parser.error(f"--scales: each scale is a multiple of at least 1, got {args.scales!r}")
    if args.no_sqlite and not args.postgres:
        parser.error("--no-sqlite needs --postgres (or CCBOT_TEST_POSTGRES_URL)")
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
