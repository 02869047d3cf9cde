"""Questions: `/cc-ask` -> modal -> thread root -> replies and buttons, against the fake Slack."""

from __future__ import annotations

import json
import threading
from typing import Any

from sqlmodel import select

from bot.ids import Action, Input
from bot.services.directory import SlackProfile
from bot.types.limits import QUESTION_MAX
from bot.views.questions import ask_modal
from storage.models import Person, Question, QuestionReply, Urgency
from tests.conftest import RunningBot, wait_until
from tests.flows import ask_in_slack, open_modal, question_of, submit_question
from tests.slack_requests import block_action, user_input, view_submission

PR = "https://github.com/openedx/edx-platform/pull/31337"
ZIA = "U0PILOT01"  # champions jbowman (U0CHAMP01) and feanil (U0CHAMP02); manager nimisha
JBOWMAN, FEANIL, ORMSBEE = "U0CHAMP01", "U0CHAMP02", "U0CHAMP03"
COORDINATION = "C0COORD01"


def _open_modal(bot: RunningBot, text: str = "", user_id: str = ZIA) -> dict[str, Any]:
    return open_modal(bot, "/cc-ask", user_id, text)


def _submit(
    bot: RunningBot, view: dict[str, Any], *, url: str, question: str, urgency: str = "normal"
) -> Any:
    return submit_question(bot, view, ZIA, url=url, question=question, urgency=urgency)


def _ask(bot: RunningBot, urgency: str = "normal") -> dict[str, Any]:
    return ask_in_slack(bot, ZIA, urgency=urgency)


def _root(bot: RunningBot) -> dict[str, Any]:
    return bot.slack.messages(COORDINATION)[0]


_question = question_of


def _reply_event(
    root: dict[str, Any], user: str, ts: str, text: str = "Yes, make it async."
) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": root["channel"],
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": root["ts"],
        "channel_type": "channel",
        "event_ts": ts,
    }


def test_ask_posts_a_thread_for_both_champions_and_a_champion_reply_answers_it(bot: RunningBot) -> None:
    view = _open_modal(bot, f"{PR} Should the new signal be async?")
    fields = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert fields[Input.PR_URL.value]["initial_value"] == PR
    assert fields[Input.QUESTION.value]["initial_value"] == "Should the new signal be async?"

    assert (
        _submit(bot, view, url=PR, question="Should the new <!channel> signal be async?").status_code == 200
    )
    root = wait_until(lambda: next(iter(bot.slack.messages(COORDINATION)), None), what="thread root")
    assert isinstance(root, dict)
    posted = json.dumps(root["blocks"])
    assert f"<@{ZIA}>" in posted
    assert f"<@{JBOWMAN}>" in posted
    assert f"<@{FEANIL}>" in posted
    assert "openedx/edx-platform#31337" in posted
    assert "<!channel>" not in posted, "user text must not become a mention"
    assert "&lt;!channel&gt;" in posted
    action_ids = {e["action_id"] for b in root["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert action_ids == {
        Action.CLAIM_QUESTION,
        Action.ANSWER_QUESTION,
        Action.HAND_OFF_QUESTION,
        Action.WAIT_ON_COMMITTER,
        Action.ESCALATE_QUESTION,
    }

    confirmation = wait_until(lambda: bot.slack.messages(ZIA), what="confirmation DM")
    assert isinstance(confirmation, list)
    assert "archives/C0COORD01/p" in confirmation[0]["text"], "the asker gets the thread's permalink"
    assert not bot.slack.messages(JBOWMAN), "a normal question DMs nobody but the asker"

    event = _reply_event(root, JBOWMAN, "1790000000.000100")
    assert bot.sender.event(event, event_id="Ev0REPLY01").status_code == 200
    wait_until(lambda: "Answered" in json.dumps(_root(bot)["blocks"]), what="root updated")
    question = _question(bot)
    assert question.state == "answered"
    assert question.first_response_at is not None
    assert "Answered* by <@U0CHAMP01> in" in json.dumps(_root(bot)["blocks"])

    updates = len(bot.slack.calls("chat.update"))
    assert bot.sender.event(event, event_id="Ev0REPLY01", retry=1).status_code == 200
    assert bot.sender.event(event, event_id="Ev0REPLY01", retry=2).status_code == 200
    with bot.runtime.session_factory() as session:
        assert len(session.exec(select(QuestionReply)).all()) == 1
    assert len(bot.slack.calls("chat.update")) == updates, "a retried event has no second effect"


def test_a_bad_url_and_an_empty_question_come_back_as_field_errors(bot: RunningBot) -> None:
    view = _open_modal(bot)
    response = _submit(bot, view, url="https://github.com/openedx/edx-platform/issues/12", question="  ")
    assert response.status_code == 200
    body = response.json()
    assert body["response_action"] == "errors"
    assert "pull request link" in body["errors"][Input.PR_URL.value]
    assert Input.QUESTION.value in body["errors"]
    assert not bot.slack.messages(COORDINATION)
    with bot.runtime.session_factory() as session:
        assert session.exec(select(Question)).all() == []


def _refusal(bot: RunningBot, user_id: str, key: str) -> str:
    response = bot.sender.command("/cc-ask", PR, user_id=user_id, response_url=bot.slack.response_url(key))
    assert response.status_code == 200
    answers = wait_until(lambda: [r for r in bot.slack.state.responses if r["key"] == key], what="refusal")
    assert isinstance(answers, list)
    assert answers[0]["response_type"] == "ephemeral"
    return str(answers[0]["text"])


def test_an_onboarding_committer_is_told_what_is_missing(bot: RunningBot) -> None:
    text = _refusal(bot, "U0PILOT09", "onboarding")
    assert "onboarding" in text
    assert "NDA / program agreement: not signed yet" in text
    assert not bot.slack.calls("views.open")


def test_a_champion_and_a_stranger_cannot_ask(bot: RunningBot) -> None:
    assert "for core committers" in _refusal(bot, JBOWMAN, "champion")
    assert "not on the Core Committer roster" in _refusal(bot, "U0NOBODY1", "stranger")


def test_urgent_questions_dm_both_champions(bot: RunningBot) -> None:
    _ask(bot, urgency="urgent")
    for champion in (JBOWMAN, FEANIL):
        dm = wait_until(lambda c=champion: bot.slack.messages(c), what=f"urgent DM to {champion}")
        assert isinstance(dm, list)
        assert "urgent" in dm[0]["text"]
    assert "URGENT" in json.dumps(_root(bot)["blocks"])


def test_another_committer_cannot_claim_and_a_champion_can(bot: RunningBot) -> None:
    root = _ask(bot)
    question_id = str(_question(bot).id)
    refused = bot.sender.interaction(
        block_action(
            Action.CLAIM_QUESTION,
            question_id,
            user_id="U0PILOT02",
            message=root,
            response_url=bot.slack.response_url("cc"),
        )
    )
    assert refused.status_code == 200
    reply = wait_until(lambda: [r for r in bot.slack.state.responses if r["key"] == "cc"], what="refusal")
    assert isinstance(reply, list)
    assert "Only the committer's champions" in reply[0]["text"]
    assert _question(bot).claimed_by_id is None

    bot.sender.interaction(block_action(Action.CLAIM_QUESTION, question_id, user_id=FEANIL, message=root))
    wait_until(lambda: "Claimed" in json.dumps(_root(bot)["blocks"]), what="claimed state")
    assert "Claimed* by <@U0CHAMP02>" in json.dumps(_root(bot)["blocks"])


def test_hand_off_to_another_champion_makes_them_the_claimant(bot: RunningBot) -> None:
    root = _ask(bot)
    question_id = str(_question(bot).id)
    opened = len(bot.slack.calls("views.open"))
    bot.sender.interaction(block_action(Action.HAND_OFF_QUESTION, question_id, user_id=JBOWMAN, message=root))
    wait_until(lambda: len(bot.slack.calls("views.open")) > opened, what="hand-off modal")
    modal = bot.slack.calls("views.open")[-1].args["view"]
    select_block = next(b for b in modal["blocks"] if b["type"] == "input")
    assert select_block["element"]["initial_user"] == FEANIL, "the other champion is suggested first"

    payload = view_submission(modal, {Input.HAND_OFF_TO.value: user_input(ORMSBEE)}, user_id=JBOWMAN)
    assert bot.sender.interaction(payload).status_code == 200
    wait_until(lambda: "Claimed* by <@U0CHAMP03>" in json.dumps(_root(bot)["blocks"]), what="hand-off shown")
    note = wait_until(
        lambda: [m for m in bot.slack.messages(COORDINATION) if m.get("thread_ts") == root["ts"]],
        what="thread note",
    )
    assert isinstance(note, list)
    assert "handed this question to <@U0CHAMP03>" in note[0]["text"]
    context = json.dumps([b for b in _root(bot)["blocks"] if b["type"] == "context"], ensure_ascii=False)
    assert "Now with <@U0CHAMP03> · first routed to" in context, "the root says who has it now"

    to_asker = view_submission(modal, {Input.HAND_OFF_TO.value: user_input(ZIA)}, user_id=JBOWMAN)
    errors = bot.sender.interaction(to_asker).json()["errors"]
    assert "cannot answer their own question" in errors[Input.HAND_OFF_TO.value]


def test_only_its_responders_managers_and_admins_may_hand_a_question_off(bot: RunningBot) -> None:
    root = _ask(bot)
    question_id = str(_question(bot).id)
    # ormsbee is a champion and a technical owner, but this question went to jbowman and feanil.
    refused = block_action(
        Action.HAND_OFF_QUESTION,
        question_id,
        user_id=ORMSBEE,
        message=root,
        response_url=bot.slack.response_url("ormsbee"),
    )
    opened = len(bot.slack.calls("views.open"))
    assert bot.sender.interaction(refused).status_code == 200
    reply = wait_until(
        lambda: [r for r in bot.slack.state.responses if r["key"] == "ormsbee"], what="refusal"
    )
    assert isinstance(reply, list)
    assert "Only the champions this question went to" in reply[0]["text"]
    assert len(bot.slack.calls("views.open")) == opened, "no hand-off form for a bystander"

    # A hand-off form submitted by a bystander (a stale or forged modal) changes nothing either.
    bot.sender.interaction(block_action(Action.HAND_OFF_QUESTION, question_id, user_id=JBOWMAN, message=root))
    wait_until(lambda: len(bot.slack.calls("views.open")) > opened, what="hand-off modal")
    modal = bot.slack.calls("views.open")[-1].args["view"]
    forged = view_submission(modal, {Input.HAND_OFF_TO.value: user_input(ORMSBEE)}, user_id=ORMSBEE)
    assert "Only the champions this question went to" in json.dumps(bot.sender.interaction(forged).json())
    assert _question(bot).claimed_by_id is None

    # The manager may; then the new claimant, though not routed to, may pass it on.
    by_manager = view_submission(modal, {Input.HAND_OFF_TO.value: user_input(ORMSBEE)}, user_id="U0MGR0001")
    assert bot.sender.interaction(by_manager).status_code == 200
    wait_until(
        lambda: "Claimed* by <@U0CHAMP03>" in json.dumps(_root(bot)["blocks"]), what="handed to ormsbee"
    )
    by_claimant = view_submission(modal, {Input.HAND_OFF_TO.value: user_input(FEANIL)}, user_id=ORMSBEE)
    assert bot.sender.interaction(by_claimant).status_code == 200
    wait_until(
        lambda: "Claimed* by <@U0CHAMP02>" in json.dumps(_root(bot)["blocks"]), what="handed to feanil"
    )
    context = json.dumps([b for b in _root(bot)["blocks"] if b["type"] == "context"], ensure_ascii=False)
    assert "Now with" not in context, "back with a champion it was routed to: the root names them as before"


def test_the_asker_reopens_an_answered_question_by_replying(bot: RunningBot) -> None:
    root = _ask(bot)
    question_id = str(_question(bot).id)
    bot.sender.interaction(block_action(Action.ANSWER_QUESTION, question_id, user_id=FEANIL, message=root))
    wait_until(lambda: _question(bot).state == "answered", what="answered")
    bot.sender.event(_reply_event(root, ZIA, "1790000000.000200", "One more thing..."), event_id="Ev0REOPEN1")
    wait_until(lambda: _question(bot).state == "open", what="reopened")
    assert "reopened" in json.dumps(_root(bot)["blocks"])


def test_a_reply_outside_question_threads_is_ignored(bot: RunningBot) -> None:
    event = {
        "type": "message",
        "channel": "C0GENERAL",
        "user": JBOWMAN,
        "text": "hi",
        "ts": "1790000000.000300",
    }
    assert bot.sender.event(event, event_id="Ev0PLAIN01").status_code == 200
    thread_event = dict(event, thread_ts="1780000000.000001", ts="1790000000.000301")
    assert bot.sender.event(thread_event, event_id="Ev0PLAIN02").status_code == 200
    with bot.runtime.session_factory() as session:
        assert session.exec(select(QuestionReply)).all() == []


class _GatedDirectory:
    """A Slack directory whose user lookups wait until the test lets them through."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.waited: list[bool] = []

    def lookup_by_email(self, email: str) -> SlackProfile | None:
        return self.inner.lookup_by_email(email)

    def user_info(self, user_id: str) -> SlackProfile | None:
        self.waited.append(self.gate.wait(timeout=5))
        return self.inner.user_info(user_id)


def test_cc_ask_acks_before_a_new_slack_user_is_looked_up_then_links_them_and_opens_the_modal(
    served_bot: RunningBot,
) -> None:
    bot = served_bot
    with bot.runtime.session_factory() as session:
        zia = session.exec(select(Person).where(Person.slack_user_id == ZIA)).one()
        zia.slack_user_id = None  # as if Zia had joined Slack under a new account
        session.add(zia)
        session.commit()
    bot.slack.add_user("U0ZIANEW1", email="Zia.Fazal@example.org")
    directory = _GatedDirectory(bot.runtime.directory)
    bot.runtime.directory = directory

    response = bot.sender.command("/cc-ask", f"{PR} Is this safe?", user_id="U0ZIANEW1")

    # The ack came back while the Slack lookup was held (held before the ack, it would time out: a 404).
    assert response.status_code == 200
    directory.gate.set()
    wait_until(lambda: bot.slack.calls("views.open"), what="the ask modal")
    assert directory.waited == [True]
    view = bot.slack.calls("views.open")[-1].args["view"]
    fields = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert fields[Input.PR_URL.value]["initial_value"] == PR
    with bot.runtime.session_factory() as session:
        assert (
            session.exec(select(Person).where(Person.slack_user_id == "U0ZIANEW1")).one().github == zia.github
        )


def test_one_ask_modal_prefill_never_leaks_into_the_next(bot: RunningBot) -> None:
    # The modal is built once and filled per request: each request's values must stay its own.
    long_question = "x" * (QUESTION_MAX + 50)
    first = _open_modal(bot, f"{PR} {long_question}")
    second = _open_modal(bot, "")
    filled = {b["block_id"]: b["element"] for b in first["blocks"] if b["type"] == "input"}
    empty = {b["block_id"]: b["element"] for b in second["blocks"] if b["type"] == "input"}
    assert filled[Input.PR_URL.value]["initial_value"] == PR
    assert filled[Input.QUESTION.value]["initial_value"] == "x" * QUESTION_MAX
    assert "initial_value" not in empty[Input.PR_URL.value]
    assert "initial_value" not in empty[Input.QUESTION.value]
    assert empty[Input.URGENCY.value]["initial_option"]["value"] == "normal"
    assert ask_modal(urgency=Urgency.URGENT)["blocks"][2]["element"]["initial_option"]["value"] == "urgent"
    assert ask_modal()["blocks"][2]["element"]["initial_option"]["value"] == "normal"


def test_waiting_on_the_committer_hands_the_turn_back_until_the_asker_replies(bot: RunningBot) -> None:
    from storage.models import QuestionTurn, Turn

    root = _ask(bot)
    question_id = str(_question(bot).id)
    refused = bot.sender.interaction(
        block_action(
            Action.WAIT_ON_COMMITTER,
            question_id,
            user_id=ZIA,
            message=root,
            response_url=bot.slack.response_url("wait"),
        )
    )
    assert refused.status_code == 200
    reply = wait_until(lambda: [r for r in bot.slack.state.responses if r["key"] == "wait"], what="refusal")
    assert isinstance(reply, list)
    assert "Only the committer's champions" in reply[0]["text"]

    bot.sender.interaction(block_action(Action.WAIT_ON_COMMITTER, question_id, user_id=JBOWMAN, message=root))
    wait_until(lambda: "waiting on <@U0PILOT01>" in json.dumps(_root(bot)["blocks"]), what="root redrawn")
    question = _question(bot)
    assert (question.turn, question.state) == (Turn.COMMITTER, "open")
    assert question.first_response_at is not None, "handing the turn back is a response"
    ids = {e["action_id"] for b in _root(bot)["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert Action.WAIT_ON_COMMITTER not in ids, "the button shows only on the champions' turn"
    thread = [m for m in bot.slack.messages(COORDINATION) if m.get("thread_ts") == root["ts"]]
    assert "is waiting on <@U0PILOT01>: over to you" in thread[-1]["text"]

    bot.sender.event(
        _reply_event(root, ZIA, "1790000000.000300", "Here is the log <!here>"), event_id="Ev0TURN01"
    )
    wait_until(lambda: _question(bot).turn == Turn.CHAMPIONS, what="back on the champions' turn")
    blocks = json.dumps(_root(bot)["blocks"])
    assert "waiting on the champions" in blocks
    assert Action.WAIT_ON_COMMITTER.value in blocks
    with bot.runtime.session_factory() as session:
        turns = session.exec(select(QuestionTurn).order_by(QuestionTurn.id)).all()  # type: ignore[arg-type]
        assert [(t.turn, t.ended_at is None) for t in turns] == [
            (Turn.CHAMPIONS, False),
            (Turn.COMMITTER, False),
            (Turn.CHAMPIONS, True),
        ]


def test_a_nudge_dm_is_rated_by_its_buttons_and_redrawn(bot: RunningBot) -> None:
    import datetime as dt

    from storage.models import NudgeRecipient

    _ask(bot)
    question_id = _question(bot).id
    later = bot.bot.runtime.clock() + dt.timedelta(days=7)
    bot.bot.run_job("question_nudges", now=later)
    bot.bot.run_job("question_nudges", now=later)
    dm = wait_until(lambda: bot.slack.messages(FEANIL), what="the second champion's nudge")
    assert isinstance(dm, list)
    value = f"{question_id}:2"
    bot.sender.interaction(block_action(Action.NUDGE_HELPFUL, value, user_id=FEANIL, message=dm[0]))
    wait_until(
        lambda: "rated this nudge *helpful*" in json.dumps(bot.slack.messages(FEANIL)[0]["blocks"]),
        what="redraw",
    )
    bot.sender.interaction(block_action(Action.NUDGE_NOT_HELPFUL, value, user_id=FEANIL, message=dm[0]))
    wait_until(
        lambda: "rated this nudge *not helpful*" in json.dumps(bot.slack.messages(FEANIL)[0]["blocks"]),
        what="changed rating",
    )
    bot.sender.interaction(
        block_action(
            Action.NUDGE_HELPFUL,
            value,
            user_id=JBOWMAN,
            message=dm[0],
            response_url=bot.slack.response_url("rate"),
        )
    )
    reply = wait_until(lambda: [r for r in bot.slack.state.responses if r["key"] == "rate"], what="refusal")
    assert isinstance(reply, list)
    assert "sent to someone else" in reply[0]["text"]
    with bot.runtime.session_factory() as session:
        rows = session.exec(select(NudgeRecipient)).all()
        assert [(r.step, r.rating) for r in rows] == [(2, "not_helpful")]
