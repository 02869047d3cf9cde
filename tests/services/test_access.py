"""Access follows the agreements: access.yaml, plan and apply against the fake GitHub over real HTTP."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.github import GitHubClient, make_github
from bot.github_standin import GitHubStandIn, app_key_pair
from bot.services.access import AccessPlan, apply_plan, load_access_config, plan_access
from bot.services.errors import UserError
from bot.services.roster import refresh_statuses
from bot.settings import load_settings
from storage.access import list_access_changes, list_access_of
from storage.models import CommitGrant, Repo
from storage.roster import get_person_by_github, list_agreements
from tests.conftest import NOW, load_pilot
from tests.flows import CHANNELS

EDX = "openedx/committers-edx-platform"
CORE = "openedx/core-contributors"
FILLERS = [f"aaa-filler-{i:03d}" for i in range(120)]  # sorted before every pilot handle: page 1 of 2


def write_config(tmp_path: Path, keep: list[str] | None = None) -> Path:
    """Write an access.yaml mapping edx-platform and the whole organisation to two teams."""
    keep = ["openedx-bot", *FILLERS] if keep is None else keep
    path = tmp_path / "access.yaml"
    path.write_text(
        "teams:\n"
        f"  - team: {EDX}\n"
        "    repos: [openedx/edx-platform]\n"
        f"  - team: {CORE}\n"
        '    repos: ["openedx/*"]\n'
        f"keep: [{', '.join(keep)}]\n"
    )
    return path


def _roster(session: Session) -> None:
    """The pilot roster, then: regisb's NDA ended, symbolist left, felipemontoya's edx-platform grant revoked."""
    load_pilot(session)
    regis = get_person_by_github(session, "regisb")
    symbolist = get_person_by_github(session, "symbolist")
    felipe = get_person_by_github(session, "felipemontoya")
    assert regis is not None
    assert symbolist is not None
    assert felipe is not None
    for agreement in list_agreements(session, person_id=regis.id):
        if agreement.kind == "nda":
            agreement.expires_on = dt.date(2026, 10, 1)
            session.add(agreement)
    symbolist.removed_on = dt.date(2026, 9, 1)
    session.add(symbolist)
    grant = session.exec(
        select(CommitGrant)
        .join(Repo, Repo.id == CommitGrant.repo_id)  # type: ignore[arg-type]
        .where(CommitGrant.person_id == felipe.id, Repo.key == "openedx/edx-platform")
    ).one()
    grant.revoked_on = dt.date(2026, 11, 1)
    session.add(grant)
    session.flush()
    refresh_statuses(session, today=NOW.date())
    session.commit()


def arrange_world(session: Session, github: GitHubStandIn) -> GitHubStandIn:
    """The roster above, and GitHub as it stands: some right, some stale, one pending, one stranger."""
    _roster(session)
    github.add_team(EDX, members=["ziafazal", "openedx-bot", "mystery-person", "felipemontoya", "symbolist"])
    github.add_team(EDX, pending=["pdpinch"])
    github.add_team(CORE, members=[*FILLERS, "ziafazal"], pending=["regisb"])
    github.add_org_members("openedx", ["omarIthawi", "pomegranited"])
    return github


@pytest.fixture
def world(session: Session, github: GitHubStandIn) -> GitHubStandIn:
    """The roster and GitHub of `arrange_world`."""
    return arrange_world(session, github)


def _client(github: GitHubStandIn, waits: list[float] | None = None) -> GitHubClient:
    settings = load_settings(GITHUB_API_URL=github.url, CCBOT_GITHUB_TOKEN=github.token)
    return make_github(settings, sleep=(waits if waits is not None else []).append)


def _plan(
    session: Session, github: GitHubStandIn, tmp_path: Path, waits: list[float] | None = None
) -> AccessPlan:
    with _client(github, waits) as client:
        return plan_access(session, load_access_config(write_config(tmp_path)), client, now=NOW)


def _team(plan: AccessPlan, name: str):  # type: ignore[no-untyped-def]
    return next(t for t in plan.teams if t.team == name)


def test_the_plan_says_who_is_added_and_removed_and_why_and_changes_nothing(
    session: Session, world: GitHubStandIn, tmp_path: Path
) -> None:
    plan = _plan(session, world, tmp_path)
    edx = _team(plan, EDX)
    assert [(c.login, c.reason) for c in edx.add] == [("bradenmacdonald", "granted openedx/edx-platform")]
    assert [(c.login, c.reason) for c in edx.remove] == [
        ("felipemontoya", "grant revoked on 2026-11-01 (openedx/edx-platform)"),
        ("symbolist", "alumni since 2026-09-01"),
    ]
    assert edx.pending == [("pdpinch", "granted openedx/edx-platform")]
    assert edx.unknown == ["mystery-person"]
    assert edx.in_place == 1
    core = _team(plan, CORE)
    assert [c.login for c in core.add] == [
        "bradenmacdonald",
        "felipemontoya",
        "omarIthawi",
        "pdpinch",
        "pomegranited",
    ]
    # regisb's NDA ended: an ended agreement is announced a week before the removal.
    assert core.remove == []
    assert [(h.change.login, h.change.reason, h.change.invitation, h.remove_after) for h in core.held] == [
        ("regisb", "lapsed: NDA ended on 2026-10-01", True, NOW + dt.timedelta(days=7))
    ]
    assert [(n.login, n.teams) for n in plan.notices] == [("regisb", (CORE,))]
    # ziafazal is on the second page of 121 members: found, so in place, not added.
    assert core.in_place == 1
    assert any(
        c.query.get("page") == "2" for c in world.calls if c.path.endswith("/core-contributors/members")
    )
    assert world.writes() == []
    assert (
        "2 teams, 6 to add, 2 to remove, 1 held for notice, 1 invitation pending, 1 member the roster does not know"
        in plan.summary
    )


def test_rate_limit_answers_are_waited_out_as_github_says(
    session: Session, world: GitHubStandIn, tmp_path: Path
) -> None:
    world.rate_limit("/members", retry_after=3)
    world.rate_limit("/invitations", status=429, reset_in=40)
    waits: list[float] = []
    plan = _plan(session, world, tmp_path, waits)
    assert waits[0] == 3.0
    assert 38 <= waits[1] <= 40
    assert len(plan.adds) == 6


def test_a_rate_limit_resetting_too_far_away_is_reported_not_waited_for(
    session: Session, world: GitHubStandIn, tmp_path: Path
) -> None:
    world.rate_limit("/members", reset_in=3600)
    with pytest.raises(UserError, match="rate limit is spent"):
        _plan(session, world, tmp_path)


def test_apply_adds_invites_removes_and_cancels_invitations_with_an_audit(
    session: Session, world: GitHubStandIn, tmp_path: Path
) -> None:
    plan = _plan(session, world, tmp_path)
    with _client(world) as client:
        applied = apply_plan(
            session, plan, client, max_additions=10, max_removals=5, now=NOW, actor="test", channels=CHANNELS
        )
    report = applied.report
    # The admins' report commits with the run: the roster's admin and the one bootstrapped by CCBOT_ADMINS.
    stamp = f"{NOW:%Y%m%dT%H%M%S}"
    admins = [k for k in applied.keys if k.startswith("access-apply")]
    assert sorted(admins) == [f"access-apply:{stamp}:U0ADMIN01", f"access-apply:{stamp}:U0ADMIN99"]
    # regisb is told (with her champions) that her access ends in a week; nothing is removed yet.
    assert any(k.startswith("access-notice:") for k in applied.keys)
    # felipemontoya and the two others are organisation members already; the rest get GitHub's invitation.
    assert sorted(c.login for c in report.added) == ["felipemontoya", "omarIthawi", "pomegranited"]
    assert sorted(f"{c.team}:{c.login}" for c in report.invited) == [
        f"{EDX}:bradenmacdonald",
        f"{CORE}:bradenmacdonald",
        f"{CORE}:pdpinch",
    ]
    assert world.members(EDX) == {"ziafazal", "openedx-bot", "mystery-person"}
    assert world.pending(EDX) == {"pdpinch", "bradenmacdonald"}
    assert "regisb" in world.pending(CORE)
    changes = {(c.team, c.login, c.result) for c in list_access_changes(session)}
    assert (EDX, "symbolist", "removed") in changes
    assert (CORE, "omarIthawi", "added") in changes
    assert len(changes) == 8
    braden = get_person_by_github(session, "bradenmacdonald")
    assert braden is not None
    assert braden.id is not None
    assert {(a.team, a.state) for a in list_access_of(session, braden.id)} == {
        (EDX, "pending"),
        (CORE, "pending"),
    }
    # Run again: GitHub now matches, apart from the invitations waiting to be accepted.
    again = _plan(session, world, tmp_path)
    assert again.adds == []
    assert again.removals == []


def test_apply_refuses_more_removals_than_allowed_and_changes_nothing(
    session: Session, world: GitHubStandIn, tmp_path: Path
) -> None:
    plan = _plan(session, world, tmp_path)
    with (
        _client(world) as client,
        pytest.raises(UserError, match="removes 2 memberships, more than --max-removals 1"),
    ):
        apply_plan(
            session, plan, client, max_additions=10, max_removals=1, now=NOW, actor="test", channels=CHANNELS
        )
    assert world.writes() == []
    assert list_access_changes(session) == []


def test_a_team_missing_on_github_is_reported_and_left_alone(
    session: Session, github: GitHubStandIn, tmp_path: Path
) -> None:
    load_pilot(session)
    github.add_team(CORE, members=FILLERS)
    plan = _plan(session, github, tmp_path)
    assert _team(plan, EDX).missing
    assert _team(plan, EDX).add == []
    assert "1 team missing on GitHub" in plan.summary


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("teams: []\n", "access.yaml:1: `teams:` must list at least one team"),
        (
            "teams:\n  - team: openedx\n    repos: [openedx/x]\n",
            "access.yaml:2: teams[1]: team 'openedx' is not ORG/team-slug",
        ),
        (
            "teams:\n  - team: o/t\n    repos: [o/a]\n  - team: o/t\n    repos: [o/b]\n",
            "access.yaml:4: teams[2]: team o/t is listed twice (first on line 2)",
        ),
        ("teams:\n  - team: o/t\n    repo: [o/a]\n", "access.yaml:2: teams[1]: unknown key(s) repo"),
        ("teams:\n  - team: o/t\n    repos: [not a repo]\n", "'not a repo' is not org/repo or org/*"),
        ("teams: [\n", "access.yaml:2: not valid YAML"),
        ("tems: []\n", "unknown key(s) tems"),
        (
            "teams:\n  - team: o/t\n    repos: [o/a]\nkeep: [openedx-bot, 'x/../admins/memberships/m']\n",
            "access.yaml:1: `keep:` 'x/../admins/memberships/m': not a GitHub handle: it contains '/'",
        ),
        (
            "teams:\n  - team: o/t\n    repos: [o/a]\nkeep: ['dependabot[bot]', dou--ble]\n",
            "access.yaml:1: `keep:` 'dou--ble': not a GitHub handle: it has two hyphens in a row (GitHub "
            "handles are 1 to 39 letters, digits or single hyphens, and do not start or end with a hyphen; "
            "an app's account adds [bot])",
        ),
    ],
)
def test_a_bad_access_file_is_reported_with_its_line(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "access.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as caught:
        load_access_config(path)
    assert error in str(caught.value).replace(str(tmp_path) + "/", "")


def test_per_repo_teams_are_derived_from_the_roster_and_the_prefix(
    session: Session, github: GitHubStandIn, tmp_path: Path
) -> None:
    load_pilot(session)
    github.add_team("openedx/cc-edx-platform", members=["ziafazal"])
    github.add_team("openedx/cc-retired-repo", members=["regisb"])
    path = tmp_path / "access.yaml"
    path.write_text("teams:\n  - per_repo: openedx\n    prefix: cc-\n")
    with _client(github) as client:
        plan = plan_access(session, load_access_config(path), client, now=NOW)
    edx = _team(plan, "openedx/cc-edx-platform")
    assert sorted(c.login for c in edx.add) == ["bradenmacdonald", "felipemontoya", "pdpinch"]
    retired = _team(plan, "openedx/cc-retired-repo")
    assert [(c.login, c.reason) for c in retired.remove] == [("regisb", "no grant on ")]
    assert _team(plan, "openedx/cc-xblock").missing


def test_a_github_app_gets_an_installation_token_and_uses_it(github: GitHubStandIn, tmp_path: Path) -> None:
    pem, public = app_key_pair()
    github.enable_app("12345", public, 678)
    github.add_team(EDX, members=["ziafazal"])
    (tmp_path / "app.pem").write_text(pem)
    settings = load_settings(
        GITHUB_API_URL=github.url,
        CCBOT_GITHUB_APP_ID="12345",
        CCBOT_GITHUB_PRIVATE_KEY=str(tmp_path / "app.pem"),
        CCBOT_GITHUB_INSTALLATION_ID="678",
    )
    with make_github(settings) as client:
        members = client.team_members("openedx", "committers-edx-platform")
    assert [(m.login, m.id) for m in members] == [("ziafazal", github.account_id("ziafazal"))]
    assert any(c.path == "/app/installations/678/access_tokens" for c in github.calls)
