"""The weekly digest: numbers that match the data, once per recipient and week, the CSV when it does not fit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app
from bot.services.escalations import (
    acknowledge_escalation,
    open_escalation,
    resolve_escalation,
    validate_escalation,
)
from bot.services.questions import mark_answered, record_reply
from bot.slack_standin import SlackStandIn
from storage.db import make_session_factory
from storage.models import Person, PersonRole, Question, Role
from storage.questions import add_question
from storage.roster import add_person, get_person_by_github
from tests.conftest import load_pilot
from tests.flows import CHANNELS, ask

DIGEST_CHANNEL = "C0DIGEST1"
MONDAY = "2026-12-07T09:00:00Z"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def person(session: Session, handle: str) -> Person:
    found = get_person_by_github(session, handle)
    assert found is not None
    return found


POSTINGS: dict[int, str] = {}


def _ask(session: Session, who: str, when: str, number: int) -> int:
    card = ask(
        session, who, now=at(when), pr=f"https://github.com/openedx/edx-platform/pull/{number}", text="q"
    )
    assert card.posting is not None
    POSTINGS[number] = card.posting.ts
    return card.id


def _reply(session: Session, number: int, user: str, when: str) -> None:
    record_reply(
        session,
        channel="C0COORD01",
        thread_ts=POSTINGS[number],
        ts=f"{number}.5",
        slack_user_id=user,
        now=at(when),
    )


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        load_pilot(session, now=at("2026-11-26T15:00"))
        # Asked last week (outside the window), answered inside it.
        old = _ask(session, "bradenmacdonald", "2026-11-20T10:00", 100)
        mark_answered(session, old, person(session, "ormsbee"), now=at("2026-12-01T10:00"))
        _ask(session, "ziafazal", "2026-12-01T10:00", 1)
        _reply(session, 1, "U0CHAMP01", "2026-12-01T10:30")  # jbowman answers in 30 minutes
        _ask(session, "ziafazal", "2026-12-02T10:00", 2)
        _reply(session, 2, "U0CHAMP02", "2026-12-02T12:00")  # feanil answers in 2 hours
        _ask(session, "symbolist", "2026-12-03T10:00", 3)
        _reply(session, 3, "U0CHAMP07", "2026-12-03T14:00")  # schen responds in 4 hours, not his question
        _ask(session, "pdpinch", "2026-12-04T10:00", 4)  # nobody yet
        zia = person(session, "ziafazal")
        for summary, when in (("Blocked A", "2026-12-02T11:00"), ("Blocked B", "2026-12-03T11:00")):
            draft = validate_escalation(
                session, zia, committer_id=None, summary=summary, impact="x", related="", urgency="normal"
            )
            card = open_escalation(session, zia, draft, now=at(when), channels=CHANNELS).card
        nimisha = person(session, "nimisha")
        acknowledge_escalation(session, card.id, nimisha, now=at("2026-12-03T12:00"))
        resolve_escalation(session, card.id, nimisha, "done", now=at("2026-12-04T12:00"))
        yield session


def _run(db_url: str, slack: SlackStandIn, now: str = MONDAY) -> str:
    env = {
        "CCBOT_DATABASE_URL": db_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.url,
        "CCBOT_DIGEST_CHANNEL": DIGEST_CHANNEL,
    }
    result = CliRunner().invoke(app, ["jobs", "run", "weekly_digest", "--now", now], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def _digest_message(slack: SlackStandIn) -> dict:
    # Delivery is parallel: the CSV upload may land before the digest it belongs to.
    return next(m for m in slack.messages(DIGEST_CHANNEL) if m["blocks"])


def test_the_digest_numbers_match_the_data(db: Session, db_url: str, slack: SlackStandIn) -> None:
    _run(db_url, slack)
    posted = [m for m in slack.messages(DIGEST_CHANNEL) if m["blocks"]]
    assert len(posted) == 1
    text = json.dumps(posted[0]["blocks"])
    assert "weekly digest (2026-W50)" in text
    assert "*Questions:* 4 asked \\u00b7 3 answered \\u00b7 2 still open" in text
    assert "median 2h \\u00b7 90th percentile 4h" in text
    assert "<@U0CHAMP01>: 0 open, 1 answered, first response in 30m (median)" in text
    assert "<@U0CHAMP03>: 2 open, 1 answered" in text, (
        "ormsbee: symbolist's and pdpinch's open questions, and last week's answered"
    )
    assert "*Escalations:* 2 opened \\u00b7 1 acknowledged \\u00b7 1 resolved \\u00b7 0 overdue now" in text
    assert "Edly by Arbisoft: Entity contributor agreement ends 2026-12-31" in text
    assert "<@U0PILOT09>: NDA / program agreement: not signed yet" in text
    managers = [m for m in slack.messages("U0MGR0001") if "weekly digest" in json.dumps(m["blocks"])]
    assert len(managers) == 1
    assert len(slack.messages("U0MGR0002")) == 1


def test_a_second_run_in_the_same_week_sends_nothing_again(
    db: Session, db_url: str, slack: SlackStandIn
) -> None:
    _run(db_url, slack)
    _run(db_url, slack, "2026-12-07T09:30:00Z")
    assert len(slack.messages(DIGEST_CHANNEL)) == 1
    _run(db_url, slack, "2026-12-14T09:00:00Z")
    assert len(slack.messages(DIGEST_CHANNEL)) == 2


def test_a_slack_429_delays_the_digest_but_it_arrives_once(
    db: Session, db_url: str, slack: SlackStandIn
) -> None:
    slack.fail("chat.postMessage", status=429, count=2, retry_after=0)
    _run(db_url, slack)
    assert len(slack.messages(DIGEST_CHANNEL)) == 1


def test_a_long_champion_table_is_cut_and_attached_as_csv(
    db: Session, db_url: str, slack: SlackStandIn
) -> None:
    zia = person(db, "ziafazal")
    for i in range(20):
        helper = add_person(db, github=f"helper{i:02d}", name=f"Helper {i}")
        db.add(PersonRole(person_id=helper.id, role=Role.CHAMPION.value))
        question = Question(
            committer_id=zia.id,
            pr_url="https://github.com/o/r/pull/1",
            pr_number=1,
            text="q",
            asked_at=at("2026-12-05T10:00"),
        )
        add_question(db, question, [helper.id])  # type: ignore[list-item]
    db.commit()
    _run(db_url, slack)
    text = json.dumps(_digest_message(slack)["blocks"])
    assert "more in the attached CSV" in text
    files = [f for f in slack.state.files.values() if f.get("channel") == DIGEST_CHANNEL]
    assert len(files) == 1
    rows = files[0]["content"].splitlines()
    assert rows[0] == "github,name,open_questions,answered_this_week,median_first_response_seconds"
    assert len(rows) == 1 + 24, "every helper and the four champions with load, not only the fifteen shown"
    assert "helper19,Helper 19,1,0," in files[0]["content"]
