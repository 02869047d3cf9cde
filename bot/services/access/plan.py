"""The access plan: what GitHub team membership the roster calls for as of now, team by team, and why.

Standing is worked out from each person's agreements, grants and champions at the moment of planning, not
read from the stored status (which the hourly job refreshes). People are matched to team members by their
GitHub account id, so a login that changed hands gets nothing.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.services.access.config import AccessConfig, TeamRule
from bot.services.github.api import GitHubAccount, GitHubApi, GitHubNotFound
from bot.services.github.identity import Identities
from bot.services.policy import current_policy
from bot.services.standing import derive_standing
from bot.types.access import (
    NOTICE_CAUSES,
    AccessPlan,
    Change,
    Held,
    NoticeDue,
    TeamPlan,
)
from bot.types.standing import Standing
from storage import access as store
from storage import roster as roster_store
from storage.models import (
    AccessCause,
    AccessNotice,
    AccessOp,
    AgreementKind,
    Person,
    Role,
    Status,
    TeamAccessState,
)

AGREEMENT_LABELS = {
    AgreementKind.INDIVIDUAL: "individual agreement",
    AgreementKind.ENTITY: "entity agreement",
    AgreementKind.NDA: "NDA",
}
DEFAULT_NOTICE_DAYS = 7


@dataclass
class _Roster:
    """The roster as access planning needs it, loaded in a few queries, with everyone's standing as of now."""

    people: list[Person]
    by_login: dict[str, Person]
    roles: dict[int, set[Role]]
    grants: dict[int, list[tuple[int, str, str]]]
    revoked: dict[int, list[tuple[int, str, dt.date]]]
    standing: dict[int, Standing]
    inactive: set[int]
    notices: dict[int, AccessNotice]
    by_id: dict[int, Person] = field(default_factory=dict)


def _load_roster(session: Session, *, today: dt.date) -> _Roster:
    people = roster_store.list_people(session)
    roles = roster_store.roles_by_person(session)
    grants: dict[int, list[tuple[int, str, str]]] = {}
    for grant_id, person_id, key, name in store.active_grants(session):
        grants.setdefault(person_id, []).append((grant_id, key, name))
    revoked: dict[int, list[tuple[int, str, dt.date]]] = {}
    for person_id, rows in store.revoked_grants_by_person(session).items():
        revoked[person_id] = [
            (grant.id or 0, repo.key, grant.revoked_on) for grant, repo in rows if grant.revoked_on
        ]
    committers = [
        p
        for p in people
        if p.id is not None and Role.COMMITTER in roles.get(p.id, set()) and not p.removed_on
    ]
    ids = [p.id for p in committers if p.id is not None]
    org_ids = sorted({p.organization_id for p in committers if p.organization_id})
    by_person, by_org = store.agreements_of(session, ids, org_ids)
    champions = roster_store.champions_by_committer(session, ids)
    orgs = {org.id: org for org in roster_store.list_organizations(session)}
    policy = current_policy(session)
    standing: dict[int, Standing] = {}
    for person in committers:
        assert person.id is not None
        org = orgs.get(person.organization_id) if person.organization_id else None
        standing[person.id] = derive_standing(
            roles=roles.get(person.id, set()),
            removed_on=person.removed_on,
            agreements=by_person.get(person.id, []),
            organization=org,
            organization_agreements=by_org.get(org.id, []) if org and org.id else [],
            champion_count=len(champions.get(person.id, [])),
            policy=policy,
            today=today,
        )
    return _Roster(
        people=people,
        by_login={p.github_key: p for p in people},
        roles=roles,
        grants=grants,
        revoked=revoked,
        standing=standing,
        inactive=store.moved_for_inactivity(session),
        notices=store.list_notices(session),
    )


def covers(pattern: str, grant: str) -> bool:
    """Whether a grant (`org/repo` or `org/*`) falls under a team's repository pattern."""
    org = grant.split("/")[0]
    if grant == f"{org}/*":
        return pattern.startswith(f"{org}/")
    if not any(char in pattern for char in "*?["):
        return pattern == grant
    if pattern.endswith("/*") and not any(char in pattern[:-2] for char in "*?["):
        return grant.startswith(pattern[:-1])
    return fnmatch.fnmatchcase(grant, pattern)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")


def expand_rules(session: Session, config: AccessConfig, github: GitHubApi) -> list[TeamRule]:
    """Return every team rule: those listed, and a team per repository for each per_repo entry."""
    rules = list(config.teams)
    listed = {rule.team for rule in rules}
    for per_repo in config.per_repo:
        by_slug: dict[str, set[str]] = {}
        for key in store.list_repo_keys(session, per_repo.org):
            by_slug.setdefault(_slug(per_repo.prefix + key.split("/", 1)[1]), set()).add(key)
        # Teams already on GitHub with the prefix stay managed even when no roster repository names them.
        for slug in github.list_teams(per_repo.org):
            if slug.lower().startswith(per_repo.prefix):
                by_slug.setdefault(slug.lower(), set())
        for slug, repos in sorted(by_slug.items()):
            team = f"{per_repo.org}/{slug}"
            if team not in listed:
                listed.add(team)
                rules.append(TeamRule(team=team, repos=tuple(sorted(repos)), line=per_repo.line))
    return rules


class _GrantIndex:
    """Committers active as of now, by the repository keys they hold grants on (a team's people without a scan)."""

    def __init__(self, roster: _Roster) -> None:
        self.roster = roster
        self.by_key: dict[str, set[int]] = {}
        self.people: dict[int, Person] = {}
        for person in roster.people:
            if person.id is None or person.removed_on is not None:
                continue
            standing = roster.standing.get(person.id)
            if standing is None or standing.status is not Status.ACTIVE:
                continue
            self.people[person.id] = person
            for _grant_id, key, _name in roster.grants.get(person.id, []):
                self.by_key.setdefault(key, set()).add(person.id)
        self.by_org: dict[str, list[str]] = {}
        for key in self.by_key:
            self.by_org.setdefault(key.split("/")[0], []).append(key)

    def _keys(self, pattern: str) -> list[str]:
        org = pattern.split("/")[0]
        if not any(char in pattern for char in "*?["):
            return [key for key in (pattern, f"{org}/*") if key in self.by_key]
        if pattern == f"{org}/*":
            return list(self.by_org.get(org, []))
        return [key for key in self.by_org.get(org, []) if covers(pattern, key)]

    def wanted(self, rule: TeamRule) -> dict[int, Change]:
        """Return, by person id, the addition each active committer a team's patterns call for would be."""
        keys = {key for pattern in rule.repos for key in self._keys(pattern)}
        ids = set().union(*(self.by_key[key] for key in keys)) if keys else set()
        wanted = {}
        for person_id in ids:
            person = self.people[person_id]
            for grant_id, key, name in self.roster.grants.get(person_id, []):
                if any(covers(pattern, key) for pattern in rule.repos):
                    wanted[person_id] = Change(
                        team=rule.team,
                        login=person.github,
                        person_id=person_id,
                        reason=f"granted {name}",
                        op=AccessOp.ADD,
                        cause=AccessCause.GRANTED,
                        source=f"commit grant #{grant_id} ({name})",
                        github_id=person.github_id,
                    )
                    break
        return wanted


@dataclass(frozen=True)
class _Why:
    cause: AccessCause
    reason: str
    source: str


class _Reasons:
    """Why a roster person should not be in a team: alumni, role dropped, lapsed, onboarding, grant revoked."""

    def __init__(self, roster: _Roster) -> None:
        self.roster = roster

    def why_not(self, person: Person, rule: TeamRule) -> _Why | None:
        """Return the reason for removal, or None when the person never was a committer the roster manages."""
        assert person.id is not None
        roles = self.roster.roles.get(person.id, set())
        record = f"person #{person.id} ({person.github})"
        if person.removed_on is not None or person.status == Status.ALUMNI:
            since = f" since {person.removed_on}" if person.removed_on else ""
            if person.id in self.roster.inactive:
                return _Why(AccessCause.INACTIVE, f"alumni{since}: inactive", record)
            return _Why(AccessCause.ALUMNI, f"alumni{since}", record)
        had = self.roster.grants.get(person.id, []) or self.roster.revoked.get(person.id, [])
        if Role.COMMITTER not in roles:
            if not had:
                return None
            return _Why(
                AccessCause.ROLE_DROPPED, "commit rights ended: no longer a committer on the roster", record
            )
        standing = self.roster.standing.get(person.id)
        if standing is not None and standing.status is Status.LAPSED:
            return self._lapse(person, standing)
        if standing is not None and standing.status is Status.ONBOARDING:
            return _Why(AccessCause.ONBOARDING, "onboarding: " + _gaps(standing), record)
        revoked = [
            (on, repo, grant_id)
            for grant_id, repo, on in self.roster.revoked.get(person.id, [])
            if any(covers(pattern, repo) for pattern in rule.repos)
        ]
        if revoked:
            on, repo, grant_id = max(revoked)
            return _Why(
                AccessCause.REVOKED, f"grant revoked on {on} ({repo})", f"commit grant #{grant_id} ({repo})"
            )
        return _Why(AccessCause.NO_GRANT, f"no grant on {', '.join(rule.repos)}", record)

    def _lapse(self, person: Person, standing: Standing) -> _Why:
        expired = [
            (g.expired_on, g.agreement)
            for g in standing.gaps
            if g.expired_on is not None and g.agreement is not None
        ]
        record = f"person #{person.id} ({person.github}) agreements"
        if not expired:
            return _Why(AccessCause.LAPSED, "lapsed", record)
        ended_on, kind = max(expired)
        return _Why(
            AccessCause.LAPSED,
            f"lapsed: {AGREEMENT_LABELS[kind]} ended on {ended_on}",
            f"{record}: {kind.value}",
        )


def _gaps(standing: Standing) -> str:
    words = []
    for gap in standing.gaps:
        if gap.agreement is not None:
            words.append(f"{AGREEMENT_LABELS[gap.agreement]} missing")
        elif gap.champions_missing:
            words.append("champions missing")
    return ", ".join(words) or "not active yet"


def plan_access(
    session: Session,
    config: AccessConfig,
    github: GitHubApi,
    *,
    now: dt.datetime,
    notice_days: int = DEFAULT_NOTICE_DAYS,
    identities: Identities | None = None,
) -> AccessPlan:
    """Compare each team on GitHub with what the roster calls for as of `now`; change nothing on GitHub.

    Account ids first seen and renames are written to the session (uncommitted); `identities` collects them
    with any login held by another account, for the caller to commit and report.
    """
    roster = _load_roster(session, today=now.date())
    ids = identities or Identities.of_roster(session, roster.people, now=now)
    index = _GrantIndex(roster)
    reasons = _Reasons(roster)
    plan = AccessPlan(teams=[], config=config.path, created_at=now)
    to_add: list[tuple[TeamPlan, Change]] = []
    due: dict[int, tuple[Person, _Why, list[str]]] = {}
    for rule in expand_rules(session, config, github):
        org, _, slug = rule.team.partition("/")
        wanted = index.wanted(rule)
        team = TeamPlan(team=rule.team)
        plan.teams.append(team)
        try:
            members = github.team_members(org, slug)
            invited = github.team_invitations(org, slug)
        except GitHubNotFound:
            team.missing = True
            for person_id in wanted:
                plan.states[(person_id, rule.team)] = TeamAccessState.MISSING
            continue
        seen: dict[int, tuple[GitHubAccount, bool]] = {}
        strangers: list[tuple[GitHubAccount, bool]] = []
        for account, invitation in [*((m, False) for m in members), *((i, True) for i in invited)]:
            person = ids.match(account, where=f"team {rule.team}")
            if person is None or person.id is None:
                strangers.append((account, invitation))
            elif person.id not in seen or not invitation:
                seen[person.id] = (account, invitation)
        for person_id, change in sorted(wanted.items(), key=lambda item: item[1].login.lower()):
            if person_id in seen and not seen[person_id][1]:
                team.in_place += 1
                plan.states[(person_id, rule.team)] = TeamAccessState.MEMBER
            elif person_id in seen:
                team.pending.append((seen[person_id][0].login, change.reason))
                plan.states[(person_id, rule.team)] = TeamAccessState.PENDING
            else:
                to_add.append((team, change))
                plan.states[(person_id, rule.team)] = TeamAccessState.MISSING
        for account, invitation in sorted(strangers, key=lambda s: s[0].login.lower()):
            if account.login.lower() not in config.keep:
                team.unknown.append(account.login + (" (invited)" if invitation else ""))
        for person_id, (account, invitation) in sorted(seen.items(), key=lambda s: s[1][0].login.lower()):
            if person_id in wanted or account.login.lower() in config.keep:
                continue
            person = ids.by_id.get(account.id) or roster.by_login[account.login.lower()]
            why = reasons.why_not(person, rule)
            if why is None:
                team.not_committers.append(account.login)
                continue
            change = Change(
                team=rule.team,
                login=account.login,
                person_id=person_id,
                reason=why.reason,
                invitation=invitation,
                op=AccessOp.REMOVE,
                cause=why.cause,
                source=why.source,
                github_id=account.id,
            )
            plan.states[(person_id, rule.team)] = TeamAccessState.EXTRA
            if why.cause not in NOTICE_CAUSES:
                team.remove.append(change)
                continue
            notice = roster.notices.get(person_id)
            if notice is not None and notice.remove_after <= now:
                team.remove.append(change)
            elif notice is not None:
                team.held.append(Held(change, notice.remove_after, notice.noticed_at))
            else:
                team.held.append(Held(change, now + dt.timedelta(days=notice_days)))
                due.setdefault(person_id, (person, why, []))[2].append(rule.team)
    _verify_additions(plan, to_add, ids, github, {p.id: p for p in roster.people})
    plan.notices = [
        NoticeDue(
            person_id,
            person.github,
            why.cause,
            why.reason,
            tuple(teams),
            now + dt.timedelta(days=notice_days),
        )
        for person_id, (person, why, teams) in sorted(due.items())
    ]
    on_notice = {h.change.person_id for h in plan.held} | {
        c.person_id for c in plan.removals if c.cause in NOTICE_CAUSES
    }
    plan.settled_notices = {pid for pid in roster.notices if pid not in on_notice}
    plan.identity, plan.renames = list(ids.issues), list(ids.renames)
    ids.flush()
    return plan


def _verify_additions(
    plan: AccessPlan,
    to_add: list[tuple[TeamPlan, Change]],
    ids: Identities,
    github: GitHubApi,
    people: dict[int | None, Person],
) -> None:
    """Add only accounts GitHub confirms are the person's: by their account id, or (first time) by login."""
    accounts: dict[int, tuple[GitHubAccount | None, str]] = {}
    for team, change in to_add:
        assert change.person_id is not None
        if change.person_id not in accounts:
            person = people[change.person_id]
            accounts[change.person_id] = ids.current(
                person, github, where=f"GitHub's account {person.github}"
            )
        account, problem = accounts[change.person_id]
        if account is None:
            team.blocked.append((change.login, f"{problem}; not added"))
            plan.states.pop((change.person_id, change.team), None)
            continue
        team.add.append(
            Change(
                team=change.team,
                login=account.login,
                person_id=change.person_id,
                reason=change.reason,
                op=AccessOp.ADD,
                cause=change.cause,
                source=change.source,
                github_id=account.id,
            )
        )
