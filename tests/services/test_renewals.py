"""Recommitment rounds as services: who is asked, answers and their changes, organisations stepping down,
the admins' Move to alumni and Extend a month (a month after 31 January, in leap years and not), and
progress in App Home and the digest."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import Session, select

from bot.services.admin import check_admin
from bot.services.agreements import change_agreement
from bot.services.digest import build_digest
from bot.services.errors import UserError
from bot.services.membership import retire
from bot.services.renewals import (
    add_month,
    advance_renewals,
    answer_renewal,
    decide_listed,
    open_renewal,
    queue_reminders,
    renewal_progress,
    renewal_year,
    scheduled_date,
    settle_due,
)
from bot.services.standing import is_valid
from bot.types.policy import LifecyclePolicy, Policy
from bot.views.digest import digest_blocks
from storage.models import (
    AgreementAction,
    AgreementEvent,
    AgreementKind,
    AuditEntry,
    OutboxMessage,
    RenewalAnswer,
    RenewalAudience,
    RenewalMember,
    RenewalOutcome,
)
from storage.roster import get_organization_by_name, list_agreements, list_powers, list_roles
from tests.conftest import NOW, load_pilot
from tests.flows import CHANNELS, FakeMessenger, deliver, person

POLICY = Policy()
DECEMBER = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def test_calendar_rules_years_months_and_leap_days() -> None:
    assert renewal_year(dt.date(2026, 12, 1)) == 2027, (
        "organisations recommit in December for the coming year"
    )
    assert renewal_year(dt.date(2027, 1, 5)) == 2027, "individuals in January for the year begun"
    assert scheduled_date(2027, 2, 29) == dt.date(2027, 2, 28)
    assert scheduled_date(2028, 2, 29) == dt.date(2028, 2, 29)
    assert add_month(utc("2028-01-31T10:00")) == utc("2028-02-29T10:00")
    assert add_month(utc("2027-01-31T10:00")) == utc("2027-02-28T10:00")
    assert add_month(utc("2026-12-15T00:00")) == utc("2027-01-15T00:00")


@pytest.fixture
def db(session: Session) -> Session:
    load_pilot(session)
    return session


def _open(
    db: Session, who: str, *, at: dt.datetime, closes: dt.date, year: int = 2027
) -> list[RenewalMember]:
    open_renewal(db, year=year, who=who, closes_on=closes, now=at, actor="test", policy=POLICY)
    return list(db.exec(select(RenewalMember)).all())


def _member(db: Session, handle: str) -> RenewalMember:
    who = person(db, handle)
    return db.exec(select(RenewalMember).where(RenewalMember.person_id == who.id)).one()


def test_opening_checks_the_year_and_the_closing_day_and_refuses_a_second_round(db: Session) -> None:
    with pytest.raises(UserError, match="YEAR must be"):
        _open(db, "individuals", at=NOW, closes=dt.date(2026, 12, 20), year=2030)
    with pytest.raises(UserError, match="at least 3 days"):
        _open(db, "individuals", at=NOW, closes=dt.date(2026, 11, 27))
    with pytest.raises(UserError, match="must be individuals, organizations or all"):
        _open(db, "everyone", at=NOW, closes=dt.date(2026, 12, 20))
    _open(db, "individuals", at=NOW, closes=dt.date(2026, 12, 20))
    with pytest.raises(UserError, match="already open"):
        _open(db, "individuals", at=NOW, closes=dt.date(2026, 12, 20))


def test_a_december_round_asks_each_provider_organisation_through_its_contact(db: Session) -> None:
    opencraft = get_organization_by_name(db, "OpenCraft")
    assert opencraft is not None
    opencraft.contact_email = "Braden.MacDonald@example.org"
    db.add(opencraft)
    db.commit()
    opened = open_renewal(
        db,
        year=2027,
        who="organizations",
        closes_on=dt.date(2026, 12, 31),
        now=DECEMBER,
        actor="t",
        policy=POLICY,
    )
    renewal, asked = opened.rounds[0]
    assert (renewal.audience, asked) == (RenewalAudience.ORGANIZATIONS, 6), "six providers employ committers"
    assert any("Edly by Arbisoft has no contact" in note for note in opened.notes)
    queued = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "renewal-invite")).all()
    assert [m.channel for m in queued] == ["U0PILOT02"], "only OpenCraft has a contact on the roster"
    assert "does *OpenCraft* recommit" in json.dumps(queued[0].blocks)
    assert "reminder-snooze" in json.dumps(queued[0].blocks)


def test_an_organisation_that_steps_down_ends_its_entity_agreement_at_the_deadline(db: Session) -> None:
    opencraft = get_organization_by_name(db, "OpenCraft")
    assert opencraft is not None
    opencraft.contact_email = "braden.macdonald@example.org"
    db.add(opencraft)
    db.commit()
    change_agreement(
        db,
        person(db, "cc-coordinator"),
        holder="bradenmacdonald",
        kind=AgreementKind.ENTITY,
        action=AgreementAction.RENEWED,
        signed_on=dt.date(2026, 11, 20),
        expires_on=dt.date(2027, 12, 31),
        effective_on=None,
        reason="signed for 2027",
        now=NOW,
    )
    members = _open(db, "organizations", at=DECEMBER, closes=dt.date(2026, 12, 31))
    ours = next(m for m in members if m.organization_id == opencraft.id)
    braden = person(db, "bradenmacdonald")
    with pytest.raises(UserError, match="is for"):
        answer_renewal(
            db,
            ours.id or 0,
            person(db, "ziafazal"),
            answer=RenewalAnswer.STEPPED_DOWN,
            now=DECEMBER,
            channels=CHANNELS,
        )
    done = answer_renewal(
        db, ours.id or 0, braden, answer=RenewalAnswer.STEPPED_DOWN, now=DECEMBER, channels=CHANNELS
    )
    assert (
        "ends when the round closes. You can change your answer until the end of 2026-12-31"
        in done.confirmation
    )
    settle_due(db, now=utc("2027-01-01T00:10"), channels=CHANNELS)
    db.refresh(ours)
    assert ours.outcome is RenewalOutcome.AGREEMENT_ENDED
    entity = list_agreements(db, organization_id=opencraft.id)
    assert [a.expires_on for a in entity] == [dt.date(2026, 12, 31), dt.date(2027, 1, 1)], (
        "the renewal ends at the deadline; the earlier agreement stays as it was"
    )
    assert not any(is_valid(a, dt.date(2027, 1, 1)) for a in entity)
    history = db.exec(select(AgreementEvent).where(AgreementEvent.organization_id == opencraft.id)).all()
    assert [(e.action, e.recorded_by) for e in history[:1]] == [(AgreementAction.RECORDED, "test")], (
        "the history starts with the roster import"
    )
    assert [(e.action, e.previous_expires_on, e.recorded_by, e.reason) for e in history[1:]] == [
        (AgreementAction.RENEWED, dt.date(2026, 12, 31), "cc-coordinator", "signed for 2027"),
        (AgreementAction.REVOKED, dt.date(2027, 12, 31), "ccbot", "stepped down in the 2027 recommitment"),
    ]
    assert person(db, "bradenmacdonald").removed_on is None, "its committers lapse; they do not become alumni"
    slack = FakeMessenger()
    deliver(db, slack, now=utc("2027-01-01T00:10"))
    assert any("stepped down from the Core Committer program" in t for t in slack.texts("U0PILOT02"))


def test_an_answer_changes_until_the_deadline_and_is_final_after(db: Session) -> None:
    _open(db, "individuals", at=NOW, closes=dt.date(2026, 12, 20))
    zia, member = person(db, "ziafazal"), _member(db, "ziafazal")
    answer_renewal(db, member.id or 0, zia, answer=RenewalAnswer.STEPPED_DOWN, now=NOW, channels=CHANNELS)
    changed = answer_renewal(
        db,
        member.id or 0,
        zia,
        answer=RenewalAnswer.RECOMMITTED,
        now=NOW + dt.timedelta(days=1),
        channels=CHANNELS,
    )
    assert "recommit for 2027" in changed.confirmation
    settle_due(db, now=utc("2026-12-21T00:00"), channels=CHANNELS)
    db.refresh(member)
    assert member.outcome is RenewalOutcome.RECOMMITTED
    assert person(db, "ziafazal").removed_on is None
    with pytest.raises(UserError, match="final since 2026-12-20"):
        answer_renewal(
            db,
            member.id or 0,
            zia,
            answer=RenewalAnswer.STEPPED_DOWN,
            now=utc("2026-12-22T10:00"),
            channels=CHANNELS,
        )


def test_admins_extend_a_non_answerer_by_a_month_across_a_leap_february(db: Session) -> None:
    _open(db, "individuals", at=utc("2028-01-04T10:00"), closes=dt.date(2028, 1, 30), year=2028)
    settle_due(db, now=utc("2028-01-31T00:05"), channels=CHANNELS)
    member = _member(db, "symbolist")
    assert member.outcome is RenewalOutcome.LISTED
    admin = person(db, "cc-coordinator")
    extended = decide_listed(
        db, member.id or 0, admin, extend=True, now=utc("2028-01-31T10:00"), policy=POLICY
    )
    db.refresh(member)
    assert member.deadline == utc("2028-02-29T10:00"), "a month after 31 January is the leap day"
    assert "until 2028-02-29" in extended.confirmation
    with pytest.raises(UserError, match="already settled"):
        decide_listed(db, member.id or 0, admin, extend=False, now=utc("2028-01-31T10:01"), policy=POLICY)
    late = answer_renewal(
        db,
        member.id or 0,
        person(db, "symbolist"),
        answer=RenewalAnswer.RECOMMITTED,
        now=utc("2028-02-10T10:00"),
        channels=CHANNELS,
    )
    assert "recommit for 2028" in late.confirmation
    settle_due(db, now=utc("2028-02-29T10:00"), channels=CHANNELS)
    db.refresh(member)
    assert member.outcome is RenewalOutcome.RECOMMITTED


def test_moving_a_non_answerer_to_alumni_takes_their_power_and_redraws_every_admins_list(db: Session) -> None:
    _open(db, "individuals", at=NOW, closes=dt.date(2026, 12, 20))
    settle_due(db, now=utc("2026-12-21T00:00"), channels=CHANNELS)
    slack = FakeMessenger()
    deliver(db, slack, now=utc("2026-12-21T00:00"))
    lists = [m for m in slack.posted if m["channel"] in ("U0ADMIN01", "U0ADMIN99")]
    assert len(lists) == 2
    member = _member(db, "regisb")
    admin = person(db, "cc-coordinator")
    with pytest.raises(UserError, match="program admins"):
        check_admin(db, person(db, "ziafazal"), CHANNELS.admins)
    moved = decide_listed(db, member.id or 0, admin, extend=False, now=utc("2026-12-21T09:00"), policy=POLICY)
    assert "now an alumnus" in moved.confirmation
    regis = person(db, "regisb")
    assert regis.removed_on == dt.date(2026, 12, 21)
    assert list_powers(db, regis.id or 0) == set(), "alumni hold no power"
    assert list_roles(db, regis.id or 0) == {"committer"}, "their roles stay stored"
    deliver(db, slack, now=utc("2026-12-21T09:00"))
    assert len(slack.updated) == 2, "both admins' lists are redrawn"
    for update in slack.updated:
        assert "Moved to alumni" in json.dumps(update["blocks"])
    assert any("you are now an alumnus" in t for t in slack.texts("U0PILOT08"))
    with pytest.raises(UserError, match="settled: you are an alumnus"):
        answer_renewal(
            db,
            member.id or 0,
            regis,
            answer=RenewalAnswer.RECOMMITTED,
            now=utc("2026-12-22T09:00"),
            channels=CHANNELS,
        )


def test_progress_shows_who_answered_what_in_app_home_and_the_digest(db: Session) -> None:
    _open(db, "individuals", at=NOW, closes=dt.date(2026, 12, 20))
    answer_renewal(
        db,
        _member(db, "ziafazal").id or 0,
        person(db, "ziafazal"),
        answer=RenewalAnswer.RECOMMITTED,
        now=NOW,
        channels=CHANNELS,
    )
    answer_renewal(
        db,
        _member(db, "regisb").id or 0,
        person(db, "regisb"),
        answer=RenewalAnswer.STEPPED_DOWN,
        now=NOW,
        channels=CHANNELS,
    )
    [progress] = renewal_progress(db, now=NOW)
    assert (len(progress.recommitted), len(progress.stepped_down), len(progress.waiting)) == (1, 1, 6)
    digest = build_digest(db, now=NOW + dt.timedelta(days=1), lifecycle=LifecyclePolicy())
    text = json.dumps([b.to_dict() for b in digest_blocks(digest)])
    assert "Recommitment 2027, individuals" in text
    assert "2 of 8 answered" in text
    assert "Recommitted (1): <@U0PILOT01>" in text
    assert "Stepped down (1): <@U0PILOT08>" in text


def test_an_answer_after_the_deadline_but_before_settling_is_taken_as_final(db: Session) -> None:
    _open(db, "individuals", at=NOW, closes=dt.date(2026, 12, 20))
    late = answer_renewal(
        db,
        _member(db, "regisb").id or 0,
        person(db, "regisb"),
        answer=RenewalAnswer.STEPPED_DOWN,
        now=utc("2026-12-21T00:10"),
        channels=CHANNELS,
    )
    assert late.confirmation == ":wave: Recorded: you step down. You become an alumnus when the round closes."
    settle_due(db, now=utc("2026-12-21T00:25"), channels=CHANNELS)
    assert person(db, "regisb").removed_on == dt.date(2026, 12, 21)


def _opencraft_round(db: Session) -> RenewalMember:
    """Open the December round with Braden as OpenCraft's contact; return OpenCraft's member."""
    opencraft = get_organization_by_name(db, "OpenCraft")
    assert opencraft is not None
    opencraft.contact_email = "braden.macdonald@example.org"
    db.add(opencraft)
    db.commit()
    members = _open(db, "organizations", at=DECEMBER, closes=dt.date(2026, 12, 31))
    return next(m for m in members if m.organization_id == opencraft.id)


def _admins_asked(db: Session) -> list[OutboxMessage]:
    return list(db.exec(select(OutboxMessage).where(OutboxMessage.kind == "renewal-contact")).all())


def _entity_history(db: Session) -> list[AgreementAction]:
    opencraft = get_organization_by_name(db, "OpenCraft")
    assert opencraft is not None
    events = db.exec(select(AgreementEvent).where(AgreementEvent.organization_id == opencraft.id)).all()
    return [e.action for e in events]


def test_an_alumnus_cannot_answer_for_their_organisation_and_the_admins_are_asked_once(db: Session) -> None:
    ours = _opencraft_round(db)
    admin = person(db, "cc-coordinator")
    retire(
        db, admin, github="bradenmacdonald", reason="moved on", now=utc("2026-12-02T10:00"), channels=CHANNELS
    )
    braden = person(db, "bradenmacdonald")
    for minute in (0, 5):
        refused = answer_renewal(
            db,
            ours.id or 0,
            braden,
            answer=RenewalAnswer.STEPPED_DOWN,
            now=utc("2026-12-03T10:00") + dt.timedelta(minutes=minute),
            channels=CHANNELS,
        )
        assert refused.confirmation == (
            "You are no longer OpenCraft's contact for the Core Committer program: you have been an alumnus "
            "since 2026-12-02, so your answer is not recorded. The program admins are asked to name a new "
            "contact."
        )
    db.refresh(ours)
    assert ours.answer is RenewalAnswer.PENDING
    asked = _admins_asked(db)
    assert sorted(m.channel for m in asked) == ["U0ADMIN01", "U0ADMIN99"], (
        "each admin once, however many clicks"
    )
    assert "OpenCraft needs a new contact for the 2027 recommitment" in asked[0].text
    settle_due(db, now=utc("2027-01-01T00:10"), channels=CHANNELS)
    db.refresh(ours)
    assert ours.outcome is RenewalOutcome.LISTED, (
        "left to the admins, like an organisation that did not answer"
    )
    assert AgreementAction.REVOKED not in _entity_history(db), "OpenCraft's entity agreement does not end"


def test_a_step_down_given_before_the_contact_became_an_alumnus_does_not_end_the_agreement(
    db: Session,
) -> None:
    ours = _opencraft_round(db)
    braden = person(db, "bradenmacdonald")
    answer_renewal(
        db,
        ours.id or 0,
        braden,
        answer=RenewalAnswer.STEPPED_DOWN,
        now=utc("2026-12-02T10:00"),
        channels=CHANNELS,
    )
    retire(
        db,
        person(db, "cc-coordinator"),
        github="bradenmacdonald",
        reason="moved on",
        now=utc("2026-12-20T10:00"),
        channels=CHANNELS,
    )
    settle_due(db, now=utc("2027-01-01T00:10"), channels=CHANNELS)
    db.refresh(ours)
    assert ours.outcome is RenewalOutcome.LISTED, "an alumnus no longer speaks for OpenCraft"
    assert ours.answer is RenewalAnswer.PENDING, "listed as not answered; the audit log keeps who answered"
    [set_aside] = db.exec(select(AuditEntry).where(AuditEntry.action == "renewal.answer_set_aside")).all()
    assert set_aside.details["answered_by"] == "bradenmacdonald"
    assert AgreementAction.REVOKED not in _entity_history(db)
    [asked, _] = sorted(_admins_asked(db), key=lambda m: m.channel)
    assert "their answer (step down) was set aside" in asked.text
    assert person(db, "symbolist").removed_on is None


def test_a_contact_named_after_an_alumnus_is_asked_within_the_hour(db: Session) -> None:
    ours = _opencraft_round(db)
    retire(
        db,
        person(db, "cc-coordinator"),
        github="bradenmacdonald",
        reason="moved on",
        now=utc("2026-12-02T10:00"),
        channels=CHANNELS,
    )
    assert queue_reminders(db, now=utc("2026-12-17T18:00"), policy=POLICY) == 0, "no reminder to an alumnus"
    opencraft = get_organization_by_name(db, "OpenCraft")
    assert opencraft is not None
    opencraft.contact_email = "usman.khalid@example.org"
    db.add(opencraft)
    db.commit()
    advance_renewals(db, now=utc("2026-12-18T10:00"), policy=POLICY, channels=CHANNELS)
    db.refresh(ours)
    usman = person(db, "symbolist")
    assert ours.contact_id == usman.id
    invites = db.exec(select(OutboxMessage).where(OutboxMessage.channel == "U0PILOT03")).all()
    assert any("does *OpenCraft* recommit" in json.dumps(m.blocks) for m in invites)
    done = answer_renewal(
        db,
        ours.id or 0,
        usman,
        answer=RenewalAnswer.RECOMMITTED,
        now=utc("2026-12-18T11:00"),
        channels=CHANNELS,
    )
    assert "OpenCraft" in done.confirmation


def test_a_round_opened_later_does_not_ask_an_alumnus_for_the_organisation(db: Session) -> None:
    retire(
        db,
        person(db, "cc-coordinator"),
        github="bradenmacdonald",
        reason="moved on",
        now=NOW,
        channels=CHANNELS,
    )
    ours = _opencraft_round(db)
    assert ours.contact_id is None
    queued = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "renewal-invite")).all()
    assert queued == []
