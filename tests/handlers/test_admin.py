"""`/cc-admin` through Slack: the menu (admins only), every form from its button to its confirmation, field
errors first, and the phase change committed with its announcement (which a crash cannot lose)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.assembly import Bot
from bot.handlers.admin import FORMS
from bot.ids import Input, ViewId
from bot.services.admin import set_phase
from bot.services.logins import LOGIN_RULE
from bot.services.policy import current_policy
from bot.slack_standin import SlackStandIn
from storage.models import AuditEntry, OutboxMessage, OutboxStatus, Phase, Retro
from storage.roster import get_person_by_github
from tests.conftest import NOW, RunningBot, load_pilot, make_bot, run_at, wait_until
from tests.flows import CHANNELS, COORDINATION
from tests.slack_requests import block_action, select_input, text_input, user_input, view_submission

ZIA = "U0PILOT01"
ADMIN = "U0ADMIN01"
IDEGTIAROV = "U0PILOT09"


def _date(value: str) -> dict[str, Any]:
    return {"type": "datepicker", "selected_date": value}


def _checked(*values: str) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": [{"value": v} for v in values]}


def _open_form(bot: RunningBot, view_id: ViewId) -> dict[str, Any]:
    menu = bot.sender.command("/cc-admin", user_id=ADMIN).json()
    button = next(
        e for b in menu["blocks"] if b["type"] == "actions" for e in b["elements"] if e["value"] == view_id
    )
    before = len(bot.slack.calls("views.open"))
    bot.sender.interaction(block_action(button["action_id"], button["value"], user_id=ADMIN))
    wait_until(lambda: len(bot.slack.calls("views.open")) > before, what=f"{view_id} modal")
    return dict(bot.slack.calls("views.open")[-1].args["view"])


def _submit(bot: RunningBot, modal: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = bot.sender.interaction(view_submission(modal, values, user_id=ADMIN)).json()
    return answer


def test_admin_menu_changes_the_phase_and_announces_it_and_refuses_others(bot: RunningBot) -> None:
    refused = bot.sender.command("/cc-admin", user_id=ZIA).json()["text"]
    assert "for program admins" in refused
    modal = _open_form(bot, ViewId.ADMIN_PHASE)
    values = {
        Input.PHASE.value: select_input("scale"),
        Input.NDA.value: _checked(),
        Input.MILESTONES.value: text_input("All repos mapped to areas by March"),
    }
    done = _submit(bot, modal, values)
    assert "*scale* phase" in json.dumps(done, ensure_ascii=False)
    announcement = wait_until(
        lambda: [m for m in bot.slack.messages(COORDINATION) if "moved the Core Committer" in m["text"]],
        what="announcement",
    )
    assert "no longer required" in announcement[0]["text"]  # type: ignore[index]
    with bot.runtime.session_factory() as session:
        assert (
            session.exec(select(AuditEntry).where(AuditEntry.action == "program.phase")).one().subject
            == "scale"
        )
        idegtiarov = get_person_by_github(session, "idegtiarov")
        assert idegtiarov is not None
        assert idegtiarov.status == "active", (
            "without the NDA requirement the onboarding committer is complete"
        )


def test_admin_records_an_agreement_with_field_errors_first(bot: RunningBot) -> None:
    modal = _open_form(bot, ViewId.ADMIN_AGREEMENT)
    values = {
        Input.HOLDER.value: text_input("nobody-here"),
        Input.KIND.value: select_input("nda"),
        Input.SIGNED.value: _date("2026-11-20"),
        Input.EXPIRES.value: _date("2027-11-20"),
    }
    errors = _submit(bot, modal, values)["errors"]
    assert "not on the roster" in errors[Input.HOLDER.value]
    values[Input.HOLDER.value] = text_input("idegtiarov")
    assert not bot.slack.messages(IDEGTIAROV)
    done = _submit(bot, modal, values)
    assert "standing is now *active*" in json.dumps(done, ensure_ascii=False)
    # The committer this made active is told, once, committed with the agreement.
    told = wait_until(lambda: bot.slack.messages(IDEGTIAROV), what="DM to the committer made active")
    assert len(told) == 1
    assert "onboarding is complete: your standing is now *active*" in told[0]["text"]
    _submit(bot, modal, values)  # recording it again changes no standing and tells nobody again
    assert len(bot.slack.messages(IDEGTIAROV)) == 1


def test_the_refusal_names_the_admins_to_ask(bot: RunningBot) -> None:
    refused = bot.sender.command("/cc-admin", user_id=ZIA).json()["text"]
    # cc-coordinator is the pilot roster's admin: named, rather than pointing at a command that names nobody.
    assert "Ask one of them (Program Coordinator) for the change you need." in refused
    assert "`/cc`" not in refused


# One submission per form that is not covered above, and what the admin is told.
SUBMISSIONS: dict[ViewId, tuple[dict[str, Any], str]] = {
    ViewId.ADMIN_CHAMPIONS: (
        {
            Input.ESCALATION_COMMITTER.value: text_input("idegtiarov"),
            Input.CHAMPIONS.value: text_input("jbowman, schen"),
        },
        "idegtiarov's champions: jbowman, schen.",
    ),
    ViewId.ADMIN_PERSON: (
        {
            Input.GITHUB.value: text_input("newperson"),
            Input.NAME.value: text_input("New Person"),
            Input.SLACK_USER.value: user_input("U0NEWP001"),
            Input.ORGANIZATION.value: text_input("Newbie Inc"),
            Input.ROLES.value: _checked("committer"),
            Input.REPOS.value: text_input("openedx/edx-platform"),
        },
        "Added newperson (onboarding).",
    ),
    ViewId.ADMIN_REMOVE: (
        {Input.ESCALATION_COMMITTER.value: text_input("regisb")},
        "regisb is now an alumnus.",
    ),
    ViewId.ADMIN_AWAY: (
        {Input.GITHUB.value: text_input("jbowman"), Input.AWAY_UNTIL.value: _date("2026-12-24")},
        "jbowman is away until 2026-12-24.",
    ),
    ViewId.ADMIN_AGREEMENT_CHANGE: (
        {
            Input.AGREEMENT_ACTION.value: select_input("revoked"),
            Input.HOLDER.value: text_input("ziafazal"),
            Input.KIND.value: select_input("nda"),
            Input.EFFECTIVE.value: _date("2026-11-26"),
            Input.REASON.value: text_input("Signed for the wrong program"),
        },
        "ziafazal's NDA / program agreement revoked as of 2026-11-26",
    ),
    ViewId.ADMIN_RETRO: (
        {
            Input.RETRO_NAME.value: text_input("pilot-2026"),
            Input.RETRO_CLOSES.value: _date("2026-12-09"),
            Input.RETRO_AUDIENCE.value: select_input("ccs"),
        },
        "Retro “pilot-2026” is open for 9 participants",
    ),
}


def test_the_menu_offers_every_form_and_each_opens_its_own_modal(bot: RunningBot) -> None:
    for view_id in FORMS:
        modal = _open_form(bot, view_id)
        assert modal["callback_id"] == view_id.value
    # Reinstating needs an alumnus first: tests/handlers/test_lifecycle.py submits it.
    tested_elsewhere = {ViewId.ADMIN_PHASE, ViewId.ADMIN_AGREEMENT, ViewId.ADMIN_REINSTATE}
    assert set(SUBMISSIONS) | tested_elsewhere == set(FORMS), "every form is submitted in these tests"


@pytest.mark.parametrize("view_id", list(SUBMISSIONS), ids=lambda v: v.value)
def test_each_form_applies_its_change_and_confirms_it(bot: RunningBot, view_id: ViewId) -> None:
    values, confirmation = SUBMISSIONS[view_id]
    done = _submit(bot, _open_form(bot, view_id), values)
    assert done["response_action"] == "update"
    assert confirmation in json.dumps(done, ensure_ascii=False)
    with bot.runtime.session_factory() as session:
        actions = [e.action for e in session.exec(select(AuditEntry)).all() if e.actor == "cc-coordinator"]
    assert actions, "the change is audited under the admin's name"


def test_a_retro_form_without_a_closing_day_or_with_a_taken_name_says_which_field(bot: RunningBot) -> None:
    modal = _open_form(bot, ViewId.ADMIN_RETRO)
    values = dict(SUBMISSIONS[ViewId.ADMIN_RETRO][0])
    del values[Input.RETRO_CLOSES.value]
    assert Input.RETRO_CLOSES.value in _submit(bot, modal, values)["errors"]
    _submit(bot, modal, SUBMISSIONS[ViewId.ADMIN_RETRO][0])
    errors = _submit(bot, modal, SUBMISSIONS[ViewId.ADMIN_RETRO][0])["errors"]
    assert "already a retro" in errors[Input.RETRO_NAME.value]
    with bot.runtime.session_factory() as session:
        assert len(session.exec(select(Retro)).all()) == 1


# Values no modal offers, as a forged submission carries them: each is a field error, never an unexpected error.
FORGED: list[tuple[ViewId, str, dict[str, Any]]] = [
    (ViewId.ADMIN_PHASE, Input.PHASE.value, select_input("chaos")),
    (ViewId.ADMIN_AGREEMENT, Input.KIND.value, select_input("blood-oath")),
    (ViewId.ADMIN_AGREEMENT, Input.SIGNED.value, _date("2026-02-31")),
    (ViewId.ADMIN_AGREEMENT, Input.EXPIRES.value, _date("tomorrow")),
    (ViewId.ADMIN_AWAY, Input.AWAY_UNTIL.value, _date("2026-13-01")),
    (ViewId.ADMIN_RETRO, Input.RETRO_CLOSES.value, _date("2026-12-9")),
    (ViewId.ADMIN_RETRO, Input.RETRO_AUDIENCE.value, select_input("everyone-on-earth")),
    (ViewId.ADMIN_AGREEMENT_CHANGE, Input.AGREEMENT_ACTION.value, select_input("shredded")),
    (ViewId.ADMIN_AGREEMENT_CHANGE, Input.EFFECTIVE.value, _date("2026-02-30")),
]
BASE: dict[ViewId, dict[str, Any]] = {
    ViewId.ADMIN_PHASE: {Input.PHASE.value: select_input("pilot"), Input.NDA.value: _checked()},
    ViewId.ADMIN_AGREEMENT: {
        Input.HOLDER.value: text_input("idegtiarov"),
        Input.KIND.value: select_input("nda"),
        Input.SIGNED.value: _date("2026-11-20"),
    },
    **{view_id: values for view_id, (values, _) in SUBMISSIONS.items()},
}


@pytest.mark.parametrize(("view_id", "field", "forged"), FORGED, ids=lambda v: str(v)[:24])
def test_a_forged_value_is_a_field_error_and_logs_no_error(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, view_id: ViewId, field: str, forged: dict[str, Any]
) -> None:
    modal = _open_form(bot, view_id)
    caplog.clear()
    answer = _submit(bot, modal, {**BASE[view_id], field: forged})
    assert answer["response_action"] == "errors", answer
    assert list(answer["errors"]) == [field]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    with bot.runtime.session_factory() as session:
        assert [e for e in session.exec(select(AuditEntry)).all() if e.actor == "cc-coordinator"] == []


def test_a_submission_from_someone_not_an_admin_is_refused(bot: RunningBot) -> None:
    modal = _open_form(bot, ViewId.ADMIN_REMOVE)
    values = {Input.ESCALATION_COMMITTER.value: text_input("regisb")}
    answer = bot.sender.interaction(view_submission(modal, values, user_id=ZIA)).json()
    assert "for program admins" in json.dumps(answer)
    with bot.runtime.session_factory() as session:
        regisb = get_person_by_github(session, "regisb")
        assert regisb is not None
        assert regisb.removed_on is None


# -- crash safety -------------------------------------------------------------------------------------


@pytest.fixture
def restarted(db_url: str, slack: SlackStandIn) -> Iterator[Bot]:
    """A bot on the same database, as a process started after another one died."""
    built = make_bot(db_url, slack)
    with built.runtime.session_factory() as session:
        load_pilot(session, now=NOW)
    yield built
    built.close()


def _change_phase(session: Session) -> None:
    admin = get_person_by_github(session, "cc-coordinator")
    assert admin is not None
    set_phase(
        session, admin, phase=Phase.ESTABLISH, nda_required=True, milestones="", now=NOW, channels=CHANNELS
    )


def test_a_crash_at_the_commit_leaves_neither_the_phase_nor_its_announcement(restarted: Bot) -> None:
    def die(_: Session) -> None:
        raise RuntimeError("the process died while committing")

    with restarted.runtime.session_factory() as session:
        event.listen(session, "before_commit", die)
        with pytest.raises(RuntimeError):
            _change_phase(session)
    with restarted.runtime.session_factory() as session:
        assert current_policy(session).phase is Phase.PILOT
        assert session.exec(select(OutboxMessage).where(OutboxMessage.kind == "phase")).all() == []


def test_the_phase_change_and_its_announcement_commit_together_and_go_out_once(
    restarted: Bot, slack: SlackStandIn
) -> None:
    with restarted.runtime.session_factory() as session:
        _change_phase(session)  # committed; the process "dies" before delivering
    with restarted.runtime.session_factory() as session:
        assert current_policy(session).phase is Phase.ESTABLISH
        queued = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "phase")).one()
        assert queued.status == OutboxStatus.PENDING.value
        assert queued.channel == COORDINATION
    later = NOW + dt.timedelta(minutes=1)
    run_at(restarted, "outbox_delivery", later)
    run_at(restarted, "outbox_delivery", later + dt.timedelta(minutes=1))
    keys = Counter(
        (call.args.get("metadata") or {}).get("event_payload", {}).get("key")
        for call in slack.calls("chat.postMessage")
    )
    assert keys[queued.key] == 1, "the announcement is sent, and only once"
    announcement = [m for m in slack.messages(COORDINATION) if "moved the Core Committer" in m["text"]]
    assert len(announcement) == 1
    assert "from *pilot* to *establish*" in announcement[0]["text"]


# Every field of an admin form that takes a GitHub handle, with a value that is none.
HANDLE_FIELDS: list[tuple[ViewId, str]] = [
    (ViewId.ADMIN_PERSON, Input.GITHUB.value),
    (ViewId.ADMIN_CHAMPIONS, Input.ESCALATION_COMMITTER.value),
    (ViewId.ADMIN_CHAMPIONS, Input.CHAMPIONS.value),
    (ViewId.ADMIN_REMOVE, Input.ESCALATION_COMMITTER.value),
    (ViewId.ADMIN_AWAY, Input.GITHUB.value),
    (ViewId.ADMIN_AGREEMENT_CHANGE, Input.HOLDER.value),
]


@pytest.mark.parametrize(("view_id", "field"), HANDLE_FIELDS, ids=lambda v: str(getattr(v, "value", v)))
@pytest.mark.parametrize(
    ("handle", "problem"),
    [
        ("x/../../../admins/memberships/mallory", "it contains '/'"),
        ("<!channel>", "it contains '<'"),
        ("<https://evil.example|x>", "it contains '<'"),
        ("trailing-", "it ends with a hyphen"),
    ],
    ids=["path", "channel", "link", "hyphen"],
)
def test_a_handle_github_would_not_allow_is_a_field_error_saying_why(
    bot: RunningBot, view_id: ViewId, field: str, handle: str, problem: str
) -> None:
    values = dict(SUBMISSIONS[view_id][0])
    values[field] = text_input(handle if field != Input.CHAMPIONS.value else f"jbowman, {handle}")
    answer = _submit(bot, _open_form(bot, view_id), values)
    assert answer["response_action"] == "errors", answer
    assert answer["errors"] == {field: f"Not a GitHub handle: {problem} ({LOGIN_RULE})."}
    with bot.runtime.session_factory() as session:
        assert [e for e in session.exec(select(AuditEntry)).all() if e.actor == "cc-coordinator"] == []
        assert get_person_by_github(session, handle) is None
