"""Turns and responsiveness through the services and the Slack fake, on SQLite and PostgreSQL: the weekly series
against hand-computed percentiles (responders in Asia/Kolkata and America/Los_Angeles), the SLA ladder paused on
the committer's turn, nudge ratings and the daily cap, the digest and /metrics."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot import metrics
from bot.assembly import Bot
from bot.services.digest import build_digest
from bot.services.errors import UserError
from bot.services.operations import program_numbers
from bot.services.questions import (
    ask_question,
    get_card,
    mark_answered,
    record_reply,
    validate_question,
    wait_on_committer,
)
from bot.services.questions.nudges import rate_nudge
from bot.services.responsiveness import responsiveness_series
from bot.slack_standin import SlackStandIn
from bot.types.policy import DEFAULT_HOURS
from bot.types.questions import QuestionCard
from bot.types.responsiveness import Percentiles
from bot.views.digest import digest_blocks
from storage.db import make_session_factory
from storage.models import (
    NudgeRating,
    NudgeRecipient,
    Person,
    Question,
    QuestionTurn,
    RepoArea,
    Turn,
)
from storage.roster import get_person_by_github
from tests.conftest import load_pilot, run_at

COORDINATION = "C0COORD01"
JBOWMAN, FEANIL, ZIA = "U0CHAMP01", "U0CHAMP02", "U0PILOT01"
H = dt.timedelta(hours=1)
ASKED = dt.datetime(2026, 10, 30, 19, 0, tzinfo=dt.UTC)  # Friday 15:00 in New York (EDT)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        load_pilot(session, now=ASKED)
        yield session


def _person(db: Session, github: str) -> Person:
    person = get_person_by_github(db, github)
    assert person is not None
    return person


def _ask(db: Session, bot: Bot, *, at: dt.datetime, pr: int = 7) -> QuestionCard:
    draft = validate_question(
        pr_url=f"https://github.com/openedx/edx-platform/pull/{pr}", text="Is this safe?", urgency="normal"
    )
    decided = ask_question(db, _person(db, "ziafazal"), draft, now=at, channels=bot.runtime.channels)
    bot.runtime.deliver(db, decided.keys, now=at)
    return get_card(db, decided.card.id)


def _reply(db: Session, card: QuestionCard, user: str, at: dt.datetime) -> None:
    assert card.posting is not None
    record_reply(
        db,
        channel=card.posting.channel,
        thread_ts=card.posting.ts,
        ts=f"{at.timestamp():.6f}",
        slack_user_id=user,
        now=at,
    )


def _turns(db: Session, question_id: int) -> list[tuple[Turn, dt.datetime, dt.datetime | None]]:
    rows = db.exec(
        select(QuestionTurn).where(QuestionTurn.question_id == question_id).order_by(QuestionTurn.id)  # type: ignore[arg-type]
    ).all()
    return [(t.turn, t.started_at, t.ended_at) for t in rows]


def _thread(slack: SlackStandIn, card: QuestionCard) -> list[str]:
    assert card.posting is not None
    return [m["text"] for m in slack.messages(COORDINATION) if m.get("thread_ts") == card.posting.ts]


def test_the_weekly_series_matches_hand_computed_percentiles_across_zones(db: Session, job_bot: Bot) -> None:
    _person(db, "jbowman").timezone = "Asia/Kolkata"
    _person(db, "feanil").timezone = "America/Los_Angeles"
    db.commit()
    # Q1, Monday 2 November 03:00 UTC (08:30 in Kolkata): jbowman answers at 05:00 UTC (10:30): 1.5 business
    # hours in Kolkata. For feanil in Los Angeles it is Sunday evening: nothing.
    q1 = _ask(db, job_bot, at=utc("2026-11-02T03:00"), pr=1)
    _reply(db, q1, JBOWMAN, utc("2026-11-02T05:00"))
    # Q3, Wednesday 10:00 UTC (15:30 in Kolkata, 02:00 in Los Angeles): jbowman waits on the committer at 11:00
    # (an hour); the asker answers Thursday 04:00 UTC (09:30 Kolkata); feanil replies Thursday 17:00 UTC (09:00
    # Los Angeles, 22:30 Kolkata). In Kolkata: first response 1 h, waiting 1 h + 09:30-17:00 = 8.5 h.
    q3 = _ask(db, job_bot, at=utc("2026-11-04T10:00"), pr=3)
    wait_on_committer(db, q3.id, _person(db, "jbowman"), now=utc("2026-11-04T11:00"))
    _reply(db, q3, ZIA, utc("2026-11-05T04:00"))
    _reply(db, q3, FEANIL, utc("2026-11-05T17:00"))
    # Q2, Friday 6 November 23:00 UTC (15:00 Los Angeles, Saturday 04:30 Kolkata): feanil answers Monday 18:00
    # UTC (10:00 Los Angeles): 2 h on Friday and 1 h on Monday. In Kolkata, all of Monday 09:00-17:00: 8 h.
    q2 = _ask(db, job_bot, at=utc("2026-11-06T23:00"), pr=2)
    _reply(db, q2, FEANIL, utc("2026-11-09T18:00"))

    assert _turns(db, q3.id) == [
        (Turn.CHAMPIONS, utc("2026-11-04T10:00"), utc("2026-11-04T11:00")),
        (Turn.COMMITTER, utc("2026-11-04T11:00"), utc("2026-11-05T04:00")),
        (Turn.CHAMPIONS, utc("2026-11-05T04:00"), utc("2026-11-05T17:00")),
        (Turn.COMMITTER, utc("2026-11-05T17:00"), None),
    ]
    series = responsiveness_series(db, now=utc("2026-11-10T12:00"), weeks=2, target=8 * H)
    assert [w.week for w in series.weeks] == ["2026-W44", "2026-W45"]
    empty, week = series.weeks
    assert (empty.asked, empty.first_response) == (0, Percentiles())
    assert (week.asked, week.answered) == (3, 2)  # Q2 was answered the week after
    # Each question in its first responder's zone: first response [1, 1.5, 3] h, waiting [1.5, 3, 8.5] h.
    assert week.first_response == Percentiles(1.5 * H, 3 * H, 3 * H, 3)
    assert week.waiting_on_champions == Percentiles(3 * H, 8.5 * H, 8.5 * H, 3)
    champions = {c.person.github: c for c in week.by_champion}
    # jbowman, in Kolkata: first response [1.5, 8, 1], waiting [1.5, 8, 8.5].
    assert champions["jbowman"].first_response == Percentiles(1.5 * H, 8 * H, 8 * H, 3)
    assert champions["jbowman"].waiting_on_champions == Percentiles(8 * H, 8.5 * H, 8.5 * H, 3)
    # feanil, in Los Angeles: [0, 3, 0] both.
    zero = dt.timedelta(0)
    assert champions["feanil"].first_response == Percentiles(zero, 3 * H, 3 * H, 3)
    assert champions["feanil"].waiting_on_champions == Percentiles(zero, 3 * H, 3 * H, 3)
    assert week.first_response.meets(series.target) is True
    assert week.by_area == []


def test_the_ladder_pauses_on_the_committers_turn(db: Session, job_bot: Bot, slack: SlackStandIn) -> None:
    card = _ask(db, job_bot, at=ASKED)
    # An hour on the champions' turn, then jbowman waits on the committer until Monday 10:00 EST.
    wait_on_committer(db, card.id, _person(db, "jbowman"), now=utc("2026-10-30T20:00"))
    with pytest.raises(UserError, match="already waiting on the committer"):
        wait_on_committer(db, card.id, _person(db, "feanil"), now=utc("2026-10-30T20:01"))
    with pytest.raises(UserError, match="Only the committer's champions"):
        wait_on_committer(db, card.id, _person(db, "bradenmacdonald"), now=utc("2026-10-30T20:01"))
    run_at(job_bot, "question_nudges", utc("2026-11-02T16:00"))  # the unpaused ladder's first step
    assert not [t for t in _thread(slack, card) if "allowance" in t]
    _reply(db, card, ZIA, utc("2026-11-02T15:00"))
    assert get_card(db, card.id).question.turn == Turn.CHAMPIONS
    # Three more business hours from Monday 10:00 EST: 13:00 EST, 18:00 UTC.
    run_at(job_bot, "question_nudges", utc("2026-11-02T17:59"))
    assert not [t for t in _thread(slack, card) if "allowance" in t]
    run_at(job_bot, "question_nudges", utc("2026-11-02T18:00"))
    assert len([t for t in _thread(slack, card) if "allowance" in t]) == 1


def test_nudge_dms_carry_ratings_recorded_once_and_changeable(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    card = _ask(db, job_bot, at=ASKED)
    for at in ("2026-11-02T16:00", "2026-11-02T20:00"):
        run_at(job_bot, "question_nudges", utc(at))
    dm = slack.messages(FEANIL)[0]
    ids = [e["action_id"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {"nudge_helpful", "nudge_not_helpful"} <= set(ids)
    assert any(i.startswith("reminder_snooze") for i in ids), "Snooze stays"
    feanil = _person(db, "feanil")
    decided = rate_nudge(
        db, feanil, question_id=card.id, step=2, rating=NudgeRating.HELPFUL, now=utc("2026-11-02T20:05")
    )
    job_bot.runtime.deliver(db, decided.keys, now=utc("2026-11-02T20:05"))
    redrawn = slack.messages(FEANIL)[0]
    assert "rated this nudge *helpful*" in json.dumps(redrawn["blocks"])
    decided = rate_nudge(
        db, feanil, question_id=card.id, step=2, rating=NudgeRating.NOT_HELPFUL, now=utc("2026-11-02T20:06")
    )
    job_bot.runtime.deliver(db, decided.keys, now=utc("2026-11-02T20:06"))
    assert "rated this nudge *not helpful*" in json.dumps(slack.messages(FEANIL)[0]["blocks"])
    rows = db.exec(select(NudgeRecipient)).all()
    assert [(r.person_id, r.rating) for r in rows] == [(feanil.id, NudgeRating.NOT_HELPFUL)]
    with pytest.raises(UserError, match="sent to someone else"):
        rate_nudge(
            db, _person(db, "jbowman"), question_id=card.id, step=2, rating=NudgeRating.HELPFUL, now=ASKED
        )

    _reply(db, card, FEANIL, utc("2026-11-02T21:00"))
    digest = build_digest(db, now=utc("2026-11-03T12:00"))
    assert digest.nudges is not None
    assert (digest.nudges.sent, digest.nudges.rated, digest.nudges.helpful) == (1, 1, 0)
    # After the last nudge (20:00 UTC, 15:00 EST), the reply an hour later in feanil's zone.
    assert digest.nudges.after_nudge.p50 == H
    assert digest.nudges.without_nudge.count == 0


def test_nudge_dms_over_the_daily_cap_are_skipped_but_the_thread_still_hears(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    from bot.services.questions.nudges import list_due_steps, take_step

    cards = [_ask(db, job_bot, at=ASKED, pr=pr) for pr in (1, 2)]
    policy = job_bot.runtime.policy.sla
    for at in ("2026-11-02T16:00", "2026-11-02T20:00"):
        for due in list_due_steps(db, now=utc(at), policy=policy):
            take_step(db, due, now=utc(at), channels=job_bot.runtime.channels, hours=policy.hours, cap=1)
    job_bot.runtime.job_context(db, now=utc("2026-11-02T20:00")).deliver()
    assert len(slack.messages(FEANIL)) == 1, "one nudge DM a day at most"
    skipped = db.exec(select(NudgeRecipient).where(NudgeRecipient.skipped == True)).all()  # noqa: E712
    assert len(skipped) == 1
    assert all(len(_thread(slack, card)) == 2 for card in cards)


def test_the_digest_shows_percentiles_against_the_target_per_area_escaped(db: Session, job_bot: Bot) -> None:
    card = _ask(db, job_bot, at=ASKED)
    area = RepoArea(name="<!channel> *core*", channel="C0AREA001")
    db.add(area)
    db.flush()
    question = db.get(Question, card.id)
    assert question is not None
    question.area_id = area.id
    db.commit()
    mark_answered(db, card.id, _person(db, "jbowman"), now=utc("2026-10-30T20:30"))
    digest = build_digest(db, now=utc("2026-11-02T12:00"), response_target=2 * H)
    text = json.dumps([b.to_dict() for b in digest_blocks(digest)], ensure_ascii=False)
    assert "p50 1h 30m · p75 1h 30m · p90 1h 30m (target p75 ≤ 2h) :white_check_mark: within target" in text
    assert "Responsiveness by champion" in text
    assert "&lt;!channel&gt; *core*" in text or "&lt;!channel&gt; \\u2217core" in text
    assert "<!channel>" not in text
    assert "nearest-rank" in text

    numbers = program_numbers(db, now=utc("2026-11-02T12:00"), hours=DEFAULT_HOURS)
    assert list(numbers.waiting_on_champions) == ["<!channel> *core*"]
    registry = metrics.make_registry(lambda: numbers)
    exposed = metrics.render(registry).decode()
    assert 'ccbot_waiting_on_champions_business_seconds_count{area="<!channel> *core*"} 1.0' in exposed
    assert 'ccbot_waiting_on_champions_business_seconds_sum{area="<!channel> *core*"} 5400.0' in exposed


def test_a_question_asked_before_turns_were_kept_is_read_from_its_first_response(
    db: Session, job_bot: Bot
) -> None:
    from sqlalchemy import delete

    card = _ask(db, job_bot, at=ASKED)
    db.exec(delete(QuestionTurn))  # type: ignore[call-overload]
    question = db.get(Question, card.id)
    assert question is not None
    question.first_response_at, question.first_responder_id = (
        utc("2026-10-30T20:00"),
        _person(db, "jbowman").id,
    )
    question.state, question.answered_at, question.turn = "answered", utc("2026-10-30T20:00"), Turn.COMMITTER
    db.commit()
    # Read as one champions' turn from the asking to the first response: Friday 15:00-16:00 EDT in New York.
    series = responsiveness_series(db, now=utc("2026-11-03T12:00"), weeks=1, target=8 * H)
    assert series.weeks[0].waiting_on_champions == Percentiles(H, H, H, 1)
    # The asker's reply writes those turns down, then opens the champions' next one.
    _reply(db, card, ZIA, utc("2026-11-02T14:00"))
    assert _turns(db, card.id) == [
        (Turn.CHAMPIONS, ASKED, utc("2026-10-30T20:00")),
        (Turn.COMMITTER, utc("2026-10-30T20:00"), utc("2026-11-02T14:00")),
        (Turn.CHAMPIONS, utc("2026-11-02T14:00"), None),
    ]
