"""Sample activity for `ccbot console --demo`: synced owners, an answered question and an open one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from slack_sdk import WebClient
from sqlmodel import Session

from bot.publish import post_question, refresh_question
from bot.services.owners import sync_owners
from bot.services.questions import ask_question, record_reply, validate_question
from bot.services.roster import find_person
from bot.settings import Settings
from bot.slack_standin import SlackStandIn

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


def seed_demo_activity(
    session: Session,
    client: WebClient,
    settings: Settings,
    *,
    slack: SlackStandIn,
    examples: Path,
    now: dt.datetime,
) -> None:
    """Sync the sample owners and post the sample questions through the real services and views."""
    owners = examples / "owners"
    if owners.is_dir():
        sync_owners(session, owners, now=now, actor="console:demo")
    for handle, url, text, hours_ago, answer in SAMPLES:
        person = find_person(session, handle)
        if person is None:
            continue
        asked = now - dt.timedelta(hours=hours_ago)
        draft = validate_question(pr_url=url, text=text, urgency="normal")
        card = post_question(
            client, session, ask_question(session, person, draft, now=asked), settings=settings, now=asked
        )
        responder = find_person(session, answer[0]) if answer else None
        if answer is None or responder is None or not responder.slack_user_id or not card.question.thread_ts:
            continue
        replied = asked + dt.timedelta(hours=answer[1])
        ts = f"{replied.timestamp():.0f}.000001"
        with slack.lock:
            slack.state.messages.append(
                {
                    "channel": card.question.channel,
                    "ts": ts,
                    "thread_ts": card.question.thread_ts,
                    "user": responder.slack_user_id,
                    "text": "Drop it: the fallback has been deprecated for two releases. Mention it in the changelog.",
                    "blocks": [],
                }
            )
        outcome = record_reply(
            session,
            channel=card.question.channel or "",
            thread_ts=card.question.thread_ts,
            ts=ts,
            slack_user_id=responder.slack_user_id,
            now=replied,
        )
        if outcome is not None:
            refresh_question(client, outcome.card)
