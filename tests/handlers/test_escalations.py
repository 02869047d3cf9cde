"""End to end over HTTP: escalate -> management post -> acknowledge -> resolve with a note; wrong roles refused."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from bot.ids import Action, Input
from storage.models import AuditEntry, Escalation, Person
from tests.conftest import RunningBot, wait_until
from tests.flows import ask_in_slack, question_of
from tests.slack_requests import block_action, select_input, text_input, view_submission

ZIA, BRADEN = "U0PILOT01", "U0PILOT02"
JBOWMAN, FEANIL = "U0CHAMP01", "U0CHAMP02"
NIMISHA, DIRECTOR = "U0MGR0001", "U0MGR0002"
MANAGEMENT = "C0MGMT001"


def _modal(bot: RunningBot, user_id: str) -> dict[str, Any]:
    before = len(bot.slack.calls("views.open"))
    response = bot.sender.command("/cc-escalate", user_id=user_id)
    assert response.status_code == 200
    wait_until(lambda: len(bot.slack.calls("views.open")) > before, what="views.open")
    return dict(bot.slack.calls("views.open")[-1].args["view"])


def _values(**overrides: Any) -> dict[str, Any]:
    values = {
        Input.ESCALATION_SUMMARY.value: text_input("No reviewer for the grades migration"),
        Input.ESCALATION_IMPACT.value: text_input("PR blocked for 3 weeks; the release cut is Friday."),
        Input.ESCALATION_RELATED.value: text_input("https://github.com/openedx/edx-platform/pull/35120"),
        Input.URGENCY.value: select_input("normal"),
    }
    values.update(overrides)
    return values


def _post(bot: RunningBot) -> dict[str, Any]:
    return bot.slack.messages(MANAGEMENT)[0]


def _escalation(bot: RunningBot) -> Escalation:
    with bot.runtime.session_factory() as session:
        escalation = session.exec(select(Escalation)).one()
        session.expunge(escalation)
        return escalation


def _dms(bot: RunningBot, user: str) -> list[str]:
    return [m["text"] for m in bot.slack.messages(user)]


def test_escalate_acknowledge_resolve_and_the_committer_hears_each_step(bot: RunningBot) -> None:
    view = _modal(bot, ZIA)
    assert Input.ESCALATION_COMMITTER.value not in {b["block_id"] for b in view["blocks"]}, (
        "a CC escalates for themselves"
    )
    assert bot.sender.interaction(view_submission(view, _values(), user_id=ZIA)).status_code == 200
    post = wait_until(lambda: next(iter(bot.slack.messages(MANAGEMENT)), None), what="management post")
    assert isinstance(post, dict)
    text = json.dumps(post["blocks"])
    assert "No reviewer for the grades migration" in text
    assert f"<@{ZIA}>" in text
    assert f"<@{JBOWMAN}>" in text
    assert f"<@{FEANIL}>" in text
    assert "openedx/edx-platform" in text
    for person in (ZIA, JBOWMAN, FEANIL):
        wait_until(lambda p=person: _dms(bot, p), what=f"DM to {person}")
    assert "archives/C0MGMT001" in _dms(bot, ZIA)[0]

    escalation_id = str(_escalation(bot).id)
    refused = block_action(
        Action.ACKNOWLEDGE_ESCALATION,
        escalation_id,
        user_id=ZIA,
        message=post,
        response_url=bot.slack.response_url("zia"),
    )
    assert bot.sender.interaction(refused).status_code == 200
    reply = wait_until(lambda: [r for r in bot.slack.state.responses if r["key"] == "zia"], what="refusal")
    assert isinstance(reply, list)
    assert "Only managers and admins can acknowledge" in reply[0]["text"]
    assert reply[0]["response_type"] == "ephemeral"
    assert _escalation(bot).state == "open"

    bot.sender.interaction(
        block_action(Action.ACKNOWLEDGE_ESCALATION, escalation_id, user_id=NIMISHA, message=post)
    )
    wait_until(lambda: "Acknowledged" in json.dumps(_post(bot)["blocks"]), what="acknowledged post")
    wait_until(lambda: any("was acknowledged by <@U0MGR0001>" in t for t in _dms(bot, ZIA)), what="ack DM")

    opened = len(bot.slack.calls("views.open"))
    bot.sender.interaction(
        block_action(Action.RESOLVE_ESCALATION, escalation_id, user_id=NIMISHA, message=post)
    )
    wait_until(lambda: len(bot.slack.calls("views.open")) > opened, what="resolve modal")
    resolve_view = bot.slack.calls("views.open")[-1].args["view"]
    empty = bot.sender.interaction(
        view_submission(resolve_view, {Input.RESOLUTION.value: text_input(" ")}, user_id=NIMISHA)
    )
    assert Input.RESOLUTION.value in empty.json()["errors"]
    note = "Kyle reviews it tomorrow; release cut moved to Monday."
    done = bot.sender.interaction(
        view_submission(resolve_view, {Input.RESOLUTION.value: text_input(note)}, user_id=NIMISHA)
    )
    assert done.status_code == 200
    wait_until(lambda: "Resolved" in json.dumps(_post(bot)["blocks"]), what="resolved post")
    wait_until(lambda: any(note in t for t in _dms(bot, ZIA)), what="resolution DM")
    assert all(e["type"] != "actions" for e in _post(bot)["blocks"]), "a resolved escalation has no buttons"
    with bot.runtime.session_factory() as session:
        actions = [
            e.action
            for e in session.exec(
                select(AuditEntry).where(AuditEntry.subject == f"escalation:{escalation_id}")
            ).all()
        ]
    assert actions == ["escalation.opened", "escalation.acknowledged", "escalation.resolved"]


def test_a_champion_chooses_the_committer_and_field_errors_come_back(bot: RunningBot) -> None:
    view = _modal(bot, JBOWMAN)
    committer = next(b for b in view["blocks"] if b["block_id"] == Input.ESCALATION_COMMITTER.value)
    handles = [o["text"]["text"] for o in committer["element"]["options"]]
    assert any("@ziafazal" in h for h in handles)
    assert not any("@bradenmacdonald" in h for h in handles), "only the champion's own committers"
    bad = _values(
        **{
            Input.ESCALATION_RELATED.value: text_input("not a link"),
            Input.ESCALATION_SUMMARY.value: text_input(""),
        }
    )
    errors = bot.sender.interaction(view_submission(view, bad, user_id=JBOWMAN)).json()["errors"]
    assert set(errors) == {
        Input.ESCALATION_COMMITTER.value,
        Input.ESCALATION_RELATED.value,
        Input.ESCALATION_SUMMARY.value,
    }


def test_a_manager_and_a_stranger_cannot_escalate(bot: RunningBot) -> None:
    assert (
        "Managers receive escalations" in bot.sender.command("/cc-escalate", user_id=DIRECTOR).json()["text"]
    )
    assert (
        "not on the Core Committer roster"
        in bot.sender.command("/cc-escalate", user_id="U0NOBODY1").json()["text"]
    )


def test_reassign_gives_it_to_another_manager_who_is_told(bot: RunningBot) -> None:
    _, modal = _reassign_modal(bot, NIMISHA)
    element = next(b for b in modal["blocks"] if b["type"] == "input")["element"]
    assert "initial_option" not in element, "nobody is preselected: a careless submit reassigns nobody"
    options = element["options"]
    assert not any(o["value"].isdigit() for o in options), "options carry handles, never database ids"
    assert not any("nimisha" in o["text"]["text"] for o in options), "the person reassigning is not offered"
    director = next(o["value"] for o in options if "eng-director" in o["text"]["text"])
    assert director == "eng-director"
    bot.sender.interaction(
        view_submission(modal, {Input.REASSIGN_TO.value: select_input(director)}, user_id=NIMISHA)
    )
    wait_until(lambda: _dms(bot, DIRECTOR), what="DM to the new owner")
    assert "gave you" in _dms(bot, DIRECTOR)[0]
    assert _owner_handle(bot) == "eng-director"


def _owner_handle(bot: RunningBot) -> str | None:
    with bot.runtime.session_factory() as session:
        owner = session.get(Person, _escalation(bot).owner_id)
        return owner.github if owner else None


def _reassign_modal(bot: RunningBot, user_id: str) -> tuple[Escalation, dict[str, Any]]:
    view = _modal(bot, ZIA)
    bot.sender.interaction(view_submission(view, _values(), user_id=ZIA))
    post = wait_until(lambda: next(iter(bot.slack.messages(MANAGEMENT)), None), what="management post")
    assert isinstance(post, dict)
    escalation = _escalation(bot)
    opened = len(bot.slack.calls("views.open"))
    bot.sender.interaction(
        block_action(Action.REASSIGN_ESCALATION, str(escalation.id), user_id=user_id, message=post)
    )
    wait_until(lambda: len(bot.slack.calls("views.open")) > opened, what="reassign modal")
    return escalation, dict(bot.slack.calls("views.open")[-1].args["view"])


def test_reassign_accepts_a_typed_handle_with_or_without_the_at(bot: RunningBot) -> None:
    _, modal = _reassign_modal(bot, NIMISHA)
    refused = bot.sender.interaction(
        view_submission(modal, {Input.REASSIGN_TO.value: text_input("@no-such-manager")}, user_id=NIMISHA)
    ).json()
    assert "@no-such-manager is not a manager" in refused["errors"][Input.REASSIGN_TO.value]
    response = bot.sender.interaction(
        view_submission(modal, {Input.REASSIGN_TO.value: text_input(" @Eng-Director ")}, user_id=NIMISHA)
    )
    assert response.status_code == 200
    assert not response.content
    wait_until(lambda: _dms(bot, DIRECTOR), what="DM to the new owner")
    assert _owner_handle(bot) == "eng-director"


def test_reassigning_to_yourself_is_refused_and_nobody_is_told(bot: RunningBot) -> None:
    # The director does not own it (the committer's own manager does), so only "yourself" can stop this.
    escalation, modal = _reassign_modal(bot, DIRECTOR)
    owner = _owner_handle(bot)
    director_dms = len(_dms(bot, DIRECTOR))
    for typed in (select_input("eng-director"), text_input("@eng-director"), text_input("eng-director")):
        refused = bot.sender.interaction(
            view_submission(modal, {Input.REASSIGN_TO.value: typed}, user_id=DIRECTOR)
        ).json()
        assert refused["response_action"] == "errors"
        assert "That is you" in refused["errors"][Input.REASSIGN_TO.value]
    assert _owner_handle(bot) == owner
    assert len(_dms(bot, DIRECTOR)) == director_dms, "no DM to yourself"
    assert escalation.id is not None


def test_an_org_repo_number_reference_keeps_its_number_in_the_post(bot: RunningBot) -> None:
    view = _modal(bot, ZIA)
    related = {Input.ESCALATION_RELATED.value: text_input("openedx/edx-platform#35120")}
    assert bot.sender.interaction(view_submission(view, _values(**related), user_id=ZIA)).status_code == 200
    post = wait_until(lambda: next(iter(bot.slack.messages(MANAGEMENT)), None), what="management post")
    assert isinstance(post, dict)
    text = json.dumps(post["blocks"])
    assert "<https://github.com/openedx/edx-platform/pull/35120|openedx/edx-platform#35120>" in text
    assert _escalation(bot).pr_url == "https://github.com/openedx/edx-platform/pull/35120"


def test_a_question_thread_escalates_with_the_question_linked(bot: RunningBot) -> None:
    root = ask_in_slack(bot, ZIA)
    question_id = question_of(bot).id
    opened = len(bot.slack.calls("views.open"))
    bot.sender.interaction(
        block_action(Action.ESCALATE_QUESTION, str(question_id), user_id=FEANIL, message=root)
    )
    wait_until(lambda: len(bot.slack.calls("views.open")) > opened, what="escalate modal")
    view = bot.slack.calls("views.open")[-1].args["view"]
    fields = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert fields[Input.ESCALATION_RELATED.value]["initial_value"].endswith("/pull/31337")
    values = {
        Input.ESCALATION_COMMITTER.value: fields[Input.ESCALATION_COMMITTER.value]["initial_option"],
        Input.ESCALATION_SUMMARY.value: text_input(fields[Input.ESCALATION_SUMMARY.value]["initial_value"]),
        Input.ESCALATION_IMPACT.value: text_input("No answer for two days"),
        Input.ESCALATION_RELATED.value: text_input(fields[Input.ESCALATION_RELATED.value]["initial_value"]),
        Input.URGENCY.value: select_input("urgent"),
    }
    values[Input.ESCALATION_COMMITTER.value] = {
        "type": "static_select",
        "selected_option": values[Input.ESCALATION_COMMITTER.value],
    }
    assert bot.sender.interaction(view_submission(view, values, user_id=FEANIL)).status_code == 200
    wait_until(lambda: bot.slack.messages(MANAGEMENT), what="management post")
    escalation = _escalation(bot)
    assert escalation.question_id == question_id
    assert escalation.urgency == "urgent"


def test_a_committer_sees_only_their_own_escalations_and_questions_in_cc(bot: RunningBot) -> None:
    view = _modal(bot, ZIA)
    bot.sender.interaction(view_submission(view, _values(), user_id=ZIA))
    wait_until(lambda: bot.slack.messages(MANAGEMENT), what="posted escalation")
    own = json.dumps(bot.sender.command("/cc", user_id=ZIA).json()["blocks"])
    assert "Your escalations" in own
    assert "No reviewer for the grades migration" in own
    other = json.dumps(bot.sender.command("/cc", user_id=BRADEN).json()["blocks"])
    assert "No reviewer for the grades migration" not in other
    assert "Your escalations" not in other
