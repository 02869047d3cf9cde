"""Authorization matrix: every action that changes something, against every role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlmodel import Session

from bot.services.admin import check_admin, set_phase
from bot.services.errors import UserError
from bot.services.escalations import (
    acknowledge_escalation,
    open_escalation,
    resolve_escalation,
    validate_escalation,
)
from bot.services.nominations import cast_vote, open_nomination
from bot.services.notices import answer_notice, parse_payload, record_deployment
from bot.services.questions import ask_question, claim_question, mark_answered, validate_question
from bot.types.policy import Channels, NominationRules
from storage.models import NoticeState, Person, Phase, Status
from storage.roster import get_person_by_github
from tests.conftest import NOW, SQLITE_ONLY
from tests.flows import CHANNELS

ROLES = {
    "asker": "ziafazal",
    "other committer": "bradenmacdonald",
    "their champion": "jbowman",
    "another champion": "schen",
    "manager": "eng-director",
    "admin": "cc-coordinator",
    "stranger": None,
    "removed committer": "bradenmacdonald",
    "removed champion": "jbowman",
    "removed manager": "eng-director",
    "removed admin": "cc-coordinator",
}
RULES = NominationRules()


def _who(session: Session, role: str) -> Person | None:
    handle = ROLES[role]
    person = get_person_by_github(session, handle) if handle else None
    if person is not None and role.startswith("removed "):
        # Removal (alumni) takes every power, whatever roles the person held.
        person.removed_on, person.status = NOW.date(), Status.ALUMNI.value
        session.add(person)
        session.commit()
    return person


def _question(session: Session) -> int:
    draft = validate_question(
        pr_url="https://github.com/openedx/edx-platform/pull/5", text="q", urgency="normal"
    )
    asker = _who(session, "asker")
    return ask_question(session, asker, draft, now=NOW, channels=CHANNELS).card.id  # type: ignore[arg-type]


def _escalation(session: Session) -> int:
    zia = _who(session, "asker")
    draft = validate_escalation(
        session, zia, committer_id=None, summary="s", impact="i", related="", urgency="normal"
    )
    return open_escalation(session, zia, draft, now=NOW, channels=CHANNELS).card.id  # type: ignore[arg-type]


def _notice(session: Session) -> int:
    payload = parse_payload(
        {
            "event": "deploy_failed",
            "environment": "stage",
            "repo": "openedx/edx-platform",
            "pull_requests": [{"number": 9, "author": "ziafazal"}],
            "sha_range": "a..b",
        }
    )
    return record_deployment(session, payload, now=NOW, channels=Channels()).new[0].id


def _nomination(session: Session) -> int:
    set_phase(
        session,
        _who(session, "admin"),  # type: ignore[arg-type]
        phase=Phase.ESTABLISH,
        nda_required=True,
        milestones="",
        now=NOW,
        channels=Channels(),
    )
    decided = open_nomination(
        session,
        _who(session, "asker"),
        github="newcomer",
        name="",
        slack_user_id=None,
        organization=None,
        repos=["openedx/edx-platform"],
        reason="r",
        now=NOW,
        rules=RULES,
        channels=Channels(coordination="C0COORD01"),
    )
    return decided.card.id


Action = Callable[[Session, Person | None], object]
ACTIONS: dict[str, tuple[Action, set[str]]] = {
    "claim a question": (
        lambda s, p: claim_question(s, _question(s), p, now=NOW),
        {"their champion", "another champion", "manager", "admin"},
    ),
    "mark a question answered": (
        lambda s, p: mark_answered(s, _question(s), p, now=NOW),
        {"asker", "their champion", "another champion", "manager", "admin"},
    ),
    "acknowledge an escalation": (
        lambda s, p: acknowledge_escalation(s, _escalation(s), p, now=NOW),
        {"manager", "admin"},
    ),
    "resolve an escalation": (
        lambda s, p: resolve_escalation(s, _escalation(s), p, "done", now=NOW),
        {"manager", "admin"},
    ),
    "answer a production notice": (
        lambda s, p: answer_notice(
            s, _notice(s), p, NoticeState.REVERTING, now=NOW + dt.timedelta(minutes=1)
        ),
        {"asker"},
    ),
    "vote on a nomination": (
        lambda s, p: cast_vote(s, _nomination(s), p, yes=True, now=NOW, rules=RULES),
        {"asker", "other committer"},
    ),
    "use /cc-admin": (lambda s, p: check_admin(s, p, []), {"admin"}),
}


@SQLITE_ONLY  # who may act is decided in the services, the same on both databases
@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_only_the_right_roles_may_act(pilot_session: Session, action: str, role: str) -> None:
    session = pilot_session
    run, allowed = ACTIONS[action]
    person = _who(session, role)
    assert not (role.startswith("removed ") and role in allowed)
    if role in allowed:
        run(session, person)
    else:
        with pytest.raises(UserError):
            run(session, person)
