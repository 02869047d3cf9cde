"""Access you can trust: identity by GitHub account id, standing as of now, role dropped, notice before removal,
reinstatement, and a property test that plan → apply → plan converges without touching what it must not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import Session

from bot.github_standin import GitHubStandIn
from bot.services.access import apply_plan, load_access_config, plan_access
from bot.services.github.identity import Identities
from bot.services.membership import reinstate
from storage.models import Person, PersonRole
from storage.roster import get_person_by_github, list_agreements
from tests.conftest import NOW, load_pilot
from tests.flows import CHANNELS
from tests.services.test_access import CORE, EDX, _client, write_config

WEEK = dt.timedelta(days=7)


def _person(session: Session, handle: str) -> Person:
    found = get_person_by_github(session, handle)
    assert found is not None
    return found


def _plan(session: Session, github: GitHubStandIn, tmp_path: Path, *, now: dt.datetime = NOW, keep=None):  # type: ignore[no-untyped-def]
    identities = Identities(session, now)
    with _client(github) as client:
        plan = plan_access(
            session, load_access_config(write_config(tmp_path, keep)), client, now=now, identities=identities
        )
    return plan, identities


def _apply(session: Session, github: GitHubStandIn, plan, *, now: dt.datetime = NOW):  # type: ignore[no-untyped-def]
    with _client(github) as client:
        return apply_plan(
            session,
            plan,
            client,
            max_additions=1000,
            max_removals=1000,
            now=now,
            actor="test",
            channels=CHANNELS,
        )


def test_a_login_that_changed_hands_is_a_stranger_and_the_renamed_person_is_followed(
    session: Session, github: GitHubStandIn, tmp_path: Path
) -> None:
    load_pilot(session)
    github.add_team(EDX, members=["ziafazal"])
    github.add_team(CORE, members=["ziafazal", "pdpinch"])
    _plan(session, github, tmp_path)
    session.commit()
    pd = _person(session, "pdpinch")
    assert pd.github_id == github.account_id("pdpinch")
    # pdpinch renames their account; a newcomer claims the freed login and is put in the EDX team by hand.
    github.rename_account("pdpinch", "pdpinch-2027")
    github.add_team(EDX, members=["pdpinch"])
    plan, identities = _plan(session, github, tmp_path)
    edx = next(t for t in plan.teams if t.team == EDX)
    assert "pdpinch" in edx.unknown
    assert [(i.login, i.recorded_id) for i in plan.identity] == [
        ("pdpinch", pd.id and _person(session, "pdpinch-2027").github_id)
    ]
    # The real person is followed by account id: renamed on the roster, in place in CORE, and added to EDX
    # under the new login, never the newcomer.
    assert [(r.old, r.new) for r in plan.renames] == [("pdpinch", "pdpinch-2027")]
    assert [(c.login, c.github_id) for c in edx.add if c.person_id == pd.id] == [
        ("pdpinch-2027", github.account_id("pdpinch-2027"))
    ]
    messages = [m for m in identities.messages(CHANNELS) if m is not None]
    assert messages
    assert all("now belongs to another account" in m.text for m in messages)
    _apply(session, github, plan)
    assert "pdpinch-2027" in github.pending(EDX) | github.members(EDX)
    assert not any(w.path.endswith("/memberships/pdpinch") and w.method == "PUT" for w in github.writes())


def test_a_login_whose_account_is_on_record_for_someone_else_is_not_added(
    session: Session, github: GitHubStandIn, tmp_path: Path
) -> None:
    load_pilot(session)
    github.add_team(EDX, members=["ziafazal"])
    github.add_team(CORE, members=["ziafazal"])
    # braden's record has no account id yet, but GitHub's account for his login is on record as someone else's.
    zia = _person(session, "ziafazal")
    zia.github_id = github.account_id("bradenmacdonald")
    session.add(zia)
    session.commit()
    plan, identities = _plan(session, github, tmp_path)
    assert not any(c.login == "bradenmacdonald" for c in plan.adds)
    blocked = [problem for t in plan.teams for login, problem in t.blocked if login == "bradenmacdonald"]
    assert blocked
    assert all("on record as ziafazal" in problem for problem in blocked)
    messages = [m for m in identities.messages(CHANNELS) if m is not None]
    assert messages
    assert "<" not in messages[0].text.replace("&lt;", "")


def test_standing_is_worked_out_as_of_now_not_read_from_the_stored_status(
    session: Session, github: GitHubStandIn, tmp_path: Path
) -> None:
    load_pilot(session)
    zia = _person(session, "ziafazal")
    for agreement in list_agreements(session, person_id=zia.id):
        if agreement.kind == "nda":
            agreement.expires_on = NOW.date() - dt.timedelta(days=1)
            session.add(agreement)
    session.commit()
    assert zia.status == "active"  # the hourly job has not run yet
    github.add_team(EDX, members=["ziafazal"])
    plan, _ = _plan(session, github, tmp_path)
    edx = next(t for t in plan.teams if t.team == EDX)
    assert [(h.change.login, h.change.reason) for h in edx.held] == [
        ("ziafazal", f"lapsed: NDA ended on {NOW.date() - dt.timedelta(days=1)}")
    ]
    assert not any(c.login == "ziafazal" for c in plan.adds)


def test_a_committer_whose_role_was_dropped_is_removed_at_once(
    session: Session, github: GitHubStandIn, tmp_path: Path
) -> None:
    load_pilot(session)
    zia = _person(session, "ziafazal")
    session.execute(delete(PersonRole).where(PersonRole.person_id == zia.id, PersonRole.role == "committer"))
    session.commit()
    github.add_team(EDX, members=["ziafazal", "ormsbee"])
    plan, _ = _plan(session, github, tmp_path)
    edx = next(t for t in plan.teams if t.team == EDX)
    assert [(c.login, c.reason) for c in edx.remove] == [
        ("ziafazal", "commit rights ended: no longer a committer on the roster")
    ]
    # A champion who never held commit rights is left alone.
    assert edx.not_committers == ["ormsbee"]


def test_a_lapse_is_announced_a_week_ahead_then_applied_and_a_renewal_cancels_it(
    session: Session, github: GitHubStandIn, tmp_path: Path
) -> None:
    load_pilot(session)
    regis = _person(session, "regisb")
    for agreement in list_agreements(session, person_id=regis.id):
        if agreement.kind == "nda":
            agreement.expires_on = dt.date(2026, 10, 1)
            session.add(agreement)
    session.commit()
    github.add_team(CORE, members=["regisb"])
    plan, _ = _plan(session, github, tmp_path)
    applied = _apply(session, github, plan)
    notices = [k for k in applied.keys if k.startswith("access-notice:")]
    assert len(notices) == 3  # regisb and her two champions
    assert github.members(CORE) == {"regisb"}
    # Six days on: still held, nobody told twice.
    held, _ = _plan(session, github, tmp_path, now=NOW + dt.timedelta(days=6))
    assert held.removals == []
    assert held.notices == []
    # A week on: removed.
    due, _ = _plan(session, github, tmp_path, now=NOW + WEEK)
    assert [(c.login, c.team) for c in due.removals] == [("regisb", CORE)]
    _apply(session, github, due, now=NOW + WEEK)
    assert github.members(CORE) == set()


def test_a_renewed_agreement_cancels_the_notice(
    session: Session, github: GitHubStandIn, tmp_path: Path
) -> None:
    load_pilot(session)
    regis = _person(session, "regisb")
    ndas = [a for a in list_agreements(session, person_id=regis.id) if a.kind == "nda"]
    ndas[0].expires_on = dt.date(2026, 10, 1)
    session.add(ndas[0])
    session.commit()
    github.add_team(CORE, members=["regisb"])
    _apply(session, github, _plan(session, github, tmp_path)[0])
    ndas[0].expires_on = dt.date(2027, 10, 1)
    session.add(ndas[0])
    session.commit()
    later, _ = _plan(session, github, tmp_path, now=NOW + WEEK)
    assert later.removals == []
    assert regis.id in later.settled_notices


def test_reinstating_an_alumnus_restores_their_teams_in_one_step(
    session: Session, github: GitHubStandIn, tmp_path: Path
) -> None:
    load_pilot(session)
    github.add_team(EDX, members=["ziafazal"])
    github.add_team(CORE, members=["ziafazal"])
    zia = _person(session, "ziafazal")
    zia.removed_on, zia.status = NOW.date(), "alumni"
    session.add(zia)
    session.commit()
    removal, _ = _plan(session, github, tmp_path)
    assert sorted((c.login, c.team) for c in removal.removals) == [("ziafazal", EDX), ("ziafazal", CORE)]
    _apply(session, github, removal)
    assert "ziafazal" not in github.members(EDX)
    reinstate(session, "test", github="ziafazal", now=NOW + dt.timedelta(days=1), channels=CHANNELS)
    back, _ = _plan(session, github, tmp_path, now=NOW + dt.timedelta(days=1))
    assert sorted((c.login, c.team) for c in back.adds if c.login == "ziafazal") == [
        ("ziafazal", EDX),
        ("ziafazal", CORE),
    ]


HANDLES = [
    "ziafazal",
    "pdpinch",
    "regisb",
    "symbolist",
    "felipemontoya",
    "ormsbee",
    "stranger-1",
    "openedx-bot",
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edx=st.sets(st.sampled_from(HANDLES)),
    core=st.sets(st.sampled_from(HANDLES)),
    ended=st.sets(st.sampled_from(["regisb", "pdpinch", "ziafazal"])),
    alumni=st.sets(st.sampled_from(["symbolist", "felipemontoya"])),
)
def test_plan_apply_plan_converges_and_never_touches_keep_or_strangers(
    session: Session,
    github: GitHubStandIn,
    tmp_path: Path,
    edx: set[str],
    core: set[str],
    ended: set[str],
    alumni: set[str],
) -> None:
    load_pilot(session)
    for handle in ended:
        person = _person(session, handle)
        for agreement in list_agreements(session, person_id=person.id):
            if agreement.kind == "nda":
                agreement.expires_on = dt.date(2026, 10, 1)
                session.add(agreement)
    for handle in alumni:
        person = _person(session, handle)
        person.removed_on = dt.date(2026, 9, 1)
        session.add(person)
    session.commit()
    for name, members in ((EDX, edx), (CORE, core)):
        team = github.add_team(name)
        team.members.clear()
        team.pending.clear()
        github.add_team(name, members=members)
    before = {EDX: set(github.members(EDX)), CORE: set(github.members(CORE))}
    keep = ["openedx-bot"]
    now = NOW
    for _ in range(3):
        plan, _ = _plan(session, github, tmp_path, now=now, keep=keep)
        _apply(session, github, plan, now=now)
        now += WEEK + dt.timedelta(days=1)
    final, _ = _plan(session, github, tmp_path, now=now, keep=keep)
    assert final.adds == []
    assert final.removals == []
    assert final.held == []
    for name in (EDX, CORE):
        after = github.members(name) | github.pending(name)
        for untouchable in ("openedx-bot", "stranger-1"):
            assert (untouchable in before[name]) == (untouchable in after)
    session.execute(delete(PersonRole))
    session.commit()
