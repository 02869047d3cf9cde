"""One builder makes every notification text: `bot.views.text.mrkdwn` and its helpers, from escaped parts.

The type `Mrkdwn` is made only in bot/views/text.py; the outbox and every reply path take it (mypy refuses a
raw `str`); handlers reply only through the helpers that require it. The findings this closed each have a test:
a delivery failure's reason and a forged users-select value used to reach a message unescaped.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.handlers.state import selected_user
from bot.ids import Action
from bot.services.errors import FieldErrors
from bot.services.outbox import DeliveryFailed, Outgoing, deliver_pending, queue_failure_notice
from bot.views.text import Mrkdwn, clip, escape, join, link, mention, mrkdwn, person_ref
from storage.models import OutboxMessage, Person
from tests.conftest import NOW, SQLITE_ONLY, RunningBot, load_pilot, run_at
from tests.flows import FakeMessenger, ask, ask_in_slack
from tests.slack_requests import block_action
from tests.test_injection import CORPUS, HOSTILE

ROOT = Path(__file__).resolve().parent.parent


@given(st.text(max_size=80), st.sampled_from(CORPUS))
def test_every_part_of_a_notification_is_escaped_unless_the_bot_made_it(noise: str, evil: str) -> None:
    built = mrkdwn(
        "Nomination #{n}: {who} for {repos}", n=7, who=noise + evil, repos=join(", ", [evil, noise])
    )
    assert isinstance(built, Mrkdwn)
    assert HOSTILE.search(built) is None
    assert "<" not in built.replace("&lt;", "")
    kept = mrkdwn("{who} asked", who=mention("U0PILOT01"))
    assert kept == "<@U0PILOT01> asked", "a mention the bot made goes in as it is"


def test_what_is_done_to_mrkdwn_as_a_string_is_a_string_again() -> None:
    text = mrkdwn("Hello {who}", who="<!channel>")
    assert type(text + "<!channel>") is str
    assert type(text[:3]) is str
    assert type(f"{text}") is str


@pytest.mark.parametrize(
    "url",
    [
        "https://ci.example.org/run?a=1|Sign in>",
        "https://ci.example.org/<!channel>",
        "https://ci.example.org/a>b<@U0EVIL001>",
    ],
)
def test_a_link_url_cannot_end_the_token_or_carry_one(url: str) -> None:
    built = link(url, "the pipeline run")
    assert built.startswith("<https://ci.example.org/")
    assert built.endswith("|the pipeline run>")
    assert built.count("|") == 1
    assert built.count("<") == 1
    assert built.count(">") == 1


def test_a_mention_keeps_only_an_id() -> None:
    assert mention("U0PILOT01") == "<@U0PILOT01>"
    assert mention("<!channel> x|y>") == "<@channelxy>"


def test_a_person_without_slack_is_named_escaped() -> None:
    person = Person(github="evil", name="<!channel> & co", email="e@example.org")
    assert person_ref(person) == "&lt;!channel&gt; &amp; co (`evil`)"


def test_clipping_never_cuts_an_entity_or_a_token_in_half() -> None:
    text = mrkdwn("{a} {link}", a="x" * 10, link=link("https://example.org/abc", "label"))
    for limit in range(5, len(text)):
        cut = clip(text, limit)
        assert len(cut) <= limit
        assert cut.count("<") == cut.count(">")
    escaped = escape("&" * 20)
    for limit in range(2, 40):
        cut = clip(escaped, limit)
        assert cut.rstrip("…").endswith(";") or cut in {"…", ""}


def _python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def test_only_the_text_module_makes_mrkdwn() -> None:
    makers = []
    for path in _python_files("bot", "storage"):
        if path == ROOT / "bot" / "views" / "text.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Mrkdwn":
                makers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert makers == []


def test_handlers_reply_only_through_the_helpers_that_take_mrkdwn() -> None:
    """`respond(...)`, `say(...)` and an `ack(text=...)` take any string: only answer.py's helpers call them."""
    direct = []
    for path in [*_python_files("bot/handlers"), ROOT / "bot" / "errors.py"]:
        if path.name == "answer.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            texts = [k for k in node.keywords if k.arg == "text"]
            if node.func.id in {"respond", "say"} or (node.func.id == "ack" and texts):
                direct.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert direct == []


def test_the_outbox_and_its_builders_ask_for_mrkdwn() -> None:
    import inspect

    from bot.services import outbox

    for builder in (outbox.dm, outbox.post, outbox.reply, outbox.redraw, outbox.tell_user):
        hints = inspect.get_annotations(builder, eval_str=True)
        assert hints["text"] is Mrkdwn, builder.__name__
    assert "Mrkdwn" in str(inspect.get_annotations(Outgoing, eval_str=True)["text"])


# -- the findings ---------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_a_delivery_failure_reason_reaches_the_admins_escaped(session: Session) -> None:
    load_pilot(session)
    keys = queue_failure_notice(
        session,
        [("question-root:1", "invalid_blocks: <!channel> <@U0EVIL001>")],
        now=NOW,
        admins=["U0ADMIN01"],
    )
    [message] = session.exec(select(OutboxMessage).where(OutboxMessage.key == keys[0])).all()
    assert HOSTILE.search(message.text) is None
    assert "&lt;!channel&gt;" in message.text


@SQLITE_ONLY
def test_the_reason_a_question_could_not_be_posted_reaches_the_asker_escaped(session: Session) -> None:
    load_pilot(session)
    refused = FakeMessenger({"C0COORD01": DeliveryFailed("not_in_channel <!channel>", permanent=True)})
    ask(session, "ziafazal", now=NOW, messenger=refused)
    deliver_pending(session, refused, now=NOW + dt.timedelta(minutes=1))
    [told] = [m for m in refused.posted if m["channel"] == "U0PILOT01"]
    assert "I saved your question" in told["text"]
    assert HOSTILE.search(told["text"]) is None
    assert "&lt;!channel&gt;" in told["text"]


@pytest.mark.parametrize(
    "forged", ["<!channel>", "U0EVIL001> <!here", "<@U0EVIL001>", "C0CHANNEL1", "u0lower"]
)
def test_a_users_select_holding_anything_but_a_user_id_is_a_field_error(forged: str) -> None:
    view = {"state": {"values": {"slack": {"slack": {"type": "users_select", "selected_user": forged}}}}}
    from bot.ids import Input

    with pytest.raises(FieldErrors) as refused:
        selected_user(view, Input.SLACK_USER)
    assert Input.SLACK_USER.value in refused.value.errors
    ok = {"state": {"values": {"slack": {"slack": {"type": "users_select", "selected_user": "U0PILOT01"}}}}}
    assert selected_user(ok, Input.SLACK_USER) == "U0PILOT01"


@SQLITE_ONLY
def test_plain_words_come_out_as_typed_never_escaped_twice(bot: RunningBot) -> None:
    """Escaping happens once: text without `&`, `<` or `>` reaches Slack without a single entity."""
    ask_in_slack(
        bot, "U0PILOT01", question="Does the grades page need a backfill? It's slow.", urgency="urgent"
    )
    root = bot.slack.messages("C0COORD01")[0]
    bot.sender.interaction(block_action(Action.CLAIM_QUESTION, root["blocks"][-1]["elements"][0]["value"],
                                        user_id="U0CHAMP01", message=root))  # fmt: skip
    for days in (1, 3, 8):
        run_at(bot.bot, "question_nudges", NOW + dt.timedelta(days=days))
        run_at(bot.bot, "weekly_digest", NOW + dt.timedelta(days=days))
    texts = [
        str(call.args.get("text") or "") for call in bot.slack.calls() if call.method.startswith("chat.")
    ]
    assert texts, "the flow sent messages"
    assert [t for t in texts if "&amp;" in t or "&lt;" in t or "&gt;" in t] == []
    assert any("<@U0CHAMP01>" in t for t in texts), "mentions the bot makes stay mentions"
