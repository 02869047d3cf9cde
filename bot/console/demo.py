"""The demo of `ccbot console --demo`: the example roster with its dates moved to the day the demo starts,
synced owners, an answered question and an open one."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bot.runtime import Runtime
from bot.services.owners import sync_owners
from bot.services.questions import ask_question, get_card, record_reply, validate_question
from bot.services.roster import find_person
from bot.services.roster.formats.document import RosterDocument
from bot.slack_standin import SlackStandIn

# examples/pilot-roster.yaml is written as seen on this day: entity agreements end 34 days later, individual
# ones 65 days later. The demo moves every date of the file by as many days as today is after it, so the tour
# reads the same whatever the day (the file itself stays a plain roster, imported as written).
ROSTER_WRITTEN_FOR = dt.date(2026, 11, 27)

SAMPLES = [
    # (asker, PR, question, hours ago, who answers and how many hours later)
    (
        "bradenmacdonald",
        "https://github.com/openedx/XBlock/pull/712",
        "Is it fine to drop the deprecated `runtime.handler_url` fallback in this PR, or do we wait a release?",
        30,
        ("ormsbee", 2),
    ),
    (
        "pdpinch",
        "https://github.com/openedx/edx-platform/pull/35120",
        "The grades migration here touches a big table. Who should review the rollout plan?",
        6,
        None,
    ),
]


def as_of_today(doc: RosterDocument, today: dt.date) -> RosterDocument:
    """Return the example roster with every date in it moved by `today - ROSTER_WRITTEN_FOR` days."""
    shift = today - ROSTER_WRITTEN_FOR
    moved = _moved(doc, shift)
    assert isinstance(moved, RosterDocument)
    return moved


def _moved(value: Any, shift: dt.timedelta) -> Any:
    """Return `value` with every date (not datetime) in it, however deep in dataclasses and containers, moved."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value + shift
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _moved(getattr(value, f.name), shift) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, list):
        return [_moved(item, shift) for item in value]
    if isinstance(value, tuple):
        return tuple(_moved(item, shift) for item in value)
    if isinstance(value, dict):
        return {_moved(key, shift): _moved(item, shift) for key, item in value.items()}
    return value


def seed_demo_activity(
    session: Session,
    runtime: Runtime,
    *,
    slack: SlackStandIn,
    examples: Path,
    now: dt.datetime,
) -> None:
    """Sync the sample owners and post the sample questions through the real services, views and outbox."""
    owners = examples / "owners"
    if owners.is_dir():
        sync_owners(session, owners, now=now, actor="console:demo")
    for handle, url, text, hours_ago, answer in SAMPLES:
        person = find_person(session, handle)
        if person is None:
            continue
        asked = now - dt.timedelta(hours=hours_ago)
        draft = validate_question(pr_url=url, text=text, urgency="normal")
        decided = ask_question(session, person, draft, now=asked, channels=runtime.channels)
        runtime.deliver(session, decided.keys, now=asked)
        card = get_card(session, decided.card.id)
        responder = find_person(session, answer[0]) if answer else None
        if answer is None or responder is None or not responder.slack_user_id or card.posting is None:
            continue
        replied = asked + dt.timedelta(hours=answer[1])
        ts = f"{replied.timestamp():.0f}.000001"
        with slack.lock:
            slack.state.messages.append(
                {
                    "channel": card.posting.channel,
                    "ts": ts,
                    "thread_ts": card.posting.ts,
                    "user": responder.slack_user_id,
                    "text": "Drop it: the fallback has been deprecated for two releases. Mention it in the changelog.",
                    "blocks": [],
                }
            )
        replied_to = record_reply(
            session,
            channel=card.posting.channel,
            thread_ts=card.posting.ts,
            ts=ts,
            slack_user_id=responder.slack_user_id,
            now=replied,
        )
        if replied_to is not None:
            runtime.deliver(session, replied_to.keys, now=replied)


def seed(path: Path, *, now: dt.datetime | None = None) -> str:
    """Import the example roster at `path`, its dates moved to today, into CCBOT_DATABASE_URL; return the summary.

    compose's `try` profile seeds its database this way, so its demo reads the same on any day, as the console's.
    """
    from bot.assembly import open_database
    from bot.services.roster import import_roster, read_roster
    from bot.settings import load_settings

    now = now or dt.datetime.now(dt.UTC)
    with open_database(load_settings().database_url, ready=True) as database, database.session() as session:
        doc = as_of_today(read_roster(path, as_of=now.date()), now.date())
        return import_roster(session, doc, now=now, actor="demo seed").summary


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.console.demo [ROSTER]`: seed a demo database with the example roster as of today."""
    import sys

    import typer

    from bot.cli.base import friendly_errors

    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else Path("examples/pilot-roster.yaml")
    try:
        print(friendly_errors(seed)(path))
    except typer.Exit as stop:
        return stop.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
