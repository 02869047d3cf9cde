"""Retros: invitations, reminders to those who have not answered, `/cc-retro` over HTTP, and the report."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.ids import Action, Input
from bot.jobs.retro_reminders import retro_reminders
from bot.services.errors import UserError
from bot.services.retros import Feedback, open_retro, submit_feedback
from bot.settings import Settings, load_settings
from bot.slack import make_client
from bot.slack_standin import SlackStandIn
from storage.db import make_session_factory
from storage.models import RetroAudience
from storage.roster import get_person_by_github
from tests.conftest import NOW, RunningBot, load_pilot, wait_until
from tests.slack_requests import block_action, text_input, view_submission

OPENED = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def settings(db_url: str, slack: SlackStandIn) -> Settings:
    return load_settings(
        SLACK_BOT_TOKEN="xoxb-test-token", SLACK_API_URL=slack.url, CCBOT_DATABASE_URL=db_url
    )


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        load_pilot(session, now=NOW)
        yield session


def _run(db: Session, settings: Settings, when: dt.datetime) -> None:
    retro_reminders(when, db, make_client(settings), settings=settings)


def _retro_dms(slack: SlackStandIn, user: str, text: str) -> list[dict]:
    return [m for m in slack.messages(user) if text in json.dumps(m["blocks"])]


def test_invitations_reminders_and_the_report_each_once(
    db: Session, settings: Settings, slack: SlackStandIn
) -> None:
    retro, people = open_retro(
        db,
        name="pilot-2026",
        closes_on=dt.date(2026, 12, 9),
        audience=RetroAudience.CCS,
        now=OPENED,
        actor="test",
    )
    assert len(people) == 9
    _run(db, settings, OPENED)
    _run(db, settings, OPENED + dt.timedelta(hours=1))
    assert len(_retro_dms(slack, "U0PILOT01", "is open")) == 1
    assert _retro_dms(slack, "U0CHAMP01", "is open") == [], "champions are not in a CCs-only retro"

    zia, braden = get_person_by_github(db, "ziafazal"), get_person_by_github(db, "bradenmacdonald")
    submit_feedback(
        db,
        zia,
        retro.id or 0,
        Feedback(liked="Fast answers", lacked="Docs"),
        now=OPENED + dt.timedelta(days=1),
    )
    submit_feedback(
        db,
        braden,
        retro.id or 0,
        Feedback(liked="Champions", longed_for="A roadmap", anonymous=True),
        now=OPENED + dt.timedelta(days=1),
    )
    midpoint = OPENED + (retro.closes_at - OPENED) / 2
    _run(db, settings, midpoint - dt.timedelta(minutes=1))
    assert _retro_dms(slack, "U0PILOT03", "Halfway") == []
    _run(db, settings, midpoint)
    _run(db, settings, midpoint + dt.timedelta(hours=1))
    assert len(_retro_dms(slack, "U0PILOT03", "Halfway")) == 1
    assert _retro_dms(slack, "U0PILOT01", "Halfway") == [], "who answered is not reminded"
    _run(db, settings, retro.closes_at - dt.timedelta(days=1))
    assert len(_retro_dms(slack, "U0PILOT03", "closes in a day")) == 1

    _run(db, settings, retro.closes_at)
    _run(db, settings, retro.closes_at + dt.timedelta(hours=1))
    for user in ("U0PILOT01", "U0MGR0001", "U0ADMIN01"):
        reports = [m for m in slack.messages(user) if "the results" in json.dumps(m["blocks"])]
        assert len(reports) == 1, user
    report = json.dumps(
        next(m for m in slack.messages("U0MGR0001") if "the results" in json.dumps(m["blocks"]))["blocks"]
    )
    assert "2 of 9 participants responded (22%)" in report
    assert "Fast answers (<@U0PILOT01>)" in report
    assert "A roadmap (_anonymous_)" in report
    assert "U0PILOT02" not in report, "an anonymous answer is never attributed"
    with pytest.raises(UserError, match="no retro open"):
        submit_feedback(db, zia, retro.id or 0, Feedback(liked="late"), now=retro.closes_at)


def test_opening_checks_the_name_and_the_date(db: Session) -> None:
    open_retro(
        db, name="r1", closes_on=dt.date(2026, 12, 9), audience=RetroAudience.ALL, now=OPENED, actor="t"
    )
    with pytest.raises(UserError, match="already a retro"):
        open_retro(
            db, name="r1", closes_on=dt.date(2026, 12, 9), audience=RetroAudience.ALL, now=OPENED, actor="t"
        )
    with pytest.raises(UserError, match="at least a day"):
        open_retro(db, name="r2", closes_on=OPENED.date(), audience=RetroAudience.ALL, now=OPENED, actor="t")


def test_cc_retro_and_the_share_button_open_the_same_form_over_http(bot: RunningBot) -> None:
    assert "no retro open" in bot.sender.command("/cc-retro", user_id="U0PILOT01").json()["text"]
    with bot.runtime.session_factory() as session:
        retro, _ = open_retro(
            session,
            name="pilot",
            closes_on=dt.date(2026, 12, 9),
            audience=RetroAudience.ALL,
            now=NOW,
            actor="t",
        )
    bot.sender.command("/cc-retro", user_id="U0PILOT01")
    wait_until(lambda: bot.slack.calls("views.open"), what="retro modal")
    view = bot.slack.calls("views.open")[-1].args["view"]
    empty = bot.sender.interaction(view_submission(view, {}, user_id="U0PILOT01")).json()
    assert empty["response_action"] == "errors"
    values = {
        Input.LIKED.value: text_input("The <!here> threads"),
        Input.ANONYMOUS.value: {"type": "checkboxes", "selected_options": [{"value": "anonymous"}]},
    }
    thanks = bot.sender.interaction(view_submission(view, values, user_id="U0PILOT01")).json()
    assert "saved anonymously" in json.dumps(thanks)
    bot.sender.interaction(block_action(Action.SHARE_FEEDBACK, str(retro.id), user_id="U0PILOT01"))
    wait_until(lambda: len(bot.slack.calls("views.open")) == 2, what="modal from the button")
    again = bot.slack.calls("views.open")[-1].args["view"]
    liked = next(b for b in again["blocks"] if b.get("block_id") == Input.LIKED.value)
    assert liked["element"]["initial_value"] == "The <!here> threads", "answers can be changed until closing"
    stranger = bot.sender.command("/cc-retro", user_id="U0NOBODY1").json()["text"]
    assert "roster" in stranger
