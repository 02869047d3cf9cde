"""Submission keys: two sessions claiming one key at once insert one row, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.services import submissions
from bot.services.questions import ask_question, submission_keys, validate_question
from storage.db import make_session_factory
from storage.models import Question, Submission
from storage.submissions import claim_submission, find_submission, name_submission
from tests.conftest import NOW
from tests.flows import CHANNELS, PR, person

KEYS: dict[str, dt.datetime | None] = {"view:abc": None, "question:xyz": NOW - submissions.REPEAT_WINDOW}


def test_a_second_session_claiming_a_key_waits_for_the_first_and_finds_its_subject(engine: Engine) -> None:
    factory = make_session_factory(engine)
    claimed = threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        with factory() as session:
            assert claim_submission(session, KEYS, now=NOW) is None
            name_submission(session, KEYS, "question:1")
            claimed.set()
            time.sleep(0.5)  # still deciding: the second claim must wait for this transaction
            session.commit()

    def second() -> None:
        claimed.wait(5)
        started = time.monotonic()
        with factory() as session:
            held = claim_submission(session, {"question:xyz": NOW - submissions.REPEAT_WINDOW}, now=NOW)
            outcome["subject"] = held.subject if held else None
            session.rollback()
        outcome["waited"] = time.monotonic() - started

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert outcome["subject"] == "question:1"
    assert isinstance(outcome["waited"], float)
    assert outcome["waited"] >= 0.3, "the second claim waited for the first to commit"
    with factory() as session:
        rows = session.exec(select(Submission)).all()
    assert sorted((r.key, r.subject) for r in rows) == [
        ("question:xyz", "question:1"),
        ("view:abc", "question:1"),
    ]


def test_a_key_past_its_window_is_taken_over_and_a_view_key_never_is(session: Session) -> None:
    assert claim_submission(session, KEYS, now=NOW) is None
    name_submission(session, KEYS, "question:1")
    session.commit()
    later = NOW + submissions.REPEAT_WINDOW + dt.timedelta(minutes=1)
    fresh = {"question:xyz": later - submissions.REPEAT_WINDOW}
    assert find_submission(session, fresh) is None
    assert claim_submission(session, fresh, now=later) is None
    name_submission(session, fresh, "question:2")
    session.commit()
    held = claim_submission(session, {"view:abc": None}, now=later)
    assert held is not None
    assert held.subject == "question:1"
    session.rollback()


def test_a_claim_rolled_back_leaves_its_keys_free(session: Session) -> None:
    assert claim_submission(session, KEYS, now=NOW) is None
    session.rollback()
    assert session.exec(select(Submission)).all() == []
    assert claim_submission(session, KEYS, now=NOW) is None


def test_eight_concurrent_submissions_of_one_question_store_one(
    pilot_session: Session, engine: Engine
) -> None:
    factory = make_session_factory(engine)
    draft = validate_question(pr_url=PR, text="Is this safe to merge?", urgency="normal")
    start = threading.Barrier(8)
    outcomes: list[tuple[bool, int]] = []
    lock = threading.Lock()

    def submit(i: int) -> None:
        with factory() as session:
            asker = person(session, "ziafazal")
            keys = submission_keys("U0PILOT01", draft, view_id=f"V{i % 2}", now=NOW)
            start.wait()
            decided = ask_question(session, asker, draft, now=NOW, channels=CHANNELS, submission=keys)
            with lock:
                outcomes.append((decided.repeated, decided.card.id))

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 8
    assert sorted(r for r, _ in outcomes) == [False] + [True] * 7
    assert len({question_id for _, question_id in outcomes}) == 1, "every repeat names the one question"
    assert len(pilot_session.exec(select(Question)).all()) == 1
