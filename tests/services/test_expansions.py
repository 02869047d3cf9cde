"""Rights expansion: a nomination naming an existing active committer proposes more repositories for them,
over CCBOT_EXPANSION_DAYS with the same vote rule; approval adds grants only, never identity or roles."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from bot.services.admin import set_phase
from bot.services.errors import FieldErrors, UserError
from bot.services.nominations import cast_vote, close_due_nominations, open_nomination
from bot.types.nominations import NominationCard
from bot.types.policy import Channels, NominationRules
from storage.models import NominationState, Phase
from storage.roster import list_active_grants, list_roles
from tests.conftest import NOW, load_pilot
from tests.flows import CHANNELS, FakeMessenger, deliver, person

RULES = NominationRules(min_yes=3, expansion_days=7)
VOTERS = ("bradenmacdonald", "symbolist", "felipemontoya", "regisb")


@pytest.fixture
def db(session: Session) -> Session:
    load_pilot(session)
    set_phase(
        session,
        person(session, "cc-coordinator"),
        phase=Phase.ESTABLISH,
        nda_required=True,
        milestones="",
        now=NOW,
        channels=Channels(),
    )
    return session


def _propose(
    db: Session, repos: list[str], *, who: str = "ziafazal", sponsor: str = "pdpinch"
) -> NominationCard:
    return open_nomination(
        db,
        person(db, sponsor),
        github=who,
        name="ignored",
        slack_user_id=None,
        organization="Ignored Inc",
        repos=repos,
        reason="Reviews there every week",
        now=NOW,
        rules=RULES,
        channels=CHANNELS,
    ).card


def _repos(db: Session, handle: str) -> list[str]:
    return sorted(repo.full_name for _, repo in list_active_grants(db, person(db, handle).id or 0) if repo)


def test_an_expansion_closes_after_the_shorter_period_and_adds_only_the_new_grants(db: Session) -> None:
    zia = person(db, "ziafazal")
    roles_before, slack_before = list_roles(db, zia.id or 0), zia.slack_user_id
    card = _propose(db, ["openedx/edx-platform", "openedx/frontend-app-learning"])
    assert card.is_expansion
    nomination = card.nomination
    assert nomination.closes_at == NOW + dt.timedelta(days=7)
    assert nomination.repos == ["openedx/frontend-app-learning"], "rights already held are left out"
    assert (nomination.nominee_name, nomination.nominee_organization) == ("Zia Fazal", "Edly by Arbisoft")
    for voter in VOTERS[:2]:
        cast_vote(db, card.id, person(db, voter), yes=True, now=NOW + dt.timedelta(days=1), rules=RULES)
    with pytest.raises(UserError, match="your own nomination"):
        cast_vote(db, card.id, zia, yes=True, now=NOW + dt.timedelta(days=1), rules=RULES)
    assert close_due_nominations(db, now=NOW + dt.timedelta(days=6), rules=RULES, channels=CHANNELS) == []
    [closed] = close_due_nominations(db, now=NOW + dt.timedelta(days=7), rules=RULES, channels=CHANNELS)
    assert closed.card.nomination.state == NominationState.APPROVED.value
    assert closed.card.granted == ["openedx/frontend-app-learning"]
    db.refresh(zia)
    assert _repos(db, "ziafazal") == ["openedx/edx-platform", "openedx/frontend-app-learning"]
    assert list_roles(db, zia.id or 0) == roles_before
    assert zia.slack_user_id == slack_before
    slack = FakeMessenger()
    deliver(db, slack, now=NOW + dt.timedelta(days=7))
    assert any("now holds rights on `openedx/frontend-app-learning` too" in t for t in slack.texts())
    assert any("The committers approved rights on" in t for t in slack.texts("U0PILOT01"))
    assert any("Rights expansion #1 approved" in t for t in slack.texts("U0ADMIN99"))


def test_a_no_vote_keeps_the_rights_as_they_were(db: Session) -> None:
    card = _propose(db, ["openedx/frontend-app-learning"])
    for voter in VOTERS[:3]:
        cast_vote(db, card.id, person(db, voter), yes=True, now=NOW, rules=RULES)
    cast_vote(db, card.id, person(db, VOTERS[3]), yes=False, now=NOW, rules=RULES)
    [closed] = close_due_nominations(db, now=NOW + dt.timedelta(days=7), rules=RULES, channels=CHANNELS)
    assert closed.card.nomination.state == NominationState.REJECTED.value
    assert _repos(db, "ziafazal") == ["openedx/edx-platform"]


def test_an_expansion_is_refused_for_oneself_for_held_repos_and_for_someone_not_active(db: Session) -> None:
    with pytest.raises(FieldErrors, match="Ask another committer"):
        _propose(db, ["openedx/frontend-app-learning"], sponsor="ziafazal")
    with pytest.raises(FieldErrors, match="already holds rights on openedx/edx-platform"):
        _propose(db, ["openedx/edx-platform"])
    with pytest.raises(FieldErrors, match="not an active committer"):
        _propose(db, ["openedx/edx-platform"], who="idegtiarov")  # still onboarding
    _propose(db, ["openedx/frontend-app-learning"])
    with pytest.raises(FieldErrors, match="already has an open nomination or proposal"):
        _propose(db, ["openedx/frontend-app-mfe"])


def test_an_approved_expansion_grants_nothing_to_someone_who_became_an_alumnus(db: Session) -> None:
    card = _propose(db, ["openedx/frontend-app-learning"])
    for voter in VOTERS[:3]:
        cast_vote(db, card.id, person(db, voter), yes=True, now=NOW, rules=RULES)
    zia = person(db, "ziafazal")
    zia.removed_on = (NOW + dt.timedelta(days=3)).date()
    db.add(zia)
    db.commit()
    [closed] = close_due_nominations(db, now=NOW + dt.timedelta(days=7), rules=RULES, channels=CHANNELS)
    assert closed.card.granted == []
    assert _repos(db, "ziafazal") == ["openedx/edx-platform"]
