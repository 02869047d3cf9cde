"""Agreement expiry: each threshold once, in the committer's working hours; lapses told once; renewal stops it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from bot.assembly import Bot
from bot.services.reminders import is_working_time, list_expiry_notices
from bot.slack_standin import SlackStandIn
from bot.types.policy import WorkingHours
from bot.types.reminders import ExpiryNotice
from storage.db import make_session_factory
from storage.models import Agreement, ChampionAssignment, Organization, Person, PersonRole
from storage.roster import add_assignment, add_person, get_organization_by_name, get_person_by_github
from tests.conftest import NOW, load_pilot, run_at

ZIA, SYMBOLIST, BRADEN, PDPINCH = "U0PILOT01", "U0PILOT03", "U0PILOT02", "U0PILOT07"
JBOWMAN, FEANIL = "U0CHAMP01", "U0CHAMP02"
NIMISHA, DIRECTOR, COORDINATOR = "U0MGR0001", "U0MGR0002", "U0ADMIN01"


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        load_pilot(session, now=NOW)
        yield session


def _run(bot: Bot, at: dt.datetime, job: str = "agreement_expiry_reminders") -> None:
    run_at(bot, job, at)


def _dms(slack: SlackStandIn, user: str, containing: str = "") -> list[str]:
    return [m["text"] for m in slack.messages(user) if containing in m["text"]]


def test_the_30_day_reminder_comes_once_in_each_committers_working_hours(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    # Tuesday 1 December, 06:00 UTC: 11:00 in Karachi, 22:00 the evening before in Vancouver.
    _run(job_bot, utc("2026-12-01T06:00"))
    _run(job_bot, utc("2026-12-01T06:00"))
    assert len(_dms(slack, ZIA, "Edly by Arbisoft")) == 1
    assert "2026-12-31 (in 30 days)" in _dms(slack, ZIA)[0]
    assert len(_dms(slack, SYMBOLIST, "OpenCraft")) == 1
    assert _dms(slack, BRADEN) == [], "not at night in Vancouver"
    assert _dms(slack, PDPINCH) == [], "MIT is not a provider: no entity agreement needed"
    assert _dms(slack, JBOWMAN) == [], "champions hear only at 7 and 1 days"

    _run(job_bot, utc("2026-12-01T18:00"))  # 10:00 in Vancouver
    assert len(_dms(slack, BRADEN, "OpenCraft")) == 1
    assert len(_dms(slack, ZIA)) == 1


def test_champions_hear_at_seven_days_and_the_last_reminder_ignores_office_hours(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    _run(job_bot, utc("2026-12-24T20:00"))  # 7 days; 01:00 in Karachi
    assert _dms(slack, ZIA) == []
    assert len(_dms(slack, JBOWMAN, "<@U0PILOT01>'s Entity contributor agreement")) == 1
    assert len(_dms(slack, FEANIL, "<@U0PILOT01>")) == 1
    _run(job_bot, utc("2026-12-30T20:00"))  # tomorrow; still night in Karachi, sent anyway
    assert len(_dms(slack, ZIA, "(tomorrow)")) == 1
    assert len([t for t in _dms(slack, JBOWMAN, "(tomorrow)") if "<@U0PILOT01>" in t]) == 1


def test_a_lapse_is_told_once_and_a_renewal_restores_active_and_stops_reminders(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    _run(job_bot, utc("2026-12-31T00:30"))
    _run(job_bot, utc("2026-12-31T01:30"))
    zia = get_person_by_github(db, "ziafazal")
    assert zia is not None
    db.refresh(zia)
    assert zia.status == "lapsed"
    assert len(_dms(slack, ZIA, "now *lapsed*")) == 1
    for manager in (NIMISHA, DIRECTOR, COORDINATOR):
        assert len(_dms(slack, manager, "<@U0PILOT01> is now *lapsed*")) == 1, manager
    assert _dms(slack, PDPINCH, "lapsed") == [], "a committer with no entity agreement to lose stays active"

    edly = get_organization_by_name(db, "Edly by Arbisoft")
    assert edly is not None
    db.add(
        Agreement(
            kind="entity",
            organization_id=edly.id,
            signed_on=dt.date(2026, 12, 31),
            expires_on=dt.date(2027, 12, 31),
        )
    )
    db.commit()
    _run(job_bot, utc("2027-01-04T06:00"))
    db.refresh(zia)
    assert zia.status == "active"
    assert len(_dms(slack, ZIA, "*active* again")) == 1
    _run(job_bot, utc("2027-11-01T06:00"))
    assert _dms(slack, ZIA, "Edly by Arbisoft") == [], "the renewed agreement is far from its end"
    _run(job_bot, utc("2027-12-01T06:00"))
    assert ["2027-12-31 (in 30 days)" in t for t in _dms(slack, ZIA, "Edly by Arbisoft")] == [True]


def test_working_hours_follow_each_persons_zone_across_dst_and_weekends() -> None:
    hours = WorkingHours()
    braden = Person(github="b", github_key="b", timezone="America/Vancouver")
    assert is_working_time(utc("2026-10-30T16:30"), braden, hours)  # Friday 09:30 PDT
    assert not is_working_time(utc("2026-11-02T16:30"), braden, hours)  # Monday 08:30 PST, after DST ends
    assert is_working_time(utc("2026-11-02T17:00"), braden, hours)
    assert not is_working_time(utc("2026-10-31T18:00"), braden, hours)  # Saturday


def test_onboarding_committers_are_reminded_weekly_of_what_is_missing(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    for at in (
        "2026-11-30T08:00",
        "2026-11-30T09:00",
        "2026-12-02T10:00",
        "2026-12-07T08:00",
    ):  # Kyiv 10:00, ...
        _run(job_bot, utc(at), "onboarding_reminders")
    reminders = _dms(slack, "U0PILOT09", "onboarding is not finished")
    assert len(reminders) == 2, "once a week"
    assert "NDA / program agreement: not signed yet" in reminders[0]
    assert _dms(slack, ZIA) == []


def _opencraft(db: Session) -> Organization:
    found = get_organization_by_name(db, "OpenCraft")
    assert found is not None
    return found


def _add_member(
    db: Session, org: Organization, handle: str, *, roles: tuple[str, ...], **fields: object
) -> Person:
    person = add_person(db, github=handle, name=handle.title(), organization_id=org.id, **fields)
    for role in roles:
        db.add(PersonRole(person_id=person.id, role=role))
    db.flush()
    return person


def test_an_organisations_agreement_reaches_each_current_committer_their_champions_and_its_contact(
    db: Session, job_bot: Bot, slack: SlackStandIn
) -> None:
    opencraft = _opencraft(db)
    opencraft.contact_email = "Contact@OpenCraft.example"
    _add_member(
        db, opencraft, "oc-contact", roles=(), email="contact@opencraft.example", slack_user_id="U0OCCONT1"
    )
    alumna = _add_member(
        db,
        opencraft,
        "former-cc",
        roles=("committer",),
        slack_user_id="U0FORMER1",
        removed_on=dt.date(2026, 6, 1),
    )
    add_assignment(
        db,
        ChampionAssignment(
            committer_id=alumna.id, champion_id=person_id(db, "jbowman"), started_on=dt.date(2026, 1, 1)
        ),
    )
    db.commit()

    _run(job_bot, utc("2026-12-24T20:00"))  # 7 days left; noon in Vancouver, night in Karachi and Sydney
    assert len(_dms(slack, BRADEN, "OpenCraft")) == 1
    assert _dms(slack, SYMBOLIST) == [], "outside his working hours"
    assert _dms(slack, "U0PILOT04") == [], "outside her working hours"
    heads_up = {
        champion: sorted(
            t.split("'s ")[0].split()[-1] for t in _dms(slack, champion, "Entity contributor agreement")
        )
        for champion in ("U0CHAMP03", "U0CHAMP04", "U0CHAMP05", FEANIL)
    }
    # Each OpenCraft committer's champions hear about them (and about their other committers elsewhere).
    assert heads_up["U0CHAMP03"] == heads_up["U0CHAMP04"] == ["<@U0PILOT02>", "<@U0PILOT03>"]
    assert heads_up["U0CHAMP05"] == ["<@U0PILOT04>", "<@U0PILOT06>", "<@U0PILOT09>"]
    assert heads_up[FEANIL] == ["<@U0PILOT01>", "<@U0PILOT04>", "<@U0PILOT05>"]
    assert _dms(slack, JBOWMAN, "U0FORMER1") == [], "no heads-up about an alumna"
    contact = _dms(slack, "U0OCCONT1")
    assert len(contact) == 1
    assert "Its core committers (<@U0PILOT02>, <@U0PILOT04>, <@U0PILOT03>) lose their standing" in contact[0]
    assert _dms(slack, "U0FORMER1") == [], "alumni hold nothing"


def person_id(db: Session, handle: str) -> int:
    found = get_person_by_github(db, handle)
    assert found is not None
    assert found.id is not None
    return found.id


def _scan(db: Session, today: dt.date, **options: int) -> list[ExpiryNotice]:
    return list_expiry_notices(
        db, today=today, thresholds=(30, 14, 7, 1), champion_thresholds={7, 1}, **options
    )


def _listing(notice: ExpiryNotice) -> list[tuple[str, list[str]]]:
    return [(c.github, [ch.github for ch in notice.champions.get(c.id or 0, [])]) for c in notice.committers]


def test_the_scan_reads_no_member_and_pages_of_members_add_up_to_the_whole(
    db: Session, engine: Engine
) -> None:
    opencraft = _opencraft(db)
    champions = [person_id(db, h) for h in ("jbowman", "feanil", "schen")]
    today = dt.date(2026, 12, 24)  # the entity agreements end in 7 days: champions are included

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        _scan(db, today)
        with_three = len(statements)
        for i in range(7):
            member = _add_member(
                db, opencraft, f"extra{i:02d}", roles=("committer",), slack_user_id=f"U0EXTRA{i:02d}"
            )
            for slot, champion in enumerate(champions[: i % 3 + 1], start=1):
                add_assignment(
                    db,
                    ChampionAssignment(
                        committer_id=member.id,
                        champion_id=champion,
                        slot=slot,
                        started_on=dt.date(2026, 1, 1),
                    ),
                )
        _add_member(db, opencraft, "extra-champion", roles=("champion",))
        db.commit()
        statements.clear()
        with make_session_factory(engine)() as fresh:
            scanned = _scan(fresh, today)
            loaded = {o.github for o in fresh.identity_map.values() if isinstance(o, Person)}
        assert len(statements) == with_three, "the scan's queries do not depend on how many members there are"
        assert scanned, "the entity agreements ending in 7 days"
        assert loaded.isdisjoint({"bradenmacdonald", "symbolist", "pomegranited", "extra00"}), loaded
    finally:
        event.remove(engine, "before_cursor_execute", count)
    notices = {n.agreement.id: n for n in _scan(db, today)}

    paged = {n.agreement.id: _listing(n) for n in _scan(db, today, page_size=2)}
    whole = {n.agreement.id: _listing(n) for n in notices.values()}
    assert paged == whole
    (entity,) = [
        n for n in notices.values() if n.organization is not None and n.organization.name == "OpenCraft"
    ]
    assert [handle for handle, _ in whole[entity.agreement.id]] == [
        "bradenmacdonald",
        *(f"extra{i:02d}" for i in range(7)),
        "pomegranited",
        "symbolist",
    ]
    assert dict(whole[entity.agreement.id])["extra05"] == ["jbowman", "feanil", "schen"]
    assert dict(whole[entity.agreement.id])["bradenmacdonald"] == ["ormsbee", "kdmccormick"]
    assert len(entity.committers) == 10
    # Looked up out of order, after the walk: the mapping still answers, and refuses a stranger.
    (paged_entity,) = [n for n in _scan(db, today, page_size=2) if n.agreement.id == entity.agreement.id]
    list(paged_entity.committers)
    assert [p.github for p in paged_entity.champions[person_id(db, "bradenmacdonald")]] == [
        "ormsbee",
        "kdmccormick",
    ]
    with pytest.raises(KeyError):
        paged_entity.champions[person_id(db, "ziafazal")]
    assert paged_entity.champions.get(person_id(db, "extra-champion"), []) == []


def test_a_notice_far_from_the_champion_thresholds_names_no_champion(db: Session) -> None:
    (entity,) = [
        n
        for n in _scan(db, dt.date(2026, 12, 1))
        if n.organization is not None and n.organization.name == "OpenCraft"
    ]
    assert entity.threshold == 30
    assert [champions for _, champions in _listing(entity)] == [[], [], []]
    assert len(entity.committers) == 3
    assert len(entity.champions) == 3
