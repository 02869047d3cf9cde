"""Nothing a person types can ping a channel, mention someone or make a link in anything the bot sends.

Hostile text goes into every field people type (questions, escalations, notes, retro answers,
nominations, names and organisations on the roster, command text, pasted links); then every
outgoing Slack call (messages, redraws, App Home, answers and ephemeral replies) is scanned: the
mrkdwn it carries and its notification `text` must hold none of the hostile tokens unescaped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ids import Action, Input
from bot.services import admin, nominations, retros
from bot.types.retros import Feedback
from bot.views.text import escape
from storage.models import Phase, RetroAudience
from tests.conftest import NOW, SQLITE_ONLY, RunningBot, run_at
from tests.flows import (
    CHANNELS,
    MANAGEMENT,
    ask_in_slack,
    open_modal,
    person,
    question_of,
)
from tests.slack_requests import block_action, select_input, text_input, view_submission

ZIA, JBOWMAN, NIMISHA = "U0PILOT01", "U0CHAMP01", "U0MGR0001"
PR = "https://github.com/openedx/edx-platform/pull/4242"
# Each carries a marker that must never appear inside an unescaped `<...>` in anything sent.
CORPUS = [
    "<!channel> please look",
    "<!here|here> and <!everyone>",
    "ping <@U0EVIL001> now",
    "<https://evil.example/login|Sign in to Slack>",
    "<mailto:evil@evil.example|mail me>",
    "<!subteam^S0EVIL|@admins> <#C0EVIL01|general>",
    "&lt;!channel&gt; <<!channel>> <!chan\u200bnel>",
    "*bold* _it_ ~s~ `code` > quote\n<!channel>",
]
HOSTILE = re.compile(
    r"<(?:!channel|!here|!everyone|!subteam|@U0EVIL|#C0EVIL|https?://evil|mailto:evil)", re.I
)


def _mrkdwn(value: Any, *, top: bool = True) -> Iterator[str]:
    """Yield every string Slack reads as mrkdwn in a payload: text objects of type mrkdwn, and `text`."""
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            yield value["text"]
        for key, item in value.items():
            if key == "text" and isinstance(item, str) and top:
                yield item
            elif key in {"blocks", "attachments", "view", "fields", "elements", "accessory", "text"} or (
                isinstance(item, dict | list) and key not in {"metadata", "private_metadata", "state"}
            ):
                yield from _mrkdwn(item, top=False)
    elif isinstance(value, list):
        for item in value:
            yield from _mrkdwn(item, top=False)
    elif isinstance(value, str) and value.startswith(("[", "{")) and top:
        try:
            yield from _mrkdwn(json.loads(value), top=False)
        except ValueError:
            return


def leaks(bot: RunningBot, answers: list[Any]) -> list[str]:
    """Return every outgoing mrkdwn string that carries a hostile token unescaped."""
    found = []
    payloads: list[Any] = [call.args for call in bot.slack.calls() if call.method != "views.open"]
    payloads += list(bot.slack.state.responses) + list(bot.slack.state.home_views.values())
    payloads += [a for a in answers if a]
    for payload in payloads:
        for text in _mrkdwn(payload):
            if HOSTILE.search(text):
                found.append(text)
    return found


def _json(response: Any) -> Any:
    return response.json() if response.content else None


def _drive_slack(bot: RunningBot, evil: str) -> list[Any]:
    """Put `evil` into every field typed through Slack and take the flows to their messages."""
    answers = [_json(bot.sender.command("/cc", evil, user_id=ZIA))]
    answers.append(_json(bot.sender.command("/cc-owners", evil, user_id=ZIA)))
    hostile_link = f"{PR}?q={evil.replace(' ', '+').replace(chr(10), '')}#x"
    root = ask_in_slack(bot, ZIA, url=hostile_link, question=evil, urgency="urgent")
    question_id = str(question_of(bot).id)
    bot.sender.interaction(block_action(Action.CLAIM_QUESTION, question_id, user_id=JBOWMAN, message=root))
    view = open_modal(bot, "/cc-escalate", ZIA)
    values = {
        Input.ESCALATION_SUMMARY.value: text_input(evil[:150]),
        Input.ESCALATION_IMPACT.value: text_input(evil),
        Input.ESCALATION_RELATED.value: text_input(f"{PR}?{''.join(evil.split())[:40]}"),
        Input.URGENCY.value: select_input("urgent"),
    }
    submitted = _json(bot.sender.interaction(view_submission(view, values, user_id=ZIA)))
    assert submitted is None, f"the escalation was refused: {submitted}"
    post = bot.slack.messages(MANAGEMENT)[-1]
    escalation_id = next(e["value"] for b in post["blocks"] if b["type"] == "actions" for e in b["elements"])
    bot.sender.interaction(
        block_action(Action.RESOLVE_ESCALATION, escalation_id, user_id=NIMISHA, message=post)
    )
    resolve = bot.slack.calls("views.open")[-1].args["view"]
    note = {Input.RESOLUTION.value: text_input(evil)}
    answers.append(_json(bot.sender.interaction(view_submission(resolve, note, user_id=NIMISHA))))
    return answers


def _drive_services(bot: RunningBot, evil: str) -> None:
    """Put `evil` into the roster, a nomination and a retro, then run the jobs that send their messages."""
    with bot.runtime.session_factory() as session:
        coordinator = person(session, "cc-coordinator")
        admin.upsert_person(
            session, coordinator, github="hostile-name", name=evil[:100], slack_user_id=None,
            organization=evil[:100], roles=["committer"], repos=["openedx/edx-platform"],
            now=NOW, channels=CHANNELS,
        )  # fmt: skip
        admin.set_phase(
            session, coordinator, phase=Phase.ESTABLISH, nda_required=True, milestones=evil,
            now=NOW, channels=CHANNELS,
        )  # fmt: skip
        nominations.open_nomination(
            session, person(session, "ziafazal"), github="brand-new", name=evil[:100], slack_user_id=None,
            organization=evil[:100], repos=["openedx/edx-platform"], reason=evil, now=NOW,
            rules=bot.runtime.policy.nomination, channels=CHANNELS,
        )  # fmt: skip
        retro, _ = retros.open_retro(
            session, name=evil[:100], closes_on=NOW.date() + dt.timedelta(days=3),
            audience=RetroAudience.ALL, now=NOW, actor="test",
        )  # fmt: skip
        feedback = Feedback(liked=evil, lacked=evil, learned=evil, longed_for=evil, anonymous=False)
        retros.submit_feedback(session, person(session, "ziafazal"), retro.id or 0, feedback, now=NOW)
    for days in (5, 20):
        for job in (
            "outbox_delivery",
            "retro_reminders",
            "nomination_results",
            "weekly_digest",
            "question_nudges",
        ):
            run_at(bot.bot, job, NOW + dt.timedelta(days=days))


@SQLITE_ONLY  # escaping does not depend on the database
@pytest.mark.parametrize("evil", CORPUS)
def test_hostile_text_in_any_field_never_pings_mentions_or_links(bot: RunningBot, evil: str) -> None:
    answers = _drive_slack(bot, evil)
    _drive_services(bot, evil)
    for user in (ZIA, JBOWMAN, NIMISHA, "U0ADMIN01"):
        bot.sender.event(
            {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D0HOME", "event_ts": "1.0"},
            event_id=f"Ev{user}{abs(hash(evil))}",
        )
    assert bot.slack.messages(), "the flows sent messages to scan"
    assert leaks(bot, answers) == []
    sent = json.dumps([c.args for c in bot.slack.calls("chat.postMessage")])
    assert "?q=" not in sent, "a pasted PR link is posted in its canonical form"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from("<>&!@#|^:/.?=_*~`\n abcUEC0"), max_size=60), st.sampled_from(CORPUS))
def test_escaped_text_never_opens_a_mrkdwn_token(noise: str, evil: str) -> None:
    text = escape(noise + evil + noise)
    assert "<" not in text
    assert ">" not in text
    assert HOSTILE.search(text) is None


def test_the_scanner_finds_a_leak_when_there_is_one() -> None:
    leaked = {
        "channel": "C1",
        "text": "hi",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": CORPUS[0]}}],
    }
    assert [t for t in _mrkdwn(leaked) if HOSTILE.search(t)] == [CORPUS[0]]
    plain = {
        "channel": "C1",
        "text": "hi",
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": CORPUS[0]}}],
    }
    assert [t for t in _mrkdwn(plain) if HOSTILE.search(t)] == []


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("https://evil.example","x")', "+cmd", "@SUM(A1)", "-1+1", "\t=1"]
)
def test_an_exported_csv_cell_never_starts_a_spreadsheet_formula(name: str) -> None:
    from bot.services.roster.formats.agreements_csv import CSV_COLUMNS, dump_agreements_csv

    row = dict.fromkeys(CSV_COLUMNS, "")
    row["First Name"], row["GitHub Username"] = name, "someone"
    text = dump_agreements_csv([row])
    cells = [cell for line in csv.reader(io.StringIO(text)) for cell in line]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in cells)
    assert f"'{name}" in cells, "the value is kept, shown as text"


def test_a_nul_byte_and_control_characters_never_reach_a_service(bot: RunningBot) -> None:
    # A NUL is refused by PostgreSQL in text: it is dropped where a typed value is read.
    question = "Is <!channel> safe?\x00 mail me at jane@example.org\x07 " + "x" * 40
    root = ask_in_slack(bot, ZIA, question=question)
    assert "\x00" not in json.dumps(root)
    stored = question_of(bot).text
    assert "\x00" not in stored
    assert "\x07" not in stored
    assert "jane@example.org" in stored, "what the committer typed is kept, only the control characters go"
    assert "&lt;!channel&gt;" in json.dumps(root["blocks"])


def test_five_thousand_characters_are_refused_with_the_limit_named(bot: RunningBot) -> None:
    view = open_modal(bot, "/cc-ask", ZIA)
    values = {
        Input.PR_URL.value: text_input(PR),
        Input.QUESTION.value: text_input("y" * 5000),
        Input.URGENCY.value: select_input("normal"),
    }
    errors = bot.sender.interaction(view_submission(view, values, user_id=ZIA)).json()["errors"]
    assert "2000 characters" in errors[Input.QUESTION.value]
