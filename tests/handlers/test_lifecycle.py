"""The yearly cycle through Slack: Snooze on a reminder, reminder preferences in App Home, Recommit / Step
down, the admins' one-click buttons, Reinstate in `/cc-admin`, and `/cc-nominate` naming a committer."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlmodel import select

from bot.ids import Action, Input, ViewId
from bot.services.admin import set_phase
from bot.services.logins import LOGIN_RULE
from bot.services.membership import retire, review_inactive
from bot.services.renewals import open_renewal, settle_due
from bot.types.policy import Channels, LifecyclePolicy
from storage.models import InactivityProposal, Phase, RenewalAnswer, RenewalMember
from storage.roster import get_organization_by_name, get_person_by_github
from tests.conftest import RunningBot, wait_until
from tests.flows import CHANNELS, COORDINATION, open_modal, person
from tests.slack_requests import block_action, text_input, view_submission

IGOR, ZIA, BRADEN, ADMIN = "U0PILOT09", "U0PILOT01", "U0PILOT02", "U0ADMIN01"


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _click(
    bot: RunningBot, message: dict[str, Any] | None, action_id: str, value: str, user: str, key: str
) -> list[dict]:
    payload = block_action(
        action_id, value, user_id=user, message=message, response_url=bot.slack.response_url(key)
    )
    assert bot.sender.interaction(payload).status_code == 200
    return [r for r in bot.slack.state.responses if r["key"] == key]


def _button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    return next(
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    )


def _open_home(bot: RunningBot, user: str, event_id: str) -> dict[str, Any]:
    before = len(bot.slack.calls("views.publish"))
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home", "event_ts": "1.2"}
    bot.sender.event(event, event_id=event_id)
    wait_until(lambda: len(bot.slack.calls("views.publish")) > before, what="home")
    return dict(bot.slack.state.home_views[user])


def test_snooze_on_a_reminder_brings_it_back_once_after_a_day(
    bot: RunningBot, clock: list[dt.datetime]
) -> None:
    monday = utc("2026-11-30T08:00")  # 10:00 in Kyiv
    bot.bot.run_job("onboarding_reminders", now=monday)
    [reminder] = [m for m in bot.slack.messages(IGOR) if "onboarding is not finished" in m["text"]]
    snooze = _button(reminder, f"{Action.SNOOZE.value}:1d")
    clock[0] = monday + dt.timedelta(minutes=5)
    told = _click(bot, reminder, snooze["action_id"], snooze["value"], IGOR, "igor")
    assert "Snoozed. It comes back" in told[0]["text"]
    assert told[0]["response_type"] == "ephemeral"
    bot.bot.run_job("outbox_delivery", now=monday + dt.timedelta(hours=23))
    assert len([m for m in bot.slack.messages(IGOR) if "onboarding is not finished" in m["text"]]) == 1
    for hours in (24, 25, 48):
        bot.bot.run_job("outbox_delivery", now=monday + dt.timedelta(hours=hours, minutes=5))
    again = [m for m in bot.slack.messages(IGOR) if "onboarding is not finished" in m["text"]]
    assert len(again) == 2, "back once"
    assert "You snoozed this reminder" in json.dumps(again[1]["blocks"])
    refused = _click(bot, reminder, snooze["action_id"], snooze["value"], ZIA, "zia")
    assert "no longer points at one of your reminders" in refused[0]["text"]


def test_app_home_pauses_reminders_until_a_date_and_the_held_one_comes_then(
    bot: RunningBot, clock: list[dt.datetime]
) -> None:
    clock[0] = utc("2026-11-27T10:00")
    home = _open_home(bot, IGOR, "EvQuiet1")
    text = json.dumps(home["blocks"])
    assert "Your reminders" in text
    assert "My agreements" in text
    assert "NDA / program agreement*: missing" in text
    before = len(bot.slack.calls("views.open"))
    assert (
        bot.sender.interaction(block_action(Action.QUIET_SETTINGS.value, "open", user_id=IGOR)).status_code
        == 200
    )
    wait_until(lambda: len(bot.slack.calls("views.open")) > before, what="settings modal")
    modal = dict(bot.slack.calls("views.open")[-1].args["view"])
    assert modal["callback_id"] == ViewId.QUIET_SETTINGS.value
    bad = bot.sender.interaction(
        view_submission(modal, {Input.OWN_HOURS.value: text_input("late")}, user_id=IGOR)
    ).json()
    assert Input.OWN_HOURS.value in bad["errors"]
    forged = bot.sender.interaction(
        view_submission(modal, {Input.PAUSE_UNTIL.value: {"selected_date": "2026-02-31"}}, user_id=IGOR)
    ).json()
    assert list(forged["errors"]) == [Input.PAUSE_UNTIL.value], "an impossible date is a field error"
    values = {
        Input.PAUSE_UNTIL.value: {"type": "datepicker", "selected_date": "2026-12-07"},
        Input.OWN_HOURS.value: text_input("08:00-12:00"),
    }
    done = bot.sender.interaction(view_submission(modal, values, user_id=IGOR)).json()
    assert "paused until 2026-12-07" in json.dumps(done)
    wait_until(lambda: "paused until 2026-12-07" in json.dumps(bot.slack.state.home_views[IGOR]), what="home")
    bot.bot.run_job("onboarding_reminders", now=utc("2026-11-30T08:00"))
    assert [m for m in bot.slack.messages(IGOR) if "onboarding" in m["text"]] == []
    bot.bot.run_job("outbox_delivery", now=utc("2026-12-07T05:00"))  # 07:00 in Kyiv, before their hours
    assert [m for m in bot.slack.messages(IGOR) if "onboarding" in m["text"]] == []
    bot.bot.run_job("outbox_delivery", now=utc("2026-12-07T06:00"))  # 08:00 in Kyiv
    bot.bot.run_job("outbox_delivery", now=utc("2026-12-07T07:00"))
    assert len([m for m in bot.slack.messages(IGOR) if "onboarding" in m["text"]]) == 1


def test_recommit_and_step_down_in_a_dm_and_in_app_home(bot: RunningBot, clock: list[dt.datetime]) -> None:
    opened_at = utc("2027-01-05T10:00")
    with bot.runtime.session_factory() as session:
        open_renewal(
            session,
            year=2027,
            who="individuals",
            closes_on=dt.date(2027, 2, 4),
            now=opened_at,
            actor="t",
            policy=bot.runtime.policy,
        )
    bot.bot.run_job("outbox_delivery", now=opened_at)
    [invite] = [m for m in bot.slack.messages(ZIA) if "Recommit for 2027" in json.dumps(m["blocks"])]
    clock[0] = opened_at + dt.timedelta(hours=1)
    recommit = _button(invite, Action.RENEWAL_RECOMMIT.value)
    told = _click(bot, invite, recommit["action_id"], recommit["value"], ZIA, "zia-answer")
    assert "Thank you! Recorded: you recommit for 2027" in told[0]["text"]
    other = _click(bot, invite, recommit["action_id"], recommit["value"], "U0PILOT02", "braden-wrong")
    assert other[0]["text"] == "This recommitment is for ziafazal, not for you."
    home = _open_home(bot, "U0PILOT02", "EvRenewHome")
    step_down = _button({"blocks": home["blocks"]}, Action.RENEWAL_STEP_DOWN.value)
    before = len(bot.slack.calls("views.publish"))
    click = block_action(step_down["action_id"], step_down["value"], user_id="U0PILOT02")
    click["container"] = {"type": "view", "view_id": "V0HOME"}
    assert bot.sender.interaction(click).status_code == 200
    wait_until(lambda: len(bot.slack.calls("views.publish")) > before, what="home republished")
    assert "Your answer: *step down*" in json.dumps(bot.slack.state.home_views["U0PILOT02"])
    with bot.runtime.session_factory() as session:
        answers = {m.person_id: m.answer for m in session.exec(select(RenewalMember)).all()}
        assert answers[person(session, "ziafazal").id] is RenewalAnswer.RECOMMITTED
        assert answers[person(session, "bradenmacdonald").id] is RenewalAnswer.STEPPED_DOWN


def test_admins_extend_a_non_answerer_in_one_click_and_others_are_refused(
    bot: RunningBot, clock: list[dt.datetime]
) -> None:
    with bot.runtime.session_factory() as session:
        open_renewal(
            session,
            year=2027,
            who="individuals",
            closes_on=dt.date(2027, 2, 4),
            now=utc("2027-01-05T10:00"),
            actor="t",
            policy=bot.runtime.policy,
        )
        settle_due(session, now=utc("2027-02-05T00:05"), channels=bot.runtime.channels)
    bot.bot.run_job("outbox_delivery", now=utc("2027-02-05T00:05"))
    [listing] = [m for m in bot.slack.messages(ADMIN) if "No answer: 2027" in json.dumps(m["blocks"])]
    extend = next(
        e
        for b in listing["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.RENEWAL_EXTEND.value
    )
    clock[0] = utc("2027-02-05T09:00")
    refused = _click(bot, listing, extend["action_id"], extend["value"], ZIA, "zia-extend")
    assert "for program admins" in refused[0]["text"]
    told = _click(bot, listing, extend["action_id"], extend["value"], ADMIN, "admin-extend")
    assert "has until 2027-03-05 to answer" in told[0]["text"]
    updates = [c for c in bot.slack.calls("chat.update") if "Extended to 2027-03-05" in json.dumps(c.args)]
    assert len(updates) == 2, "both admins' copies of the list are redrawn"
    again = _click(bot, listing, extend["action_id"], extend["value"], ADMIN, "admin-again")
    assert "already settled" in again[0]["text"]


def test_keep_on_the_inactivity_list_redraws_it(bot: RunningBot, clock: list[dt.datetime]) -> None:
    with bot.runtime.session_factory() as session:
        review_inactive(session, now=utc("2026-11-30T08:30"), policy=LifecyclePolicy(), channels=CHANNELS)
    bot.bot.run_job("inactivity_review", now=utc("2027-06-07T08:30"))
    [listing] = [m for m in bot.slack.messages(ADMIN) if "Inactive committers" in json.dumps(m["blocks"])]
    keep = _button(listing, Action.INACTIVE_KEEP.value)
    clock[0] = utc("2027-06-07T09:00")
    told = _click(bot, listing, keep["action_id"], keep["value"], ADMIN, "keep")
    assert "not proposed as inactive again before 2027-09-05" in told[0]["text"]
    wait_until(lambda: bot.slack.calls("chat.update"), what="redraw")
    with bot.runtime.session_factory() as session:
        kept = session.exec(select(InactivityProposal).where(InactivityProposal.decision.is_not(None))).all()  # type: ignore[union-attr]
        assert [p.decided_by for p in kept] == ["cc-coordinator"]


def test_reinstate_in_cc_admin_brings_an_alumnus_back(bot: RunningBot, clock: list[dt.datetime]) -> None:
    with bot.runtime.session_factory() as session:
        retire(
            session,
            person(session, "cc-coordinator"),
            github="regisb",
            reason="moved on",
            now=clock[0],
            channels=CHANNELS,
        )
    menu = bot.sender.command("/cc-admin", user_id=ADMIN).json()
    button = next(
        e
        for b in menu["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["value"] == ViewId.ADMIN_REINSTATE
    )
    before = len(bot.slack.calls("views.open"))
    bot.sender.interaction(block_action(button["action_id"], button["value"], user_id=ADMIN))
    wait_until(lambda: len(bot.slack.calls("views.open")) > before, what="reinstate modal")
    modal = dict(bot.slack.calls("views.open")[-1].args["view"])
    wrong = bot.sender.interaction(
        view_submission(modal, {Input.GITHUB.value: text_input("ziafazal")}, user_id=ADMIN)
    ).json()
    assert "not an alumnus" in wrong["errors"][Input.GITHUB.value]
    hostile = bot.sender.interaction(
        view_submission(modal, {Input.GITHUB.value: text_input("<@U0PILOT08>")}, user_id=ADMIN)
    ).json()
    assert hostile["errors"] == {Input.GITHUB.value: f"Not a GitHub handle: it contains '<' ({LOGIN_RULE})."}
    done = bot.sender.interaction(
        view_submission(
            modal,
            {Input.GITHUB.value: text_input("regisb"), Input.REASON.value: text_input("back")},
            user_id=ADMIN,
        )
    ).json()
    assert "regisb is back on the roster, standing *active*" in json.dumps(done)
    wait_until(
        lambda: any("Welcome back" in m["text"] for m in bot.slack.messages("U0PILOT08")), what="welcome"
    )
    with bot.runtime.session_factory() as session:
        regis = get_person_by_github(session, "regisb")
        assert regis is not None
        assert regis.removed_on is None


def test_nominating_an_active_committer_proposes_more_repositories(bot: RunningBot) -> None:
    with bot.runtime.session_factory() as session:
        set_phase(
            session,
            person(session, "cc-coordinator"),
            phase=Phase.ESTABLISH,
            nda_required=True,
            milestones="",
            now=bot.runtime.clock(),
            channels=Channels(),
        )
    view = open_modal(
        bot, "/cc-nominate", "U0PILOT02", "<@U0PILOT01|zia> openedx/frontend-app-learning Great reviews"
    )
    assert view["title"]["text"] == "Propose more repos"
    values = {
        Input.GITHUB.value: text_input("ziafazal"),
        Input.REPOS.value: text_input("openedx/frontend-app-learning"),
        Input.REASON.value: text_input("Great reviews"),
    }
    response = bot.sender.interaction(view_submission(view, values, user_id="U0PILOT02"))
    assert response.status_code == 200
    assert not response.content
    posts = wait_until(lambda: bot.slack.messages(COORDINATION), what="proposal post")
    assert "Rights expansion #1" in posts[0]["text"]  # type: ignore[index]
    blocks = json.dumps(posts[0]["blocks"])  # type: ignore[index]
    assert "to get rights on `openedx/frontend-app-learning` as well" in blocks


def test_an_alumnus_clicking_their_old_step_down_for_their_organisation_is_refused(
    bot: RunningBot, clock: list[dt.datetime]
) -> None:
    opened_at = utc("2026-12-01T17:00")  # 09:00 in Vancouver, Braden's working hours
    with bot.runtime.session_factory() as session:
        opencraft = get_organization_by_name(session, "OpenCraft")
        assert opencraft is not None
        opencraft.contact_email = "braden.macdonald@example.org"
        session.add(opencraft)
        session.commit()
        open_renewal(
            session,
            year=2027,
            who="organizations",
            closes_on=dt.date(2026, 12, 31),
            now=opened_at,
            actor="t",
            policy=bot.runtime.policy,
        )
    bot.bot.run_job("outbox_delivery", now=opened_at)
    [invite] = [
        m for m in bot.slack.messages(BRADEN) if "does *OpenCraft* recommit" in json.dumps(m["blocks"])
    ]
    with bot.runtime.session_factory() as session:
        retire(
            session,
            person(session, "cc-coordinator"),
            github="bradenmacdonald",
            reason="left",
            now=opened_at,
            channels=CHANNELS,
        )
    clock[0] = utc("2026-12-02T17:00")
    step_down = _button(invite, Action.RENEWAL_STEP_DOWN.value)
    for key in ("braden-1", "braden-2"):
        told = _click(bot, invite, step_down["action_id"], step_down["value"], BRADEN, key)
        assert told[0]["response_type"] == "ephemeral"
        assert told[0]["text"].startswith(
            "You are no longer OpenCraft's contact for the Core Committer program"
        )
    asks = [m for m in bot.slack.messages(ADMIN) if "OpenCraft needs a new contact" in m["text"]]
    assert len(asks) == 1, "the admins are asked once"
    with bot.runtime.session_factory() as session:
        [member] = [
            m
            for m in session.exec(select(RenewalMember)).all()
            if m.contact_id == person(session, "bradenmacdonald").id
        ]
        assert member.answer is RenewalAnswer.PENDING
