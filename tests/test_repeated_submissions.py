"""A question or escalation submitted twice is one: Slack's retry of a late-acked submission, the same modal sent
again, or the same content from a new modal within the window; the repeat is shown the first one's thread."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any

from sqlmodel import select

from bot.ids import Input
from storage.models import Escalation, Question, Submission
from tests.conftest import RunningBot, wait_until
from tests.flows import COORDINATION, MANAGEMENT, PR, open_modal
from tests.slack_requests import select_input, text_input, view_submission

ZIA = "U0PILOT01"
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
QUESTION = "Does the grades migration need a backfill?"


def _ask_view(bot: RunningBot, view_id: str) -> dict[str, Any]:
    return {**open_modal(bot, "/cc-ask", ZIA), "id": view_id}


def _ask_payload(view: dict[str, Any], *, question: str = QUESTION, url: str = PR) -> dict[str, Any]:
    values = {
        Input.PR_URL.value: text_input(url),
        Input.QUESTION.value: text_input(question),
        Input.URGENCY.value: select_input("normal"),
    }
    return view_submission(view, values, user_id=ZIA)


def _questions(bot: RunningBot) -> list[Question]:
    with bot.runtime.session_factory() as session:
        return list(session.exec(select(Question)).all())


def _roots(bot: RunningBot) -> list[dict[str, Any]]:
    return [m for m in bot.slack.messages(COORDINATION) if not m.get("thread_ts")]


def _shown(answer: Any) -> str:
    """Return the text of the modal an ack updated to ('' for a plain ack, which closes the modal)."""
    if not answer.content:
        return ""
    body = answer.json()
    assert body["response_action"] == "update", body
    return json.dumps(body["view"]["blocks"])


def _dms(bot: RunningBot, user: str) -> list[str]:
    return [m["text"] for m in bot.slack.messages(user)]


def test_slacks_retry_of_an_ask_submission_is_one_question_and_shows_its_thread(bot: RunningBot) -> None:
    view = _ask_view(bot, "V0RETRY01")
    first = bot.sender.interaction(_ask_payload(view))
    assert first.status_code == 200
    assert not first.content
    retried = bot.sender.interaction(_ask_payload(view), headers=RETRY)
    assert retried.status_code == 200
    shown = _shown(retried)
    [question] = _questions(bot)
    [root] = _roots(bot)
    assert f"question #{question.id}" in shown
    assert f"archives/{COORDINATION}/p{root['ts'].replace('.', '')}" in shown, (
        "the retry links the first's thread"
    )
    assert "did not post it again" in shown
    assert len(bot.slack.messages(ZIA)) == 1, "one confirmation DM, for the one question"


def test_the_same_question_from_a_new_modal_within_minutes_is_one_question(
    bot: RunningBot, clock: list[dt.datetime]
) -> None:
    assert not bot.sender.interaction(_ask_payload(_ask_view(bot, "V0FIRST01"))).content
    clock[0] += dt.timedelta(minutes=4)
    # A late ack showed an error; the committer opened `/cc-ask` again and typed the same (spaces and case aside).
    again = bot.sender.interaction(
        _ask_payload(_ask_view(bot, "V0AGAIN01"), question="  does the grades   migration need a backfill? ")
    )
    [question] = _questions(bot)
    assert f"question #{question.id}" in _shown(again)
    assert len(_roots(bot)) == 1


def test_a_different_question_or_the_same_one_after_the_window_is_asked_anew(
    bot: RunningBot, clock: list[dt.datetime]
) -> None:
    assert not bot.sender.interaction(_ask_payload(_ask_view(bot, "V0ONE0001"))).content
    other = _ask_payload(_ask_view(bot, "V0TWO0001"), question="And does it need a feature flag?")
    assert not bot.sender.interaction(other).content
    clock[0] += dt.timedelta(minutes=11)
    assert not bot.sender.interaction(_ask_payload(_ask_view(bot, "V0THREE01"))).content
    assert len(_questions(bot)) == 3
    assert len(_roots(bot)) == 3


def test_another_committer_asking_the_same_is_their_own_question(bot: RunningBot) -> None:
    assert not bot.sender.interaction(_ask_payload(_ask_view(bot, "V0ZIA0001"))).content
    other = "U0PILOT02"
    view = {**open_modal(bot, "/cc-ask", other), "id": "V0ZIA0001"}  # even a forged view id of someone else's
    values = _ask_payload(view)
    values["user"] = {**values["user"], "id": other, "username": other.lower()}
    assert not bot.sender.interaction(values).content
    assert len(_questions(bot)) == 2


def _escalate_payload(view: dict[str, Any]) -> dict[str, Any]:
    values = {
        Input.ESCALATION_SUMMARY.value: text_input("No reviewer for the grades migration"),
        Input.ESCALATION_IMPACT.value: text_input("The release waits for it."),
        Input.ESCALATION_RELATED.value: text_input(PR),
        Input.URGENCY.value: select_input("urgent"),
    }
    return view_submission(view, values, user_id=ZIA)


def test_a_retried_and_a_repeated_escalation_are_one_escalation_and_show_its_post(
    bot: RunningBot, clock: list[dt.datetime]
) -> None:
    view = {**open_modal(bot, "/cc-escalate", ZIA), "id": "V0ESC0001"}
    assert not bot.sender.interaction(_escalate_payload(view)).content
    retried = _shown(bot.sender.interaction(_escalate_payload(view), headers=RETRY))
    clock[0] += dt.timedelta(minutes=2)
    again = {**open_modal(bot, "/cc-escalate", ZIA), "id": "V0ESC0002"}
    repeated = _shown(bot.sender.interaction(_escalate_payload(again)))
    with bot.runtime.session_factory() as session:
        [escalation] = session.exec(select(Escalation)).all()
    [post] = bot.slack.messages(MANAGEMENT)
    for shown in (retried, repeated):
        assert f"escalation #{escalation.id}" in shown
        assert f"archives/{MANAGEMENT}/p{post['ts'].replace('.', '')}" in shown
    assert len(bot.slack.messages(ZIA)) == 1, "the committer is told once"


def test_a_retry_and_a_double_submission_racing_the_first_over_http_make_one_question(
    served_bot: RunningBot,
) -> None:
    """Served as in production: acks come first and the questions are stored after them, so the repeats can
    arrive while the first is still being stored; whichever way the race goes, there is one question and one
    post, and each repeat is shown (in its ack or a DM) the first one's thread."""
    bot = served_bot
    view = _ask_view(bot, "V0RACE001")
    again = _ask_view(bot, "V0RACE002")
    bot.slack.delay = 0.2  # Slack is slow: the first is still being posted while the others arrive
    payloads = [(_ask_payload(view), {}), (_ask_payload(view), RETRY), (_ask_payload(again), {})]
    answers: list[Any] = [None] * len(payloads)
    start = threading.Barrier(len(payloads))

    def send(i: int) -> None:
        start.wait()
        answers[i] = bot.sender.interaction(payloads[i][0], headers=payloads[i][1])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert [a.status_code for a in answers] == [200, 200, 200]
    root = wait_until(lambda: next(iter(_roots(bot)), None), what="the thread root")
    assert isinstance(root, dict)
    link = f"archives/{COORDINATION}/p{root['ts'].replace('.', '')}"
    shown_in_acks = [text for text in (_shown(a) for a in answers) if text]
    # The retry is the same submission as the first: when the double made the question, the first and its
    # retry are told once between them; when the first did, its retry and the double are told.
    wait_until(
        lambda: len([t for t in _dms(bot, ZIA) if "You asked this" in t]) + len(shown_in_acks) >= 1,
        what="the repeats shown the first question",
        timeout=10,
    )
    [question] = _questions(bot)
    assert len(_roots(bot)) == 1
    for text in shown_in_acks + [t for t in _dms(bot, ZIA) if "You asked this" in t]:
        assert f"question #{question.id}" in text
        assert link in text or "on its way" in text
    with bot.runtime.session_factory() as session:
        keys = session.exec(select(Submission)).all()
    assert {k.subject for k in keys} == {f"question:{question.id}"}


def test_the_ask_modal_is_acked_before_its_question_is_written(served_bot: RunningBot) -> None:
    """While another writer holds the database, a submission still acks at once; its question follows."""
    bot = served_bot
    view = _ask_view(bot, "V0LOCKED1")
    with bot.runtime.engine.connect() as blocker:
        if blocker.dialect.name == "sqlite":
            blocker.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            blocker.exec_driver_sql("BEGIN")
            blocker.exec_driver_sql("LOCK TABLE question IN EXCLUSIVE MODE")
        started = time.monotonic()
        answer = bot.sender.interaction(_ask_payload(view))
        acked = time.monotonic() - started
        assert answer.status_code == 200
        assert not answer.content
        assert _questions_unlocked(bot, blocker) == 0
        blocker.exec_driver_sql("ROLLBACK")
    assert acked < 1.0, f"the ack waited {acked:.2f} s for the database"
    wait_until(lambda: len(_roots(bot)) == 1, what="the question, once the database is free", timeout=20)


def _questions_unlocked(bot: RunningBot, blocker: Any) -> int:
    """Count questions through the connection holding the lock (any other would wait for it)."""
    return int(blocker.exec_driver_sql("SELECT COUNT(*) FROM question").scalar_one())
