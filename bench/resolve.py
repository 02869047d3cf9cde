"""A first import of 5,000 people with Slack configured, and the background resolution of their Slack ids and time
zones, against the Slack stand-in.

The import is timed twice per round, into fresh databases: as it is now (no Slack call: it asks for a resolution),
and as it was (the same import, then one users.info or users.lookupByEmail per person, replayed against a stand-in
that answers at once). The resolution is timed against a stand-in that keeps Slack's rate limits (Tier 2
users.list: 20 a minute, 429 with Retry-After beyond) on a faster clock (`--time-scale` Slack seconds per real
second): the client waits out each 429 through slack_sdk's RateLimitErrorRetryHandler, its sleeps scaled the same
way. The floor is ceil(people / 200) users.list pages at 20 a minute. Median of the rounds.

Run: python -m bench.resolve [--people 5000] [--rounds 3] [--time-scale 10] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import inspect
import math
import random
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlmodel import col, select

from bench.common import median, write_section
from bot.assembly import open_database, slack_client
from bot.services.directory import resolve_slack
from bot.services.roster import import_roster, read_roster
from bot.settings import load_settings
from bot.slack import SlackDirectory
from bot.slack_standin import SlackStandIn, floor_seconds
from bot.types.directory import PAGE_SIZE, USERS_LIST_PER_MINUTE
from storage.db import upgrade
from storage.models import Person

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
ZONES = ["Europe/Paris", "Asia/Karachi", "America/Vancouver", "Africa/Lagos"]


class ScaledRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (Retry-After plus up to a second of jitter), its sleep on the stand-in's clock."""

    def __init__(self, time_scale: float, max_retry_count: int = 5) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.time_scale = time_scale

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Sleep Retry-After (Slack seconds) plus jitter, divided by the time scale."""
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        header = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        duration = (int(header[0]) if header else 1) + random.random()
        time.sleep(duration / self.time_scale)
        state.increment_current_attempt()


def roster_file(folder: Path, people: int, *, with_ids: bool) -> tuple[Path, list[tuple[str, str]]]:
    """Write a roster of `people` people without time zones (and without Slack ids unless `with_ids`); return it
    with the (Slack id, e-mail) of each."""
    roster_text = importlib.import_module("bench.import").roster_text
    text = re.sub(r"\n    timezone: [^\n]*", "", roster_text(people))
    members = [(slack, email) for email, slack in re.findall(r"email: (\S+)\n    slack: (U\w+)", text)]
    if not with_ids:
        text = re.sub(r"\n    slack: [^\n]*", "", text)
    path = folder / "roster.yaml"
    path.write_text(text)
    return path, members


def fresh_database(folder: Path, name: str) -> str:
    url = f"sqlite:///{folder / name}"
    with open_database(url) as database:
        upgrade(database.engine)
    return url


def stand_in(members: list[tuple[str, str]], *, time_scale: float | None) -> SlackStandIn:
    """A stand-in with these members; keeping Slack's rate limits on a `time_scale` clock unless None."""
    limits: dict[str, Any] = {}
    if time_scale is not None:
        if "rate_limits" not in inspect.signature(SlackStandIn).parameters:
            raise SystemExit("this stand-in keeps no rate limits: bench.resolve needs its tier enforcement")
        limits = {"rate_limits": True, "time_scale": time_scale}
    slack = SlackStandIn(**limits).start()
    for n, (user_id, email) in enumerate(members):
        slack.add_user(
            user_id, email=email.upper() if n % 2 else email, tz=ZONES[n % len(ZONES)], name=f"M {n}"
        )
    return slack


def client(slack: SlackStandIn, *, time_scale: float | None) -> WebClient:
    """The bot's client (bot.assembly), its 429 handler's sleep on the stand-in's clock."""
    built = slack_client(load_settings(SLACK_BOT_TOKEN="xoxb-bench", SLACK_API_URL=slack.url))
    others = [h for h in built.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)]
    built.retry_handlers = [ScaledRateLimitRetryHandler(time_scale), *others] if time_scale else others
    return built


def import_now(url: str, path: Path) -> tuple[float, float, int]:
    """Import as `ccbot roster import` does now: (seconds, CPU seconds, people the background will resolve)."""
    with open_database(url) as database, database.session() as session:
        started, cpu = time.perf_counter(), time.process_time()
        report = import_roster(session, read_roster(path, as_of=NOW.date()), now=NOW, actor="bench")
        return time.perf_counter() - started, time.process_time() - cpu, report.resolving


def import_before(url: str, path: Path, directory: SlackDirectory) -> float:
    """The import as it was: the same import, then Slack asked about each person in turn, inside it."""
    with open_database(url) as database, database.session() as session:
        started = time.perf_counter()
        import_roster(session, read_roster(path, as_of=NOW.date()), now=NOW, actor="bench")
        for person in session.exec(select(Person)).all():
            if person.slack_user_id and person.timezone:
                continue
            if person.slack_user_id:
                profile = directory.user_info(person.slack_user_id)
            else:
                profile = directory.lookup_by_email(person.email or "")
            if profile is not None:
                person.slack_user_id = person.slack_user_id or profile.user_id
                person.timezone = person.timezone or profile.timezone
        session.commit()
        return time.perf_counter() - started


def resolve(url: str, slack: SlackStandIn, time_scale: float) -> tuple[float, int, int, int]:
    """Run the resolution to its end: (Slack seconds, users.list calls, 429s, people still without a time zone)."""
    directory = SlackDirectory(client(slack, time_scale=time_scale))
    with open_database(url) as database, database.session() as session:
        started = time.perf_counter()
        report = resolve_slack(session, directory, now=NOW)
        elapsed = (time.perf_counter() - started) * time_scale
        assert report.finished, report
        missing = len(session.exec(select(Person.id).where(col(Person.timezone).is_(None))).all())
    limited = slack.rate_limited("users.list") if hasattr(slack, "rate_limited") else 0
    return elapsed, len([c for c in slack.calls("users.list")]) - limited, limited, missing


def one_round(people: int, *, with_ids: bool, time_scale: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path, members = roster_file(folder, people, with_ids=with_ids)
        quick = stand_in(members, time_scale=None)
        try:
            before = import_before(
                fresh_database(folder, "before.db"), path, SlackDirectory(client(quick, time_scale=None))
            )
            before_calls = len(quick.calls())
        finally:
            quick.stop()
        limited = stand_in(members, time_scale=time_scale)
        try:
            url = fresh_database(folder, "now.db")
            now, now_cpu, resolving = import_now(url, path)
            import_calls = len(limited.calls())
            seconds, pages, refused, missing = resolve(url, limited, time_scale)
        finally:
            limited.stop()
    return {
        "before": before,
        "before_calls": before_calls,
        "now": now,
        "now_cpu": now_cpu,
        "import_calls": import_calls,
        "resolving": resolving,
        "resolve": seconds,
        "pages": pages,
        "refused": refused,
        "missing": missing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--time-scale", type=float, default=10.0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    pages = math.ceil(args.people / PAGE_SIZE)
    floor = pages / USERS_LIST_PER_MINUTE * 60
    # The stand-in starts with a full burst (3 calls at once at Tier 2): the least its limits allow.
    burst_floor = floor_seconds({"users.list": pages})
    lines = [
        "| roster | round | import before s (Slack calls) | import now s, CPU s (Slack calls) | resolution s at Slack's "
        "limits | users.list pages (429s) | floor s | / floor | / floor with the burst |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    summary = []
    for with_ids in (True, False):
        label = "Slack ids, no time zones" if with_ids else "e-mails only"
        rounds = []
        for n in range(args.rounds):
            r = one_round(args.people, with_ids=with_ids, time_scale=args.time_scale)
            rounds.append(r)
            assert r["import_calls"] == 0, r
            assert r["missing"] == 0, r
            lines.append(
                f"| {label} | {n + 1} | {r['before']:.2f} ({r['before_calls']:.0f}) | {r['now']:.2f}, {r['now_cpu']:.2f} (0) | "
                f"{r['resolve']:.1f} | {r['pages']:.0f} ({r['refused']:.0f}) | {floor:.0f} | "
                f"{r['resolve'] / floor:.2f}x | {r['resolve'] / burst_floor:.2f}x |"
            )
            print(lines[-1], flush=True)
        before, now, cpu, seconds = (
            median([r[k] for r in rounds]) for k in ("before", "now", "now_cpu", "resolve")
        )
        summary.append(
            f"- {args.people:,} people, {label}: import {now:.2f} s, {cpu:.2f} s CPU (was {before:.2f} s with Slack asked about "
            f"each person), resolution {seconds:.1f} Slack seconds, {seconds / floor:.2f}x the floor of "
            f"{floor:.0f} s ({seconds / burst_floor:.2f}x the {burst_floor:.0f} s the stand-in's burst allows; "
            f"median of {args.rounds})"
        )
        print(summary[-1], flush=True)
    body = (
        f"A generated ccbot roster of {args.people:,} people (bench.import's, without time zones), imported into "
        "SQLite with Slack configured; the stand-in's workspace has the same people, with time zones. "
        f'"Before" replays the import as it was (one Slack call per person inside the import, against a '
        f'stand-in answering at once); "now" is the import, which asks Slack nothing, then the background '
        f"resolution against the stand-in keeping Slack's limits at {args.time_scale:g} Slack seconds per real "
        f"second, timed in Slack seconds. Floor: ceil({args.people:,} / {PAGE_SIZE}) pages of users.list at "
        f"{USERS_LIST_PER_MINUTE} a minute (the stand-in also allows a first burst of 3, so {burst_floor:.0f} s is the "
        "least it can take). Goals: the import under 2 s; the resolution within 1.2x the floor.\n\n"
        + "\n".join(lines)
        + "\n\n"
        + "\n".join(summary)
    )
    print(body)
    if not args.no_write:
        write_section(
            "Slack resolution",
            f"python -m bench.resolve --people {args.people} --rounds {args.rounds} --time-scale {args.time_scale:g}",
            body,
        )


if __name__ == "__main__":
    main()
