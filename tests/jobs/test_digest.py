"""The weekly digest: numbers that match the data, once per recipient and week, the CSV when it does not fit."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli import app
from bot.services.digest import build_digest
from bot.services.escalations import (
    acknowledge_escalation,
    open_escalation,
    resolve_escalation,
    validate_escalation,
)
from bot.services.questions import mark_answered, record_reply
from bot.slack_standin import SlackStandIn
from storage.db import make_session_factory
from storage.models import (
    DeploymentEvent,
    DeploymentNotice,
    Escalation,
    EscalationStep,
    Nomination,
    Person,
    PersonRole,
    Question,
    QuestionResponder,
    Retro,
    RetroParticipant,
    RetroResponse,
    Role,
)
from storage.questions import add_question
from storage.roster import add_person, get_person_by_github
from tests.artifacts import save_artifact
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


def _digests(slack: SlackStandIn, channel: str = DIGEST_CHANNEL) -> list[dict]:
    """Return the digests posted (not the files shared with them)."""
    return [m for m in slack.messages(channel) if m["blocks"]]


def _files(slack: SlackStandIn, channel: str = DIGEST_CHANNEL) -> list[dict]:
    return [f for f in slack.state.files.values() if f.get("channel") == channel]


def _cell_text(cell: dict) -> str:
    if cell["type"] == "raw_text":
        return str(cell["text"])
    element = cell["elements"][0]["elements"][0]
    return f"<@{element['user_id']}>" if element["type"] == "user" else str(element.get("text"))


def _table_rows(message: dict) -> list[list[str]]:
    tables = [b for b in message["blocks"] if b["type"] == "table"]
    assert len(tables) == 1, "the champion load is one table block"
    return [[_cell_text(cell) for cell in row] for row in tables[0]["rows"]]


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
    plain = json.dumps(posted[0]["blocks"], ensure_ascii=False)
    # Business hours in New York (EST): every reply came before 09:00 there, so each first response took no
    # business time; pdpinch's question still waits from Friday 05:00 EST, a whole working Friday, 8 h.
    assert (
        "*Time to first response:* p50 0m · p75 0m · p90 0m (target p75 ≤ 8h) :white_check_mark: within target"
        " · 3 responded\\n*Time waiting on champions:* p50 0m · p75 0m · p90 8h · 4 questions" in plain
    )
    rows = _table_rows(posted[0])
    assert rows[0] == ["Champion", "Open", "Answered", "First response (median)"]
    assert ["<@U0CHAMP01>", "0", "1", "30m"] in rows
    assert any(r[:3] == ["<@U0CHAMP03>", "2", "1"] for r in rows), (
        "ormsbee: symbolist's and pdpinch's open questions, and last week's answered"
    )
    assert "*Escalations:* 2 opened \\u00b7 1 acknowledged \\u00b7 1 resolved \\u00b7 0 overdue now" in text
    assert "Edly by Arbisoft: Entity contributor agreement ends 2026-12-31" in text
    assert "<@U0PILOT09>: NDA / program agreement: not signed yet" in text
    managers = [m for m in slack.messages("U0MGR0001") if "weekly digest" in json.dumps(m["blocks"])]
    assert len(managers) == 1
    assert len(_digests(slack, "U0MGR0002")) == 1
    assert [f["name"] for f in _files(slack, "D0MGR0002")] == ["responsiveness-2026-W50.png"]


def test_the_chart_of_twelve_weeks_goes_with_the_digest_with_its_numbers_in_words(
    db: Session, db_url: str, slack: SlackStandIn, tmp_path: Path
) -> None:
    _run(db_url, slack)
    [chart] = [f for f in _files(slack) if f["name"].endswith(".png")]
    assert chart["name"] == "responsiveness-2026-W50.png"
    save_artifact(tmp_path, "digest-chart.png", chart["data"])
    with Image.open(io.BytesIO(chart["data"])) as image:
        assert image.size == (960, 480)
    uploads = [c.method for c in slack.calls() if c.method.startswith("files.")]
    assert "files.upload" not in uploads
    assert {"files.getUploadURLExternal", "files.completeUploadExternal"} <= set(uploads)
    alt = str(chart["alt_txt"])
    assert "target of 8h" in alt, "CCBOT_RESPONSE_TARGET's 1d is one working day"
    # Every reply came before business hours in New York: no business time to first response.
    assert "2026-W49: 4 asked, 3 answered, 75th percentile 0s" in alt, alt
    assert alt.count("asked") == 12, "twelve weeks"


def test_a_slack_that_refuses_the_table_gets_the_champion_load_as_a_list(
    db: Session, db_url: str, slack: SlackStandIn
) -> None:
    slack.state.refused_blocks.add("table")
    _run(db_url, slack)
    [digest] = _digests(slack)
    text = json.dumps(digest["blocks"])
    assert "<@U0CHAMP01>: 0 open, 1 answered, first response in 30m (median)" in text
    assert "<@U0CHAMP03>: 2 open, 1 answered" in text
    assert '"table"' not in text


def test_a_second_run_in_the_same_week_sends_nothing_again(
    db: Session, db_url: str, slack: SlackStandIn
) -> None:
    _run(db_url, slack)
    _run(db_url, slack, "2026-12-07T09:30:00Z")
    assert len(_digests(slack)) == 1
    assert len(_files(slack)) == 1, "the chart once too"
    _run(db_url, slack, "2026-12-14T09:00:00Z")
    assert len(_digests(slack)) == 2
    assert len(_files(slack)) == 2


def test_a_slack_429_delays_the_digest_but_it_arrives_once(
    db: Session, db_url: str, slack: SlackStandIn
) -> None:
    slack.fail("chat.postMessage", status=429, count=2, retry_after=0)
    _run(db_url, slack)
    assert len(_digests(slack)) == 1


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
    assert len(_table_rows(_digest_message(slack))) == 1 + 15, "a header and the fifteen shown"
    files = [f for f in _files(slack) if f["name"].endswith(".csv")]
    assert len(files) == 1
    rows = files[0]["content"].splitlines()
    assert rows[0] == "github,name,open_questions,answered_this_week,median_first_response_seconds"
    assert len(rows) == 1 + 24, "every helper and the four champions with load, not only the fifteen shown"
    assert "helper19,Helper 19,1,0," in files[0]["content"]


@pytest.fixture
def roster(engine: Engine) -> Iterator[Session]:
    """The pilot roster and nothing else: no question, escalation or notice yet."""
    with make_session_factory(engine)() as session:
        load_pilot(session, now=at("2026-11-26T15:00"))
        yield session


def test_an_empty_week_is_all_zeros_and_dashes(roster: Session, db_url: str, slack: SlackStandIn) -> None:
    _run(db_url, slack)
    text = json.dumps(_digest_message(slack)["blocks"])
    assert "*Questions:* 0 asked \\u00b7 0 answered \\u00b7 0 still open" in text
    plain = json.dumps(_digest_message(slack)["blocks"], ensure_ascii=False)
    assert "*Time to first response:* p50 — · p75 — · p90 — (target p75 ≤ 8h) · 0 responded" in plain
    assert "*Escalations:* 0 opened \\u00b7 0 acknowledged \\u00b7 0 resolved \\u00b7 0 overdue now" in text
    assert "open," not in text, "no champion-load table without load"


def test_a_single_response_is_every_percentile(roster: Session, db_url: str, slack: SlackStandIn) -> None:
    # 10:00 to 10:45 in New York (EST), jbowman's business hours.
    _ask(roster, "ziafazal", "2026-12-02T15:00", 1)
    _reply(roster, 1, "U0CHAMP01", "2026-12-02T15:45")
    _run(db_url, slack)
    text = json.dumps(_digest_message(slack)["blocks"])
    assert "*Questions:* 1 asked \\u00b7 1 answered \\u00b7 0 still open" in text
    plain = json.dumps(_digest_message(slack)["blocks"], ensure_ascii=False)
    assert "*Time to first response:* p50 45m · p75 45m · p90 45m (target p75 ≤ 8h)" in plain
    assert (
        "<@U0CHAMP01>: first response p50 45m · p75 45m · p90 45m :white_check_mark: within target" in plain
    )
    assert ["<@U0CHAMP01>", "0", "1", "45m"] in _table_rows(_digest_message(slack))


def _nearest_rank(values: list[float], p: float) -> float | None:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)] if ordered else None


def _fill(session: Session, rng: random.Random, *, questions: int, now: dt.datetime) -> None:
    """Questions, escalations, notices, nominations and retros spread around the week before `now`."""
    people = [p.id for p in session.exec(select(Person)).all() if p.id is not None]
    start = now - dt.timedelta(days=7)
    # Whole minutes from a short list: many equal response times, and ranks that fall on whole numbers.
    minutes = [5, 30, 30, 60, 120, 120, 240, 1440]
    # The window's edges are asked about on purpose: `start` is in, `now` is out.
    edges = [start, now, start - dt.timedelta(seconds=1), now - dt.timedelta(seconds=1)]
    for n in range(questions):
        asked = edges[n] if n < len(edges) else start + dt.timedelta(minutes=rng.randint(-3 * 1440, 7 * 1440))
        responded = rng.random() < 0.8
        first = asked + dt.timedelta(minutes=rng.choice(minutes)) if responded else None
        state = (
            rng.choice(["open", "claimed", "answered", "answered"])
            if responded
            else rng.choice(["open", "claimed"])
        )
        answered = (
            first + dt.timedelta(minutes=rng.choice(minutes)) if first and state == "answered" else None
        )
        question = Question(
            committer_id=rng.choice(people),
            pr_url="https://github.com/openedx/edx-platform/pull/1",
            pr_number=n + 1,
            text="q",
            state=state,
            asked_at=asked,
            first_response_at=first,
            first_responder_id=rng.choice([*people[:6], None]) if first else None,
            answered_at=answered,
            answered_by_id=rng.choice(people[:6]) if answered else None,
        )
        session.add(question)
        session.flush()
        for position, person in enumerate(rng.sample(people[:8], rng.randint(0, 3)), start=1):
            session.add(QuestionResponder(question_id=question.id, person_id=person, position=position))
    for _ in range(12):
        opened = start + dt.timedelta(hours=rng.randint(-72, 168))
        acknowledged = opened + dt.timedelta(hours=rng.randint(1, 48)) if rng.random() < 0.7 else None
        resolved = (
            acknowledged + dt.timedelta(hours=rng.randint(1, 48))
            if acknowledged and rng.random() < 0.5
            else None
        )
        state = "resolved" if resolved else "acknowledged" if acknowledged else "open"
        escalation = Escalation(
            committer_id=rng.choice(people),
            summary="s",
            impact="i",
            state=state,
            opened_at=opened,
            acknowledged_at=acknowledged,
            resolved_at=resolved,
        )
        session.add(escalation)
        session.flush()
        if state == "open" and rng.random() < 0.5:
            session.add(EscalationStep(escalation_id=escalation.id, step=50, due_at=opened, taken_at=opened))
    event = DeploymentEvent(event="escaped_issue", received_at=start)
    session.add(event)
    session.flush()
    for n in range(15):
        received = start + dt.timedelta(hours=rng.randint(-48, 168))
        session.add(
            DeploymentNotice(
                key=f"n{n}",
                event_id=event.id,
                event=rng.choice(["escaped_issue", "rolled_back", "deployed_production"]),
                pr_number=n,
                pr_url="u",
                person_id=rng.choice([*people, None]),
                received_at=received,
                reverted_at=received + dt.timedelta(minutes=rng.choice(minutes))
                if rng.random() < 0.6
                else None,
            )
        )
    for n in range(3):
        session.add(
            Nomination(
                nominee_github=f"nominee{n}",
                reason="r",
                opened_at=start,
                closes_at=now,
                state=rng.choice(["open", "approved"]),
            )
        )
    for n, opened in enumerate((start - dt.timedelta(days=30), start + dt.timedelta(days=1))):
        retro = Retro(name=f"retro {n}", opened_at=opened, closes_at=opened + dt.timedelta(days=14))
        session.add(retro)
        session.flush()
        invited = rng.sample(people, 5 + n)
        for person in invited:
            session.add(RetroParticipant(retro_id=retro.id, person_id=person))
        for person in invited[: 2 + n]:
            session.add(
                RetroResponse(retro_id=retro.id, person_id=person, submitted_at=opened, updated_at=opened)
            )
    session.commit()


@pytest.mark.parametrize(("seed", "questions"), [(1, 10), (2, 37), (3, 80)])
def test_the_digest_equals_a_plain_computation_of_its_definitions(
    roster: Session, seed: int, questions: int
) -> None:
    now = at("2026-12-07T09:00")
    start = now - dt.timedelta(days=7)
    _fill(roster, random.Random(seed), questions=questions, now=now)
    digest = build_digest(roster, now=now)

    every = list(roster.exec(select(Question)).all())
    in_week = [q for q in every if start <= q.asked_at < now]
    answered = [q for q in every if q.answered_at and start <= q.answered_at < now]
    still_open = [q for q in every if q.state in ("open", "claimed")]
    assert (digest.asked, digest.answered, digest.still_open) == (
        len(in_week),
        len(answered),
        len(still_open),
    )

    def seconds(q: Question) -> float:
        assert q.first_response_at is not None
        return (q.first_response_at - q.asked_at).total_seconds()

    responded = [q for q in in_week if q.first_response_at]
    for got, p in ((digest.first_response_median, 0.5), (digest.first_response_p90, 0.9)):
        expected = _nearest_rank([seconds(q) for q in responded], p)
        assert (got.total_seconds() if got else None) == pytest.approx(expected, abs=0.01), p

    routed = roster.exec(select(QuestionResponder)).all()
    open_ids = {q.id for q in still_open}
    loads: dict[int, list[int]] = {}
    for row in routed:
        if row.question_id in open_ids:
            loads.setdefault(row.person_id, [0, 0])[0] += 1
    for q in answered:
        if q.answered_by_id is not None:
            loads.setdefault(q.answered_by_id, [0, 0])[1] += 1
    expected_loads = sorted(
        ((pid, o, a) for pid, (o, a) in loads.items()), key=lambda r: (-r[1], -r[2], r[0])
    )
    assert [(load.person.id, load.open, load.answered) for load in digest.loads] == expected_loads
    for load in digest.loads:
        mine = [seconds(q) for q in responded if q.first_responder_id == load.person.id]
        median = load.median_first_response.total_seconds() if load.median_first_response else None
        assert median == pytest.approx(_nearest_rank(mine, 0.5), abs=0.01), load.person.github

    escalations = roster.exec(select(Escalation)).all()

    def counted(values: list[dt.datetime | None]) -> int:
        return sum(1 for v in values if v is not None and start <= v < now)

    overdue = {s.escalation_id for s in roster.exec(select(EscalationStep)).all() if s.step == 50}
    assert (
        digest.escalations_opened,
        digest.escalations_acknowledged,
        digest.escalations_resolved,
        digest.escalations_overdue,
    ) == (
        counted([e.opened_at for e in escalations]),
        counted([e.acknowledged_at for e in escalations]),
        counted([e.resolved_at for e in escalations]),
        sum(1 for e in escalations if e.state == "open" and e.id in overdue),
    )

    notices = [
        n
        for n in roster.exec(select(DeploymentNotice)).all()
        if start <= n.received_at < now
        and n.event in ("escaped_issue", "rolled_back", "deploy_failed")
        and n.person_id
    ]
    reverted = [(n.reverted_at - n.received_at).total_seconds() for n in notices if n.reverted_at]
    assert (digest.notices, digest.reverted) == (len(notices), len(reverted))
    revert = digest.time_to_revert.total_seconds() if digest.time_to_revert else None
    assert revert == pytest.approx(_nearest_rank(reverted, 0.5), abs=0.01)
    assert digest.pending_nominations == sum(
        1 for n in roster.exec(select(Nomination)).all() if n.state == "open"
    )
    assert digest.retro is not None
    retro, responses, participants = digest.retro
    assert (retro.name, responses, participants) == ("retro 1", 3, 6)
