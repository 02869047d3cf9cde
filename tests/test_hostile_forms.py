"""Hostile text through every field of every form the bot opens, then everything it sends is scanned.

The forms are found, not listed: every modal a `ViewId` names is opened through Slack as a person would open
it, and every input block in it is filled, one at a time, with hostile text (as Slack would send it, and forged
past the field's limits: 5,000 characters, a NUL, options and dates that were never offered). The test fails
when a `ViewId` has no way to open it here, or when an opened modal has an input nobody filled. Then the jobs
run, App Home and `/cc` are opened, and every Slack call (posts, updates, App Home, modals, ephemeral answers,
acks), the log lines and the console's screen are checked: no `<!channel>`, mention or link a person typed
gets through unescaped, no typed GitHub handle other than a real login is accepted, and nothing fails.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.console.shell import Console
from bot.ids import Action, Input, ViewId
from bot.logs import configure_logging
from bot.services import admin, nominations, retros
from bot.services.errors import FieldErrors
from bot.settings import load_settings
from bot.types.policy import NominationRules
from storage.models import Escalation, Phase, Question, RetroAudience
from tests.conftest import NOW, PILOT_ROSTER, RunningBot, run_at, wait_until
from tests.flows import CHANNELS, PR, ask_in_slack, open_modal, person
from tests.slack_requests import block_action, view_submission
from tests.test_injection import HOSTILE, _mrkdwn

ZIA, JBOWMAN, FEANIL, NIMISHA, ADMIN = "U0PILOT01", "U0CHAMP01", "U0CHAMP02", "U0MGR0001", "U0ADMIN01"
# Every token a person could try at once: a channel ping, a mention, a disguised link, an e-mail, a NUL.
EVIL = "<!channel> <@U0EVIL001> <https://evil.example/login|Sign in> evil@evil.example\x00 <!here> &"
# Forged past every limit: 5,000 characters.
LONG = ("<!channel> <https://evil.example|x> " * 150)[:5000]
assert len(LONG) == 5000
# Fields where a GitHub login is typed: each must refuse anything that is not one.
HANDLE_FIELDS = {
    (ViewId.NOMINATE, Input.GITHUB),
    (ViewId.ADMIN_PERSON, Input.GITHUB),
    (ViewId.ADMIN_CHAMPIONS, Input.ESCALATION_COMMITTER),
    (ViewId.ADMIN_CHAMPIONS, Input.CHAMPIONS),
    (ViewId.ADMIN_REMOVE, Input.ESCALATION_COMMITTER),
    (ViewId.ADMIN_AWAY, Input.GITHUB),
    (ViewId.ADMIN_REINSTATE, Input.GITHUB),
}
JOBS = (
    "outbox_delivery",
    "question_nudges",
    "escalation_reminders",
    "retro_reminders",
    "nomination_results",
    "weekly_digest",
    "agreement_expiry_reminders",
    "onboarding_reminders",
    "renewal_reminders",
    "inactivity_review",
)
GENERIC_ERROR = "something went wrong on my side"


# -- filling a modal --------------------------------------------------------------------------------


def inputs(view: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a modal's input blocks."""
    return [block for block in view.get("blocks", []) if block.get("type") == "input"]


def state_value(element: dict[str, Any], value: str, *, forged: bool) -> dict[str, Any]:
    """Return what Slack sends for an element holding `value` (cut to its limit unless `forged`)."""
    kind = element["type"]
    if kind == "plain_text_input":
        limit = element.get("max_length")
        return {"type": kind, "value": value if forged or not limit else value[:limit]}
    if kind in {"static_select", "radio_buttons"}:
        return {
            "type": kind,
            "selected_option": {"value": value, "text": {"type": "plain_text", "text": "x"}},
        }
    if kind == "users_select":
        return {"type": kind, "selected_user": value}
    if kind == "checkboxes":
        return {"type": kind, "selected_options": [{"value": value}]}
    if kind == "datepicker":
        return {"type": kind, "selected_date": value}
    raise AssertionError(f"an input of a kind this test cannot fill yet: {kind}")


def option(view: dict[str, Any], block_id: str, contains: str = "") -> dict[str, Any]:
    """Return the state of a select holding its first option (whose label contains `contains`)."""
    element = next(b["element"] for b in inputs(view) if b["block_id"] == block_id)
    chosen = next(o for o in element["options"] if contains in json.dumps(o))
    return {"type": element["type"], "selected_option": chosen}


def text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def date(value: str) -> dict[str, Any]:
    return {"type": "datepicker", "selected_date": value}


def checked(*values: str) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": [{"value": v} for v in values]}


def submission(view: dict[str, Any], values: dict[str, dict[str, Any]], user_id: str) -> dict[str, Any]:
    """Return a view_submission carrying `values` under each input's own block and action ids."""
    payload = view_submission(view, {}, user_id=user_id)
    payload["view"]["state"]["values"] = {
        block["block_id"]: {block["element"]["action_id"]: values[block["block_id"]]}
        for block in inputs(view)
        if block["block_id"] in values
    }
    return payload


# -- how each form is opened, and what it holds when filled in properly ----------------------------------

Opener = Callable[[RunningBot, int], dict[str, Any]]
Valid = Callable[[dict[str, Any], int], dict[str, dict[str, Any]]]


@dataclass(frozen=True)
class Form:
    """One modal: who submits it, how it is opened (afresh for each submission), and valid values."""

    user: str
    open: Opener
    valid: Valid


def _opened(bot: RunningBot, before: int, what: str) -> dict[str, Any]:
    wait_until(lambda: len(bot.slack.calls("views.open")) > before, what=what)
    return dict(bot.slack.calls("views.open")[-1].args["view"])


def _command(command: str, user: str) -> Opener:
    def open_it(bot: RunningBot, _n: int) -> dict[str, Any]:
        return open_modal(bot, command, user)

    return open_it


def _click(action: Action, value: Callable[[RunningBot, int], str], user: str) -> Opener:
    def open_it(bot: RunningBot, n: int) -> dict[str, Any]:
        before = len(bot.slack.calls("views.open"))
        bot.sender.interaction(block_action(action, value(bot, n), user_id=user))
        return _opened(bot, before, f"{action} modal")

    return open_it


def _admin_form(view_id: ViewId) -> Opener:
    def open_it(bot: RunningBot, _n: int) -> dict[str, Any]:
        menu = bot.sender.command("/cc-admin", user_id=ADMIN).json()
        button = next(
            e
            for b in menu["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["value"] == view_id
        )
        before = len(bot.slack.calls("views.open"))
        bot.sender.interaction(block_action(button["action_id"], button["value"], user_id=ADMIN))
        return _opened(bot, before, f"{view_id} modal")

    return open_it


def _question_id(bot: RunningBot, _n: int) -> str:
    with bot.runtime.session_factory() as session:
        return str(session.exec(select(Question.id).order_by(Question.id)).first())


def _fresh_escalation(bot: RunningBot, n: int) -> str:
    """Raise a new escalation through Slack (one per submission: resolving is once) and return its id."""
    view = open_modal(bot, "/cc-escalate", ZIA)
    values = {
        Input.ESCALATION_SUMMARY.value: text(f"Blocked on review {n}"),
        Input.ESCALATION_IMPACT.value: text("The release waits."),
        Input.URGENCY.value: option(view, Input.URGENCY.value),
    }
    assert not bot.sender.interaction(submission(view, values, ZIA)).content
    with bot.runtime.session_factory() as session:
        return str(session.exec(select(Escalation.id).order_by(Escalation.id.desc())).first())  # type: ignore[union-attr]


def _spare(n: int) -> str:
    return f"spare-{n}"


FORMS: dict[ViewId, Form] = {
    ViewId.ASK: Form(
        ZIA,
        _command("/cc-ask", ZIA),
        lambda v, n: {
            Input.PR_URL.value: text(PR),
            Input.QUESTION.value: text(f"Is this safe to merge? ({n})"),
            Input.URGENCY.value: option(v, Input.URGENCY.value),
        },
    ),
    ViewId.HAND_OFF: Form(
        JBOWMAN,
        _click(Action.HAND_OFF_QUESTION, _question_id, JBOWMAN),
        lambda v, n: {Input.HAND_OFF_TO.value: {"type": "users_select", "selected_user": FEANIL}},
    ),
    ViewId.ESCALATE: Form(
        JBOWMAN,
        _command("/cc-escalate", JBOWMAN),
        lambda v, n: {
            Input.ESCALATION_COMMITTER.value: option(v, Input.ESCALATION_COMMITTER.value, "ziafazal"),
            Input.ESCALATION_SUMMARY.value: text(f"No reviewer ({n})"),
            Input.ESCALATION_IMPACT.value: text("The release waits."),
            Input.ESCALATION_RELATED.value: text(PR),
            Input.URGENCY.value: option(v, Input.URGENCY.value),
        },
    ),
    ViewId.RESOLVE_ESCALATION: Form(
        NIMISHA,
        _click(Action.RESOLVE_ESCALATION, _fresh_escalation, NIMISHA),
        lambda v, n: {Input.RESOLUTION.value: text("Kyle reviews it tomorrow.")},
    ),
    ViewId.REASSIGN_ESCALATION: Form(
        NIMISHA,
        _click(Action.REASSIGN_ESCALATION, _fresh_escalation, NIMISHA),
        lambda v, n: {
            Input.REASSIGN_TO.value: option(v, Input.REASSIGN_TO.value, "eng-director")
            if "options" in next(b["element"] for b in inputs(v))
            else text("eng-director")
        },
    ),
    ViewId.RETRO: Form(
        ZIA,
        _command("/cc-retro", ZIA),
        lambda v, n: {
            Input.LIKED.value: text("The champions."),
            Input.LACKED.value: text("Time."),
            Input.LEARNED.value: text("Patience."),
            Input.LONGED_FOR.value: text("More reviews."),
        },
    ),
    ViewId.NOMINATE: Form(
        ZIA,
        _command("/cc-nominate", ZIA),
        lambda v, n: {
            Input.GITHUB.value: text(f"newbie-{n}"),
            Input.NAME.value: text("New Person"),
            Input.ORGANIZATION.value: text("OpenCraft"),
            Input.REPOS.value: text("openedx/edx-platform"),
            Input.REASON.value: text("Great reviews."),
        },
    ),
    ViewId.ADMIN_PHASE: Form(
        ADMIN,
        _admin_form(ViewId.ADMIN_PHASE),
        lambda v, n: {
            Input.PHASE.value: option(v, Input.PHASE.value, "establish"),
            Input.MILESTONES.value: text("All repos mapped by March."),
        },
    ),
    ViewId.ADMIN_AGREEMENT: Form(
        ADMIN,
        _admin_form(ViewId.ADMIN_AGREEMENT),
        lambda v, n: {
            Input.HOLDER.value: text("ziafazal"),
            Input.KIND.value: option(v, Input.KIND.value, "individual"),
            Input.SIGNED.value: date("2026-11-01"),
            Input.EXPIRES.value: date("2027-11-01"),
        },
    ),
    ViewId.ADMIN_CHAMPIONS: Form(
        ADMIN,
        _admin_form(ViewId.ADMIN_CHAMPIONS),
        lambda v, n: {
            Input.ESCALATION_COMMITTER.value: text("ziafazal"),
            Input.CHAMPIONS.value: text("jbowman feanil"),
        },
    ),
    ViewId.ADMIN_PERSON: Form(
        ADMIN,
        _admin_form(ViewId.ADMIN_PERSON),
        lambda v, n: {
            Input.GITHUB.value: text(f"person-{n}"),
            Input.NAME.value: text("A Person"),
            Input.ORGANIZATION.value: text("OpenCraft"),
            Input.ROLES.value: checked("committer"),
            Input.REPOS.value: text("openedx/edx-platform"),
        },
    ),
    ViewId.ADMIN_REMOVE: Form(
        ADMIN,
        _admin_form(ViewId.ADMIN_REMOVE),
        lambda v, n: {Input.ESCALATION_COMMITTER.value: text(_spare(n))},
    ),
    ViewId.ADMIN_AWAY: Form(
        ADMIN,
        _admin_form(ViewId.ADMIN_AWAY),
        lambda v, n: {Input.GITHUB.value: text("ormsbee"), Input.AWAY_UNTIL.value: date("2026-12-01")},
    ),
    ViewId.ADMIN_RETRO: Form(
        ADMIN,
        _admin_form(ViewId.ADMIN_RETRO),
        lambda v, n: {
            Input.RETRO_NAME.value: text(f"Winter retro {n}"),
            Input.RETRO_CLOSES.value: date("2026-12-10"),
            Input.RETRO_AUDIENCE.value: option(v, Input.RETRO_AUDIENCE.value),
        },
    ),
    ViewId.ADMIN_REINSTATE: Form(
        ADMIN,
        _admin_form(ViewId.ADMIN_REINSTATE),
        lambda v, n: {Input.GITHUB.value: text(f"alumnus-{n}"), Input.REASON.value: text("Back from leave.")},
    ),
    ViewId.ADMIN_AGREEMENT_CHANGE: Form(
        ADMIN,
        _admin_form(ViewId.ADMIN_AGREEMENT_CHANGE),
        lambda v, n: {
            Input.AGREEMENT_ACTION.value: option(v, Input.AGREEMENT_ACTION.value, "renewed"),
            Input.HOLDER.value: text("ziafazal"),
            Input.KIND.value: option(v, Input.KIND.value, "individual"),
            Input.SIGNED.value: date("2026-11-20"),
            Input.EXPIRES.value: date("2027-11-20"),
            Input.EFFECTIVE.value: date("2026-11-20"),
            Input.REASON.value: text("Signed the renewal."),
        },
    ),
    ViewId.QUIET_SETTINGS: Form(
        ZIA,
        _click(Action.QUIET_SETTINGS, lambda _bot, _n: "open", ZIA),
        lambda v, n: {Input.OWN_HOURS.value: text("09:00-17:00")},
    ),
}


def _prepare(bot: RunningBot) -> None:
    """What the forms need to open: a question, the establish phase, an open retro, spares and alumni."""
    ask_in_slack(bot, ZIA, question="Does the grades migration need a backfill?")
    with bot.runtime.session_factory() as session:
        coordinator = person(session, "cc-coordinator")
        admin.set_phase(
            session, coordinator, phase=Phase.ESTABLISH, nda_required=True, milestones="", now=NOW,
            channels=CHANNELS,
        )  # fmt: skip
        retros.open_retro(
            session, name="Autumn retro", closes_on=NOW.date() + dt.timedelta(days=3),
            audience=RetroAudience.ALL, now=NOW, actor="test",
        )  # fmt: skip
        for n in range(200):
            for handle in (_spare(n), f"alumnus-{n}"):
                admin.upsert_person(
                    session, coordinator, github=handle, name=handle, slack_user_id=None, organization=None,
                    roles=["committer"], repos=["openedx/edx-platform"], now=NOW, channels=CHANNELS,
                )  # fmt: skip
            admin.remove_committer(session, coordinator, committer=f"alumnus-{n}", now=NOW, channels=CHANNELS)


@dataclass
class Run:
    """What the drive did: each submission's answer, and which fields of which forms it filled."""

    answers: list[tuple[ViewId, str, str, Any]]
    filled: set[tuple[str, str]]
    seen: set[tuple[str, str]]


def _answer(response: Any) -> Any:
    assert response.status_code == 200, response.text[:300]
    return response.json() if response.content else None


def drive_every_field(bot: RunningBot) -> Run:
    """Submit every form once per input and hostile value, that input hostile and the rest valid."""
    run = Run(answers=[], filled=set(), seen=set())
    counter = itertools.count(1)
    for view_id, form in FORMS.items():
        probe = form.open(bot, next(counter))
        assert probe["callback_id"] == view_id.value, f"{view_id} opened {probe['callback_id']}"
        run.seen |= {(view_id.value, b["block_id"]) for b in inputs(probe)}
        for block in inputs(probe):
            for hostile, forged in ((EVIL, False), (LONG, True)):
                n = next(counter)
                view = {**form.open(bot, n), "id": f"V0HOSTILE{n}"}
                values = form.valid(view, n)
                values[block["block_id"]] = state_value(block["element"], hostile, forged=forged)
                response = bot.sender.interaction(submission(view, values, form.user))
                run.answers.append((view_id, block["block_id"], hostile[:10], _answer(response)))
                run.filled.add((view_id.value, block["block_id"]))
        # Everything hostile at once, as a forged submission would send it.
        n = next(counter)
        view = {**form.open(bot, n), "id": f"V0HOSTILE{n}"}
        values = {b["block_id"]: state_value(b["element"], EVIL, forged=True) for b in inputs(view)}
        run.answers.append(
            (view_id, "*", "all", _answer(bot.sender.interaction(submission(view, values, form.user))))
        )
    return run


def after_everything(bot: RunningBot) -> list[Any]:
    """Run the jobs days and weeks later, open App Home and `/cc` for everyone involved; return `/cc`'s answers."""
    for days in (1, 5, 20):
        for job in JOBS:
            run_at(bot.bot, job, NOW + dt.timedelta(days=days))
    answers = []
    for n, user in enumerate((ZIA, JBOWMAN, FEANIL, NIMISHA, ADMIN)):
        bot.sender.event(
            {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D0HOME", "event_ts": "1.0"},
            event_id=f"EvHostileHome{n}",
        )
        answers.append(_answer(bot.sender.command("/cc", "", user_id=user)))
    return answers


def everything_sent(bot: RunningBot, answers: list[Any]) -> Iterator[str]:
    """Yield every mrkdwn string and notification text in every Slack call, answer and App Home view."""
    payloads: list[Any] = [call.args for call in bot.slack.calls()]
    payloads += list(bot.slack.state.responses) + list(bot.slack.state.home_views.values())
    payloads += [a for a in answers if a]
    for payload in payloads:
        yield from _mrkdwn(payload)


@pytest.fixture
def json_log(restore_logging: None) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(load_settings(CCBOT_LOG_FORMAT="json"), stream=stream)
    return stream


def test_hostile_text_in_every_field_of_every_form_never_reaches_anything_sent_unescaped(
    bot: RunningBot, json_log: io.StringIO
) -> None:
    _prepare(bot)
    run = drive_every_field(bot)
    answers = [answer for *_, answer in run.answers] + after_everything(bot)

    missing = {view_id.value for view_id in ViewId} - {view_id.value for view_id in FORMS}
    assert missing == set(), f"forms this test cannot open yet (add them to FORMS): {missing}"
    assert run.seen - run.filled == set(), "inputs of an opened form nobody filled"
    assert {i.value for i in Input} - {block for _, block in run.filled} == set(), "inputs no opened form has"

    sent = list(everything_sent(bot, answers))
    assert bot.slack.messages(), "the forms sent messages to scan"
    assert [t for t in sent if HOSTILE.search(t)] == []
    assert not any("evil.example|" in t and "&lt;https://evil.example" not in t for t in sent)
    assert not any(GENERIC_ERROR in json.dumps(a) for a in answers), "hostile input reached the generic error"
    assert not any(GENERIC_ERROR in json.dumps(m) for m in bot.slack.state.messages)

    for view_id, block_id in HANDLE_FIELDS:
        refused = [a for v, b, h, a in run.answers if (v, b, h) == (view_id, block_id.value, EVIL[:10])]
        assert refused, (view_id, block_id)
        for answer in refused:
            assert answer, (view_id, block_id)
            assert answer.get("response_action") == "errors", (view_id, block_id, answer)
            assert block_id.value in answer["errors"], (view_id, block_id, answer)

    lines = json_log.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]  # a forged line would not parse
    assert [e["message"][:200] for e in entries if e["level"] in {"ERROR", "CRITICAL"}] == []
    for marker in ("U0EVIL001", "evil.example", "<!channel>", "\x00"):
        assert marker not in json_log.getvalue(), f"{marker!r} reached the log"


def test_the_console_shows_hostile_text_as_typed_never_as_a_ping_or_a_link(tmp_path: Path) -> None:
    question = "<!channel> [link=https://evil.example]x[/link] <@U0EVIL001> <https://evil.example|Sign in>"
    script = "\n".join(
        [
            "as @ziafazal",
            f"/cc-ask {PR} {question}",
            "",
            "",
            "",
            "as @jbowman",
            "read #cc-coordination",
            "quit",
            "",
        ]
    )
    out = io.StringIO()
    Console(
        database_url=f"sqlite:///{tmp_path / 'c.db'}", stdin=io.StringIO(script), stdout=out,
        demo_roster=PILOT_ROSTER,
    ).run()  # fmt: skip
    screen = out.getvalue()
    assert "<!channel>" in screen, "the question is shown as typed"
    assert "[link=https://evil.example]x[/link]" in screen, "no console markup is read in what people type"
    assert "<https://evil.example|Sign in>" in screen
    assert "@channel" not in screen, "never shown as a channel ping"
    assert "Sign in (https://evil.example)" not in screen, "never shown as a link"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("roles", ["committer", "x" * 5000]),
        ("name", "n" * 5000),
        ("organization", "o" * 5000),
        ("repos", ["<!channel>"]),
    ],
)
def test_an_admin_form_value_the_database_cannot_hold_is_a_field_error(
    pilot_session: Any, field: str, value: Any
) -> None:
    """On PostgreSQL these answered with the generic error (a column too short); SQLite stored them."""
    fields: dict[str, Any] = {
        "github": "new-person",
        "name": "New Person",
        "slack_user_id": None,
        "organization": None,
        "roles": ["committer"],
        "repos": ["openedx/edx-platform"],
        field: value,
    }
    with pytest.raises(FieldErrors) as refused:
        admin.upsert_person(
            pilot_session, person(pilot_session, "cc-coordinator"), now=NOW, channels=CHANNELS, **fields
        )
    assert field in refused.value.errors


@pytest.mark.parametrize("field", ["name", "organization"])
def test_a_nominee_name_or_organisation_the_database_cannot_hold_is_a_field_error(
    pilot_session: Any, field: str
) -> None:
    coordinator = person(pilot_session, "cc-coordinator")
    admin.set_phase(
        pilot_session, coordinator, phase=Phase.ESTABLISH, nda_required=True, milestones="", now=NOW,
        channels=CHANNELS,
    )  # fmt: skip
    fields: dict[str, Any] = {"name": "New Person", "organization": "OpenCraft", field: "x" * 5000}
    with pytest.raises(FieldErrors) as refused:
        nominations.open_nomination(
            pilot_session, person(pilot_session, "ziafazal"), github="brand-new", slack_user_id=None,
            repos=["openedx/edx-platform"], reason="Great reviews.", now=NOW,
            rules=NominationRules(), channels=CHANNELS, **fields,
        )  # fmt: skip
    assert field in refused.value.errors
