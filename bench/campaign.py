"""A 10,000-DM campaign under Slack's rate limits, with a `/cc-ask` question in the middle of it.

The Slack stand-in keeps Slack's limits (bot.types.outbox: chat.postMessage one a second per channel and a
workspace-wide rate), on a clock `--time-scale` times faster than Slack's. The outbox delivers the campaign
(renewal invitations, the bulk lane) as the delivery job does; a third of the way through, a question's thread
root is decided and delivered as the `/cc-ask` handler does. Three runs, each on a fresh SQLite database:
the code before lanes and the shared budget (`--before`, a git revision, run from an exported copy of it), and
this code with one instance and with two instances (two processes sharing the database and the budget).

Run: python -m bench.campaign [--dms 10000] [--time-scale 10] [--before main]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, write_section
from bot.slack_standin import SlackStandIn, floor_seconds

# Runs in each instance's process, against whichever code its working directory holds (APIs both versions have).
WORKER = r"""
import datetime as dt, inspect, json, sys, threading, time
from pathlib import Path
from bot.assembly import build_bot
from bot.services.outbox import Outgoing, commit, enqueue, outbox_counts
from bot.settings import load_settings
from bot.types.keys import Kind
from storage.db import upgrade

cfg = json.loads(sys.argv[1])
settings = load_settings(
    SLACK_BOT_TOKEN="xoxb-bench", SLACK_API_URL=cfg["slack"], CCBOT_DATABASE_URL=cfg["db"]
)
kwargs = {}
if "budget" in inspect.signature(build_bot).parameters:
    from bot.services.outbox import Budget
    kwargs["budget"] = Budget(time_scale=cfg["scale"])
bot = build_bot(settings, **kwargs)
seeded = Path(cfg["seeded"])
if cfg["seed"]:
    upgrade(bot.runtime.engine)
    now = dt.datetime.now(dt.UTC)
    with bot.runtime.session_factory() as session:
        invites = [
            Outgoing(key=f"renewal-invite:{i}", kind=str(Kind.RENEWAL_INVITE), channel=f"U{i:08d}", text=f"invite {i}")
            for i in range(cfg["dms"])
        ]
        enqueue(session, invites, now=now)
        session.commit()
    seeded.write_text("ok")
while not seeded.exists():
    time.sleep(0.05)
go = Path(cfg["go"])
while not go.exists():
    time.sleep(0.01)
result = {"start": time.time(), "sent": 0, "ask": None}

def ask():
    time.sleep(cfg["ask_after"])
    question = Outgoing(key="question-root:bench", kind=str(Kind.QUESTION_ROOT), channel="C0COORD01", text="a question")
    with bot.runtime.session_factory() as session:
        started = time.time()
        keys = commit(session, [question], now=dt.datetime.now(dt.UTC))
        report = bot.runtime.deliver(session, keys)
        result["ask"] = time.time() - started
        result["ask_sent"] = report.sent

asker = threading.Thread(target=ask) if cfg["ask"] else None
if asker:
    asker.start()
deadline = result["start"] + cfg["max_seconds"]
while time.time() < deadline:
    with bot.runtime.session_factory() as session:
        report = bot.runtime.job_context(session).deliver()
        result["sent"] += report.sent
        counts = outbox_counts(session)
    if counts["pending"] == 0 and counts["sending"] == 0:
        break
    if not report.sent:
        time.sleep(0.05)
result["end"] = time.time()
if asker:
    asker.join()
print(json.dumps(result))
"""


def export(revision: str, folder: Path) -> Path:
    """Write the tree of `revision` into `folder` (the code the benchmark compares with)."""
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def fresh_postgres(admin_url: str, name: str) -> str:
    """Create an empty PostgreSQL database `name` on the server of `admin_url`; return its URL."""
    from sqlalchemy import text

    from bot.assembly import open_database
    from storage.db import normalise_url

    admin = open_database(admin_url).engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return normalise_url(admin_url).rsplit("/", 1)[0] + f"/{name}"


def run(
    code: Path, instances: int, args: argparse.Namespace, tmp: Path, max_seconds: float
) -> dict[str, Any]:
    """Run the campaign with `instances` processes of the code in `code`; return the timings and the 429s."""
    slack = SlackStandIn(rate_limits=True, time_scale=args.time_scale).start()
    slack.add_channel("C0COORD01", "coordination")
    folder = Path(tempfile.mkdtemp(dir=tmp))
    database = f"sqlite:///{folder / 'campaign.db'}"
    if args.postgres:
        database = fresh_postgres(args.postgres, f"ccbot_campaign_{folder.name[-8:].lower()}")
    base = {
        "slack": slack.url,
        "db": database,
        "scale": args.time_scale,
        "dms": args.dms,
        "seeded": str(folder / "seeded"),
        "go": str(folder / "go"),
        "ask_after": args.ask_after,
        "max_seconds": max_seconds,
    }
    env = {**os.environ, "PYTHONPATH": str(code)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, json.dumps({**base, "seed": i == 0, "ask": i == 0})],
            cwd=code,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        for i in range(instances)
    ]
    while not (folder / "seeded").exists():
        time.sleep(0.1)
    time.sleep(2)  # every instance up
    (folder / "go").write_text("go")
    results = [json.loads(p.communicate()[0].decode().strip().splitlines()[-1]) for p in processes]
    slack.stop()
    invites = [m for m in slack.messages() if m["text"].startswith("invite ")]
    start = min(r["start"] for r in results)
    return {
        "elapsed": max(r["end"] for r in results) - start,
        "delivered": len(invites),
        "distinct": len({m["text"] for m in invites}),
        "ask": results[0]["ask"],
        "ask_sent": results[0].get("ask_sent"),
        "limited": slack.rate_limited(),
        "posts": len(slack.calls("chat.postMessage")),
    }


def main() -> None:
    """Run the three versions and write the results."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--dms", type=int, default=10_000)
    parser.add_argument("--time-scale", type=float, default=10.0, help="Slack seconds per real second")
    parser.add_argument("--before", default="main", help="git revision of the code to compare with")
    parser.add_argument("--before-seconds", type=float, default=90.0, help="real seconds the old code gets")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL to create the databases on")
    parser.add_argument("--ask-after", type=float, default=None, help="real seconds into the campaign")
    args = parser.parse_args()
    dms = {("chat.postMessage", f"U{i:08d}"): 1 for i in range(args.dms)}
    floor = floor_seconds(dms) / args.time_scale  # real seconds
    args.ask_after = args.ask_after if args.ask_after is not None else min(floor / 3, 30.0)
    scale = args.time_scale
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "before").mkdir()
        before_code = export(args.before, tmp / "before")
        revision = subprocess.run(
            ["git", "rev-parse", "--short", args.before], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        for label, code, instances, limit in [
            (f"before ({revision}), one instance", before_code, 1, args.before_seconds),
            ("now, one instance", ROOT, 1, floor * 4),
            ("now, two instances", ROOT, 2, floor * 4),
        ]:
            result = run(code, instances, args, tmp, limit)
            rows.append((label, result))
            print(label, result, flush=True)
    table = [
        "| code | DMs delivered | campaign time (real s) | / floor | DMs per Slack minute | question posted after "
        "(Slack s) | 429s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, r in rows:
        done = r["delivered"] == args.dms
        rate = r["delivered"] / (r["elapsed"] * scale / 60)
        elapsed = (
            f"{r['elapsed']:.1f}" if done else f"stopped at {r['elapsed']:.0f} ({r['delivered']:,} sent)"
        )
        ratio = (
            f"{r['elapsed'] / floor:.2f}x"
            if done
            else f"~{args.dms / r['delivered'] * r['elapsed'] / floor:.1f}x projected"
        )
        ask = f"{r['ask'] * scale:.1f}" if r["ask"] is not None else "-"
        table.append(
            f"| {label} | {r['delivered']:,} | {elapsed} | {ratio} | {rate:.0f} | {ask} | {r['limited']} |"
        )
    body = (
        f"A campaign of {args.dms:,} DMs (renewal invitations: the bulk lane) through the outbox against the Slack "
        f"stand-in keeping Slack's rate limits, on a clock {scale:g} times Slack's (a Slack minute in "
        f"{60 / scale:g} real seconds; {'PostgreSQL' if args.postgres else 'SQLite'}). {args.ask_after:.0f} real seconds in, a `/cc-ask` question's thread root "
        "is decided and delivered as the handler does (commit, then deliver its key); its time is from the commit "
        "to the post, in Slack seconds. The floor is the least time the limits allow: one DM per channel, so the "
        f"workspace-wide chat.postMessage rate decides it: {floor * scale:.0f} Slack s, {floor:.1f} real s. "
        "The code before lanes and the shared budget gets "
        f"{args.before_seconds:.0f} real seconds; its time is projected from what it sent in them.\n\n"
        + "\n".join(table)
    )
    command = "python -m bench.campaign" + (" --postgres URL" if args.postgres else "")
    title = "Campaign under Slack's rate limits" + (", PostgreSQL" if args.postgres else "")
    write_section(title, command, body)
    print(body)


if __name__ == "__main__":
    main()
