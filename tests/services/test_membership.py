"""Activity, inactivity, alumni and reinstatement: every feature records activity in one table, the weekly
review proposes the inactive (once a week, kept ones left out for 90 days), alumni lose their power and
come back with their standing recomputed and their history kept."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import Session, select

from bot.services.activity import last_activity, record_activity
from bot.services.admin import set_phase
from bot.services.errors import FieldErrors, UserError
from bot.services.github.webhooks import act_on_delivery, parse_event
from bot.services.membership import (
    decide_inactive,
    list_inactive,
    reinstate,
    retire,
    review_inactive,
)
from bot.services.nominations import cast_vote, open_nomination
from bot.services.retros import open_retro, submit_feedback
from bot.types.policy import Channels, LifecyclePolicy, NominationRules, Policy
from bot.types.retros import Feedback
from storage.membership import add_proposals
from storage.models import (
    Activity,
    ActivityKind,
    AuditEntry,
    CommitGrant,
    InactivityDecision,
    InactivityProposal,
    Person,
    Phase,
    RetroAudience,
    Status,
)
from storage.roster import get_or_add_repo, list_powers
from tests.conftest import NOW, load_pilot
from tests.flows import CHANNELS, FakeMessenger, ask, deliver, person
from tests.test_github_hook import pr_payload

POLICY = LifecyclePolicy()


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def db(session: Session) -> Session:
    load_pilot(session)
    return session


def test_activity_is_recorded_once_per_kind_and_ref_and_the_latest_counts(db: Session) -> None:
    zia = person(db, "ziafazal")
    assert record_activity(db, zia.id or 0, ActivityKind.MERGED, NOW, "openedx/edx-platform#1")
    assert not record_activity(db, zia.id or 0, ActivityKind.MERGED, NOW, "openedx/edx-platform#1")
    record_activity(db, zia.id or 0, ActivityKind.REVIEWED, NOW + dt.timedelta(days=2), "openedx/XBlock#77")
    db.commit()
    assert last_activity(db, zia.id or 0) == NOW + dt.timedelta(days=2)
    assert last_activity(db, person(db, "regisb").id or 0) is None


def test_questions_votes_and_retro_answers_are_activity(db: Session) -> None:
    ask(db, "ziafazal", now=NOW)
    set_phase(
        db,
        person(db, "cc-coordinator"),
        phase=Phase.ESTABLISH,
        nda_required=True,
        milestones="",
        now=NOW,
        channels=Channels(),
    )
    card = open_nomination(
        db,
        person(db, "bradenmacdonald"),
        github="newbie",
        name="",
        slack_user_id=None,
        organization=None,
        repos=["openedx/edx-platform"],
        reason="Reviews",
        now=NOW,
        rules=NominationRules(),
        channels=CHANNELS,
    ).card
    cast_vote(
        db, card.id, person(db, "regisb"), yes=True, now=NOW + dt.timedelta(hours=1), rules=NominationRules()
    )
    retro, _ = open_retro(
        db, name="r", closes_on=dt.date(2026, 12, 9), audience=RetroAudience.CCS, now=NOW, actor="t"
    )
    submit_feedback(
        db, person(db, "symbolist"), retro.id or 0, Feedback(liked="All"), now=NOW + dt.timedelta(hours=2)
    )
    kinds = {(a.kind, a.ref) for a in db.exec(select(Activity)).all()}
    assert ("question", "question:1") in kinds
    assert ("vote", f"nomination:{card.id}") in kinds
    assert ("retro", f"retro:{retro.id}") in kinds


def test_nobody_is_inactive_before_tracking_began_and_the_clock_counts_from_the_latest_sign(
    db: Session,
) -> None:
    assert list_inactive(db, now=NOW, policy=POLICY) == []
    review_inactive(db, now=NOW, policy=POLICY, channels=CHANNELS)  # starts the clock
    later = NOW + dt.timedelta(days=184)
    record_activity(
        db, person(db, "ziafazal").id or 0, ActivityKind.QUESTION, NOW + dt.timedelta(days=30), "q:1"
    )
    regis = person(db, "regisb")
    repo = get_or_add_repo(db, "openedx/frontend-app-learning")
    db.add(
        CommitGrant(person_id=regis.id or 0, repo_id=repo.id, granted_on=(NOW + dt.timedelta(days=60)).date())
    )
    db.commit()
    inactive = {i.person.github: i for i in list_inactive(db, now=later, policy=POLICY)}
    assert "ziafazal" not in inactive, "a question a month in"
    assert "regisb" not in inactive, "a new grant starts the clock again"
    assert inactive["bradenmacdonald"].days == 184
    assert inactive["bradenmacdonald"].last_active_at is None
    assert "jbowman" not in inactive, "champions are not reviewed"


def test_the_weekly_review_proposes_once_keep_spares_ninety_days_and_move_makes_an_alumnus(
    db: Session,
) -> None:
    review_inactive(db, now=NOW, policy=POLICY, channels=CHANNELS)
    monday = utc("2027-06-07T08:30")  # 193 days later
    assert review_inactive(db, now=monday, policy=POLICY, channels=CHANNELS) == 9
    assert review_inactive(db, now=monday + dt.timedelta(hours=1), policy=POLICY, channels=CHANNELS) == 0
    slack = FakeMessenger()
    deliver(db, slack, now=monday)
    for admin in ("U0ADMIN01", "U0ADMIN99"):
        lists = [m for m in slack.posted if m["channel"] == admin]
        assert len(lists) == 1, admin
        assert json.dumps(lists[0]["blocks"]).count('"action_id": "inactive_keep"') == 9
    admin = person(db, "cc-coordinator")
    proposals = {p.person_id: p for p in db.exec(select(InactivityProposal)).all()}
    zia, braden = person(db, "ziafazal"), person(db, "bradenmacdonald")
    kept = decide_inactive(
        db,
        proposals[zia.id or 0].id or 0,
        admin,
        decision=InactivityDecision.KEPT,
        now=monday,
        policy=POLICY,
        channels=CHANNELS,
    )
    assert "2027-09-05" in kept.confirmation
    with pytest.raises(UserError, match="already kept"):
        decide_inactive(
            db,
            proposals[zia.id or 0].id or 0,
            admin,
            decision=InactivityDecision.MOVED,
            now=monday,
            policy=POLICY,
            channels=CHANNELS,
        )
    decide_inactive(
        db,
        proposals[braden.id or 0].id or 0,
        admin,
        decision=InactivityDecision.MOVED,
        now=monday,
        policy=POLICY,
        channels=CHANNELS,
    )
    db.refresh(braden)
    assert braden.removed_on == monday.date()
    assert list_powers(db, braden.id or 0) == set()
    deliver(db, slack, now=monday)
    # Both decisions redrew both admins' lists; the second redraw replaced the first before it went out.
    assert sorted(u["channel"] for u in slack.updated) == ["U0ADMIN01", "U0ADMIN99"]
    for update in slack.updated:
        assert "Moved to alumni by cc-coordinator" in json.dumps(update["blocks"])
        assert "Kept by cc-coordinator until 2027-09-05" in json.dumps(update["blocks"])
    assert any("you are now an alumnus" in t for t in slack.texts("U0PILOT02"))

    next_week = review_inactive(db, now=monday + dt.timedelta(days=7), policy=POLICY, channels=CHANNELS)
    assert next_week == 7, "neither the kept one nor the alumnus"
    after_keep = review_inactive(db, now=monday + dt.timedelta(days=91), policy=POLICY, channels=CHANNELS)
    assert zia.id in {
        p.person_id
        for p in db.exec(select(InactivityProposal).where(InactivityProposal.period == "2027-W36")).all()
    }
    assert after_keep == 8


def test_reinstating_recomputes_standing_from_agreements_and_keeps_history(db: Session) -> None:
    admin = person(db, "cc-coordinator")
    retire(db, admin, github="regisb", reason="moved on", now=NOW, channels=CHANNELS)
    regis = person(db, "regisb")
    assert regis.status == Status.ALUMNI.value
    with pytest.raises(FieldErrors, match="already an alumnus"):
        retire(db, admin, github="regisb", reason="again", now=NOW, channels=CHANNELS)
    with pytest.raises(FieldErrors, match="not an alumnus"):
        reinstate(db, admin, github="ziafazal", now=NOW, channels=CHANNELS)
    back = reinstate(
        db, admin, github="regisb", reason="back at work", now=NOW + dt.timedelta(days=10), channels=CHANNELS
    )
    db.refresh(regis)
    assert regis.removed_on is None
    assert regis.status == Status.ACTIVE.value
    assert "standing *active*" in back.confirmation
    assert list_powers(db, regis.id or 0) == {"committer"}
    actions = [e.action for e in db.exec(select(AuditEntry).where(AuditEntry.subject == "regisb")).all()]
    assert actions == ["person.removed", "person.reinstated"]
    assert last_activity(db, regis.id or 0) == NOW + dt.timedelta(days=10), "reinstating restarts the clock"
    # Much later their agreements have ended: reinstated again, the standing says so.
    retire(db, admin, github="regisb", reason="quiet", now=utc("2027-02-01T09:00"), channels=CHANNELS)
    again = reinstate(db, admin, github="regisb", now=utc("2027-03-01T09:00"), channels=CHANNELS)
    db.refresh(regis)
    assert regis.status == Status.LAPSED.value
    assert "expired on 2027-01-31" in again.confirmation


def test_proposals_another_instance_made_meanwhile_are_not_made_twice(db: Session) -> None:
    zia, braden = person(db, "ziafazal"), person(db, "bradenmacdonald")

    def proposal(who: Person) -> InactivityProposal:
        return InactivityProposal(person_id=who.id or 0, period="2027-W23", proposed_at=NOW)

    # The same person twice in one batch stands for a row another instance inserted meanwhile.
    assert add_proposals(db, [proposal(zia), proposal(braden), proposal(zia)]) == 2
    db.commit()
    assert add_proposals(db, [proposal(zia), proposal(braden)]) == 0
    assert len(db.exec(select(InactivityProposal)).all()) == 2


def _github(db: Session, event: str, payload: dict[str, object], *, delivery: str, at: dt.datetime) -> None:
    outcome = act_on_delivery(
        db,
        parse_event(event, payload),
        event=event,
        delivery_id=delivery,
        now=at,
        policy=Policy(),
        channels=CHANNELS,
    )
    assert outcome.status == "accepted", outcome.detail


def _merge(db: Session, who: str, number: int, at: dt.datetime) -> None:
    payload = pr_payload("closed", number, author=who, merged_by=who, merged_at=f"{at:%Y-%m-%dT%H:%M:%SZ}")
    _github(db, "pull_request", payload, delivery=f"merge-{who}-{number}", at=at)


def _review(db: Session, who: str, number: int, at: dt.datetime) -> None:
    pr = pr_payload("opened", number, author="someone-else")
    payload = {
        "action": "submitted",
        "review": {"user": {"login": who}, "state": "approved"},
        "pull_request": pr["pull_request"],
        "repository": pr["repository"],
    }
    _github(db, "pull_request_review", payload, delivery=f"review-{who}-{number}", at=at)


def test_committers_who_merge_or_review_on_github_but_never_use_the_bot_are_not_proposed(db: Session) -> None:
    review_inactive(db, now=NOW, policy=POLICY, channels=CHANNELS)  # starts the clock
    for week in range(27):
        _merge(db, "pdpinch", 100 + week, NOW + dt.timedelta(days=7 * week + 1))
        _review(db, "felipemontoya", 200 + week, NOW + dt.timedelta(days=7 * week + 2))
    later = NOW + dt.timedelta(days=190)
    inactive = {i.person.github: i for i in list_inactive(db, now=later, policy=POLICY)}
    assert "pdpinch" not in inactive, "merges every week on GitHub"
    assert "felipemontoya" not in inactive, "reviews every week on GitHub"
    assert "bradenmacdonald" in inactive
    pdpinch = person(db, "pdpinch")
    assert last_activity(db, pdpinch.id or 0) == NOW + dt.timedelta(days=7 * 26 + 1)
    assert review_inactive(db, now=later, policy=POLICY, channels=CHANNELS) == 7


def _proposal_of(db: Session, who: str) -> InactivityProposal:
    pid = person(db, who).id
    return db.exec(select(InactivityProposal).where(InactivityProposal.person_id == pid)).one()


def test_moving_a_proposed_committer_who_merged_since_is_refused_with_the_reason(db: Session) -> None:
    review_inactive(db, now=NOW, policy=POLICY, channels=CHANNELS)
    monday = utc("2027-06-07T08:30")
    review_inactive(db, now=monday, policy=POLICY, channels=CHANNELS)
    _merge(db, "ziafazal", 12, utc("2027-06-09T16:00"))
    admin = person(db, "cc-coordinator")
    a_week_on = monday + dt.timedelta(days=7)
    with pytest.raises(UserError) as refused:
        decide_inactive(
            db,
            _proposal_of(db, "ziafazal").id or 0,
            admin,
            decision=InactivityDecision.MOVED,
            now=a_week_on,
            policy=POLICY,
            channels=CHANNELS,
        )
    assert str(refused.value) == (
        "ziafazal merged openedx/edx-platform#12 on 2027-06-09, after this proposal; not moved."
    )
    assert person(db, "ziafazal").removed_on is None
    assert _proposal_of(db, "ziafazal").decision is None, "still open: Keep remains possible"
    decide_inactive(
        db,
        _proposal_of(db, "bradenmacdonald").id or 0,
        admin,
        decision=InactivityDecision.MOVED,
        now=a_week_on,
        policy=POLICY,
        channels=CHANNELS,
    )
    assert person(db, "bradenmacdonald").removed_on == a_week_on.date(), "no activity since: moved"
