"""The admins as recipients: every list of them holds the roster's admins and the CCBOT_ADMINS ids alike."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session, select

from bot.services.admin import set_phase
from bot.services.admins import admin_ids, admin_messages
from bot.services.outbox import queue_failure_notice
from bot.types.keys import Kind
from storage.models import Agreement, Phase, Status
from tests.conftest import NOW
from tests.flows import CHANNELS, FakeMessenger, deliver, person

ROSTER_ADMIN, BOOTSTRAP_ADMIN = "U0ADMIN01", "U0ADMIN99"
BOTH = [ROSTER_ADMIN, BOOTSTRAP_ADMIN]


def test_the_admins_are_those_on_the_roster_and_ccbot_admins_once_each(pilot_session: Session) -> None:
    assert person(pilot_session, "cc-coordinator").slack_user_id == ROSTER_ADMIN
    assert admin_ids(pilot_session, CHANNELS) == BOTH
    # A bootstrap id that is also on the roster is told once.
    twice = dataclasses.replace(CHANNELS, admins=(ROSTER_ADMIN, BOOTSTRAP_ADMIN))
    assert admin_ids(pilot_session, twice) == BOTH


def test_each_admin_message_goes_to_both_kinds_of_admin(pilot_session: Session) -> None:
    messages = admin_messages(pilot_session, CHANNELS, Kind.ACCESS_INTERRUPTED, ["run"], "text")
    assert sorted(m.channel for m in messages if m is not None) == BOTH
    keys = queue_failure_notice(
        pilot_session, [("dm:x", "gone")], now=NOW, admins=admin_ids(pilot_session, CHANNELS)
    )
    assert len(keys) == 2


def test_a_lapse_is_told_to_the_roster_admins_and_ccbot_admins_alike(pilot_session: Session) -> None:
    session = pilot_session
    zia = person(session, "ziafazal")
    nda = session.exec(select(Agreement).where(Agreement.person_id == zia.id, Agreement.kind == "nda")).one()
    nda.expires_on = NOW.date() - dt.timedelta(days=1)
    session.add(nda)
    session.commit()
    actor = person(session, "cc-coordinator")
    set_phase(session, actor, phase=Phase.PILOT, nda_required=True, milestones="", now=NOW, channels=CHANNELS)
    messenger = FakeMessenger()
    deliver(session, messenger, now=NOW)

    assert person(session, "ziafazal").status == Status.LAPSED.value
    lapses = [m["channel"] for m in messenger.posted if "*lapsed*" in m["text"]]
    assert set(BOTH) <= set(lapses)
    assert len(lapses) == len(set(lapses)), "each is told once"
