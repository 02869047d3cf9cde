"""Digest, expiry scan and a busy champion's App Home on 10,000 committers and 1,000,000 questions.

Run: python -m bench.scale [--questions 1000000] [--postgres URL]   (PostgreSQL also from CCBOT_TEST_POSTGRES_URL)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text
from sqlmodel import Session

from bench.common import median, write_section
from bot.services.digest import build_digest
from bot.services.home import build_home
from bot.services.reminders import list_expiry_notices
from bot.views.home import home_blocks
from storage.db import make_engine, make_session_factory, normalise_url, upgrade
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
FLOOR_SQL = """
SELECT
  SUM(CASE WHEN asked_at >= :start AND asked_at < :end THEN 1 ELSE 0 END),
  SUM(CASE WHEN answered_at >= :start AND answered_at < :end THEN 1 ELSE 0 END),
  SUM(CASE WHEN state IN ('open', 'claimed') THEN 1 ELSE 0 END)
FROM question
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
    champions = 200
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


def timed(fn: Callable[[], object], runs: int = 5) -> float:
    """Return the median seconds of `runs` calls after one warm-up."""
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return median(samples)


def measure(url: str, *, committers: int, questions: int) -> dict[str, float]:
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    busy = load(engine, committers=committers, questions=questions)
    loaded = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        with engine.connect() as db:
            db.execute(text("ANALYZE"))
    factory = make_session_factory(engine)

    def with_session(fn: Callable[[Session], object]) -> Callable[[], object]:
        def run() -> object:
            with factory() as session:
                return fn(session)

        return run

    results = {
        "load": loaded,
        "digest": timed(with_session(lambda s: build_digest(s, now=NOW))),
        "floor": timed(
            with_session(
                lambda s: s.execute(text(FLOOR_SQL), {"start": NOW - dt.timedelta(days=7), "end": NOW}).all()
            )
        ),
        "expiry": timed(
            with_session(
                lambda s: list_expiry_notices(
                    s, today=NOW.date(), thresholds=(30, 14, 7, 1), champion_thresholds={7, 1}
                )
            )
        ),
        "home": timed(with_session(lambda s: home_blocks(build_home(s, busy, now=NOW), now=NOW))),
    }
    engine.dispose()
    return results


def main() -> None:
    """Run on SQLite and (when configured) PostgreSQL; write the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=1_000_000)
    parser.add_argument("--committers", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("CCBOT_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'scale.db'}")]
        admin = None
        if args.postgres:
            admin = create_engine(normalise_url(args.postgres), isolation_level="AUTOCOMMIT")
            name = f"ccbot_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as db:
                db.execute(text(f'CREATE DATABASE "{name}"'))
            targets.append(("PostgreSQL", normalise_url(args.postgres).rsplit("/", 1)[0] + f"/{name}"))
        try:
            for label, url in targets:
                r = measure(url, committers=args.committers, questions=args.questions)
                rows.append(
                    f"| {label} | {r['load']:.0f} s | {r['digest'] * 1000:.0f} | {r['floor'] * 1000:.0f} | "
                    f"{r['digest'] / r['floor']:.1f}x | {r['expiry'] * 1000:.0f} | {r['home'] * 1000:.0f} |"
                )
                print(rows[-1], flush=True)
        finally:
            if admin is not None:
                with admin.connect() as db:
                    db.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    body = (
        f"{args.committers:,} committers (20,000 agreements), {args.questions:,} questions over a year, "
        f"{args.questions // 100:,} escalations and {args.questions // 100:,} production notices. Median of five "
        "runs after a warm-up, in milliseconds. The floor is one hand-written aggregate query over the question "
        "table (asked, answered, open). Targets: digest under 1 s and within 3x the floor; expiry scan under 0.3 s.\n\n"
        "| database | load | weekly digest ms | floor ms | digest / floor | expiry scan ms | busy champion's App Home ms |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n" + "\n".join(rows)
    )
    write_section("Scale", "python -m bench.scale", body)
    print(body)


if __name__ == "__main__":
    main()
