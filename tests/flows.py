"""Shared flows for tests: asking and escalating through Slack or through the services, and a fake messenger."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from typing import Any

from sqlmodel import Session, select

from bot.ids import Input
from bot.services.escalations import get_escalation_card, open_escalation, validate_escalation
from bot.services.outbox import DeliveryFailed, DeliveryReport, Messenger, Posted, deliver_pending
from bot.services.questions import ask_question, get_card, validate_question
from bot.types.escalations import EscalationCard
from bot.types.policy import Channels
from bot.types.questions import QuestionCard
from storage.models import Person, Question
from storage.roster import get_person_by_github
from tests.conftest import RunningBot, wait_until
from tests.slack_requests import select_input, text_input, view_submission

COORDINATION, MANAGEMENT, DIGEST = "C0COORD01", "C0MGMT001", "C0DIGEST1"
CHANNELS = Channels(coordination=COORDINATION, management=MANAGEMENT, digest=DIGEST, admins=("U0ADMIN99",))
PR = "https://github.com/openedx/edx-platform/pull/31337"


# Slack's ts is unique in a channel: every fake messenger draws from one sequence.
TIMESTAMPS = itertools.count(1)


class FakeMessenger:
    """Slack as the outbox sees it, in memory: records what it posts and updates, fails as told."""

    def __init__(self, failures: dict[str, DeliveryFailed] | None = None) -> None:
        self.posted: list[dict[str, Any]] = []
        self.updated: list[dict[str, Any]] = []
        self.failures = failures or {}
        self.lock = threading.Lock()

    def post(
        self, *, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str | None, key: str = ""
    ) -> Posted:
        """Record a post and return where it landed."""
        if channel in self.failures:
            raise self.failures[channel]
        with self.lock:
            ts = f"{1_700_000_000 + next(TIMESTAMPS)}.000100"
            self.posted.append(
                {
                    "channel": channel,
                    "text": text,
                    "blocks": blocks,
                    "thread_ts": thread_ts,
                    "key": key,
                    "ts": ts,
                }
            )
            return Posted(channel=channel, ts=ts)

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        """Record a redraw."""
        with self.lock:
            self.updated.append({"channel": channel, "ts": ts, "text": text, "blocks": blocks})

    def find_sent(
        self, *, channel: str, key: str, thread_ts: str | None, since: dt.datetime
    ) -> Posted | None:
        """Return where a message with this key was posted, as Slack's metadata search would."""
        with self.lock:
            found = next((m for m in self.posted if m["key"] == key), None)
        return Posted(channel=found["channel"], ts=found["ts"]) if found else None

    def upload(
        self, *, channel: str, file_name: str, content: str | bytes, comment: str, alt_text: str = ""
    ) -> str:
        """Record an upload as a post of its content (a picture's alt text, for a binary file)."""
        shown = alt_text if isinstance(content, bytes) else content
        return self.post(channel=channel, text=f"{file_name}: {shown}", blocks=[], thread_ts=None).ts

    def permalink(self, *, channel: str, ts: str) -> str | None:
        """Return a permalink shaped like Slack's."""
        return f"https://ccbot-test.slack.com/archives/{channel}/p{ts.replace('.', '')}"

    def texts(self, channel: str | None = None) -> list[str]:
        """Return the texts posted (to one channel or user, when given)."""
        return [m["text"] for m in self.posted if channel is None or m["channel"] == channel]


def person(session: Session, handle: str) -> Person:
    """Return a roster person by GitHub handle (the test fails when absent)."""
    found = get_person_by_github(session, handle)
    assert found is not None, handle
    return found


def deliver(session: Session, messenger: FakeMessenger, *, now: dt.datetime) -> DeliveryReport:
    """Deliver everything queued through the fake messenger."""
    return deliver_pending(session, messenger, now=now)


def ask(
    session: Session,
    who: str,
    *,
    now: dt.datetime,
    messenger: Messenger | None = None,
    pr: str = PR,
    text: str = "Is this safe to merge?",
    urgency: str = "normal",
    channels: Channels = CHANNELS,
) -> QuestionCard:
    """Ask a question as `who` through the service and deliver its thread root; return the posted card."""
    draft = validate_question(pr_url=pr, text=text, urgency=urgency)
    decided = ask_question(session, person(session, who), draft, now=now, channels=channels)
    deliver_pending(session, messenger or FakeMessenger(), now=now, keys=decided.keys)
    return get_card(session, decided.card.id)


def escalate(
    session: Session,
    who: str,
    *,
    now: dt.datetime,
    messenger: Messenger | None = None,
    summary: str = "Blocked on review",
    impact: str = "The release waits for this PR.",
    related: str = "",
    urgency: str = "normal",
    committer: str | None = None,
    channels: Channels = CHANNELS,
) -> EscalationCard:
    """Raise an escalation as `who` through the service and deliver its post; return the posted card."""
    raiser = person(session, who)
    draft = validate_escalation(
        session,
        raiser,
        committer_id=person(session, committer).id if committer else None,
        summary=summary,
        impact=impact,
        related=related,
        urgency=urgency,
    )
    decided = open_escalation(session, raiser, draft, now=now, channels=channels)
    deliver_pending(session, messenger or FakeMessenger(), now=now, keys=decided.keys)
    return get_escalation_card(session, decided.card.id)


# -- through Slack ----------------------------------------------------------------------------------


def open_modal(bot: RunningBot, command: str, user_id: str, text: str = "") -> dict[str, Any]:
    """Run a slash command that opens a modal and return the modal Slack was asked to open."""
    before = len(bot.slack.calls("views.open"))
    response = bot.sender.command(command, text, user_id=user_id)
    assert response.status_code == 200
    wait_until(lambda: len(bot.slack.calls("views.open")) > before, what=f"{command} modal")
    return dict(bot.slack.calls("views.open")[-1].args["view"])


def submit_question(
    bot: RunningBot, view: dict[str, Any], user_id: str, *, url: str, question: str, urgency: str = "normal"
) -> Any:
    """Submit the ask modal with these values; return Slack's view of the bot's answer."""
    values = {
        Input.PR_URL.value: text_input(url),
        Input.QUESTION.value: text_input(question),
        Input.URGENCY.value: select_input(urgency),
    }
    return bot.sender.interaction(view_submission(view, values, user_id=user_id))


def question_of(bot: RunningBot) -> Question:
    """Return the one question in the bot's database."""
    with bot.runtime.session_factory() as session:
        question = session.exec(select(Question)).one()
        session.expunge(question)
        return question


def ask_in_slack(
    bot: RunningBot,
    user_id: str,
    *,
    url: str = PR,
    question: str = "Should the new <!channel> signal be async?",
    urgency: str = "normal",
) -> dict[str, Any]:
    """Ask through `/cc-ask` and its modal; return the thread root posted in the coordination channel."""
    before = len(bot.slack.messages(COORDINATION))
    view = open_modal(bot, "/cc-ask", user_id)
    response = submit_question(bot, view, user_id, url=url, question=question, urgency=urgency)
    assert response.status_code == 200
    assert not response.content
    wait_until(lambda: len(bot.slack.messages(COORDINATION)) > before, what="thread root")
    return bot.slack.messages(COORDINATION)[before]
