"""GitHub team access that follows the agreements: access.yaml, the plan (who in, who out and why), applying it.

Applying and the daily drift check commit what they did together with the admins' messages about it.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session

from bot.services.audit import audit
from bot.services.errors import UserError
from bot.services.github_api import NOT_CONFIGURED, GitHubApi, GitHubConnect, GitHubError, GitHubNotFound
from bot.services.keys import Kind
from bot.services.logins import not_a_login
from bot.services.outbox import Outgoing, commit, dm
from bot.services.policy import Channels, GitHubConfig, current_policy
from bot.services.roster import list_admins
from bot.services.status import Gap, derive_standing
from bot.views import github as views
from storage import github as store
from storage import roster as roster_store
from storage.models import AccessChange, AgreementKind, GitHubAccess, Person, Role, Status, TeamAccessState

TEAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
REPO_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/(?:\*|[A-Za-z0-9._-]{1,100})$")
ORG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$")
AGREEMENT_LABELS = {
    AgreementKind.INDIVIDUAL: "individual agreement",
    AgreementKind.ENTITY: "entity agreement",
    AgreementKind.NDA: "NDA",
}


@dataclass(frozen=True)
class TeamRule:
    """A GitHub team and the repositories whose committers belong in it."""

    team: str
    repos: tuple[str, ...]
    line: int = 0


@dataclass(frozen=True)
class PerRepoRule:
    """A team per repository of an organisation: `ORG/<prefix><repo>`."""

    org: str
    prefix: str
    line: int = 0


@dataclass(frozen=True)
class AccessConfig:
    """access.yaml: teams with the repositories that grant membership, and handles never removed."""

    teams: tuple[TeamRule, ...]
    per_repo: tuple[PerRepoRule, ...] = ()
    keep: frozenset[str] = frozenset()
    path: str = "access.yaml"


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line each mapping starts on, for error messages."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping  # type: ignore[return-value]


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load_access_config(path: Path) -> AccessConfig:
    """Read access.yaml; raise UserError naming the file, the line and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(
            f"{path}: not found. Write it like examples/access.yaml (teams with repos, and keep), "
            "or point --config / CCBOT_ACCESS_CONFIG at it"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read it ({exc.__class__.__name__})") from None
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise UserError(
            f"{where}: not valid YAML ({getattr(exc, 'problem', None) or 'syntax error'})"
        ) from None
    if not isinstance(doc, dict):
        raise UserError(f"{path}:1: expected a mapping with `teams:` (and optionally `keep:`)")
    problems: list[str] = []
    unknown = set(doc) - {"teams", "keep", "__line__"}
    if unknown:
        problems.append(
            f"{path}:1: unknown key(s) {', '.join(sorted(map(str, unknown)))}; expected teams and keep"
        )
    entries = doc.get("teams")
    if not isinstance(entries, list) or not entries:
        problems.append(f"{path}:1: `teams:` must list at least one team")
        entries = []
    teams: list[TeamRule] = []
    per_repo: list[PerRepoRule] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        line = entry.get("__line__", 1) if isinstance(entry, dict) else 1
        where = f"{path}:{line}: teams[{number}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected `team:` with `repos:`, or `per_repo:` with `prefix:`")
            continue
        keys = set(entry) - {"__line__"}
        if "per_repo" in entry:
            org, prefix = str(entry.get("per_repo") or ""), entry.get("prefix")
            if keys - {"per_repo", "prefix"}:
                problems.append(f"{where}: a per_repo entry takes only per_repo and prefix")
            if not ORG_NAME.match(org):
                problems.append(f"{where}: per_repo {org[:60]!r} is not a GitHub organisation name")
            if not isinstance(prefix, str) or not re.fullmatch(r"[A-Za-z0-9._-]{0,60}", prefix):
                problems.append(f"{where}: prefix must be text like committers- (letters, digits, . _ -)")
                continue
            per_repo.append(PerRepoRule(org=org.lower(), prefix=prefix.lower(), line=line))
            continue
        if keys - {"team", "repos"}:
            problems.append(
                f"{where}: unknown key(s) {', '.join(sorted(map(str, keys - {'team', 'repos'})))}"
            )
        team = str(entry.get("team") or "")
        if not TEAM_NAME.match(team):
            problems.append(
                f"{where}: team {team[:100]!r} is not ORG/team-slug (like openedx/committers-edx-platform)"
            )
            continue
        key = team.lower()
        if key in seen:
            problems.append(f"{where}: team {team} is listed twice (first on line {seen[key]})")
            continue
        seen[key] = line
        repos = entry.get("repos")
        if not isinstance(repos, list) or not repos:
            problems.append(
                f"{where}: `repos:` must list repositories (org/repo, or org/* for a whole organisation)"
            )
            continue
        bad = [str(r) for r in repos if not isinstance(r, str) or not REPO_PATTERN.match(r)]
        if bad:
            problems.append(f"{where}: {bad[0][:100]!r} is not org/repo or org/*")
            continue
        teams.append(TeamRule(team=key, repos=tuple(r.lower() for r in repos), line=line))
    keep = doc.get("keep") or []
    if not isinstance(keep, list) or any(not isinstance(k, str) for k in keep):
        problems.append(f"{path}:1: `keep:` must list GitHub handles")
        keep = []
    for handle in keep:
        refused = not_a_login(handle, bots=True)
        if refused is not None:
            problems.append(f"{path}:1: `keep:` {handle[:100]!r}: {refused}")
            keep = []
    if problems:
        raise UserError("\n".join(problems))
    return AccessConfig(
        teams=tuple(teams), per_repo=tuple(per_repo), keep=frozenset(k.lower() for k in keep), path=str(path)
    )


@dataclass(frozen=True)
class Change:
    """One membership to add or remove, with its reason."""

    team: str
    login: str
    person_id: int | None
    reason: str
    invitation: bool = False


@dataclass
class TeamPlan:
    """One team: who is to be added and removed and why, who is invited, who the roster does not know."""

    team: str
    add: list[Change] = field(default_factory=list)
    remove: list[Change] = field(default_factory=list)
    pending: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    not_committers: list[str] = field(default_factory=list)
    in_place: int = 0
    missing: bool = False

    @property
    def drift(self) -> bool:
        """Whether GitHub differs from what the roster calls for (or holds people the roster does not know)."""
        return bool(self.add or self.remove or self.unknown or self.missing)


@dataclass
class AccessPlan:
    """What the roster calls for on GitHub, team by team, and the snapshot `/cc` shows each committer."""

    teams: list[TeamPlan]
    states: dict[tuple[int, str], TeamAccessState] = field(default_factory=dict)

    @property
    def adds(self) -> list[Change]:
        """Every membership to add."""
        return [c for t in self.teams for c in t.add]

    @property
    def removals(self) -> list[Change]:
        """Every membership (or invitation) to remove."""
        return [c for t in self.teams for c in t.remove]

    @property
    def drift(self) -> bool:
        """Whether any team differs from the roster."""
        return any(t.drift for t in self.teams)

    @property
    def summary(self) -> str:
        """One line: teams, additions, removals, invitations, unknown members."""
        unknown = sum(len(t.unknown) for t in self.teams)
        pending = sum(len(t.pending) for t in self.teams)
        missing = sum(1 for t in self.teams if t.missing)
        parts = [
            _count(len(self.teams), "team"),
            f"{len(self.adds)} to add",
            f"{len(self.removals)} to remove",
            f"{_count(pending, 'invitation')} pending",
            f"{_count(unknown, 'member')} the roster does not know",
        ]
        if missing:
            parts.append(f"{_count(missing, 'team')} missing on GitHub")
        return ", ".join(parts)


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


@dataclass
class _Roster:
    """The roster as access planning needs it, loaded in a few queries."""

    by_login: dict[str, Person]
    roles: dict[int, set[str]]
    grants: dict[int, list[tuple[str, str]]]
    revoked: dict[int, list[tuple[str, dt.date]]]


def _load_roster(session: Session) -> _Roster:
    people = roster_store.list_people(session)
    grants: dict[int, list[tuple[str, str]]] = {}
    for person_id, key, name in store.active_grant_keys(session):
        grants.setdefault(person_id, []).append((key, name))
    revoked: dict[int, list[tuple[str, dt.date]]] = {}
    for person_id, revoked_rows in store.revoked_grants_by_person(session).items():
        revoked[person_id] = [
            (repo.key, grant.revoked_on) for grant, repo in revoked_rows if grant.revoked_on
        ]
    return _Roster(
        by_login={p.github_key: p for p in people},
        roles=roster_store.roles_by_person(session),
        grants=grants,
        revoked=revoked,
    )


def _covers(pattern: str, grant: str) -> bool:
    """Whether a grant (`org/repo` or `org/*`) falls under a team's repository pattern."""
    org = grant.split("/")[0]
    if grant == f"{org}/*":
        return pattern.startswith(f"{org}/")
    if not any(char in pattern for char in "*?["):
        return pattern == grant
    if pattern.endswith("/*") and not any(char in pattern[:-2] for char in "*?["):
        return grant.startswith(pattern[:-1])
    return fnmatch.fnmatchcase(grant, pattern)


def _matching(grants: list[tuple[str, str]], patterns: tuple[str, ...]) -> str | None:
    """Return the name of the first grant a team's patterns cover."""
    for key, name in grants:
        if any(_covers(pattern, key) for pattern in patterns):
            return name
    return None


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
    """Active committers by the repository keys they hold grants on, so a team's people are found without a scan."""

    def __init__(self, roster: _Roster) -> None:
        self.roster = roster
        self.by_key: dict[str, set[int]] = {}
        self.people: dict[int, Person] = {}
        for person in roster.by_login.values():
            if (
                person.id is None
                or Role.COMMITTER.value not in roster.roles.get(person.id, set())
                or person.removed_on is not None
                or person.status != Status.ACTIVE.value
            ):
                continue
            self.people[person.id] = person
            for key, _name in roster.grants.get(person.id, []):
                self.by_key.setdefault(key, set()).add(person.id)
        self.by_org: dict[str, list[str]] = {}
        for key in self.by_key:
            self.by_org.setdefault(key.split("/")[0], []).append(key)

    def _keys(self, pattern: str) -> list[str]:
        org = pattern.split("/")[0]
        if not any(char in pattern for char in "*?["):
            return [key for key in (pattern, f"{org}/*") if key in self.by_key]
        if pattern == f"{org}/*":
            return [key for key in self.by_org.get(org, [])]
        return [key for key in self.by_org.get(org, []) if _covers(pattern, key)]

    def wanted(self, patterns: tuple[str, ...]) -> dict[str, tuple[Person, str]]:
        """Return, by login, the active committers a team's patterns call for, each with the grant that does."""
        keys = {key for pattern in patterns for key in self._keys(pattern)}
        ids = set().union(*(self.by_key[key] for key in keys)) if keys else set()
        wanted = {}
        for person_id in ids:
            person = self.people[person_id]
            grant = _matching(self.roster.grants.get(person_id, []), patterns)
            if grant is not None:
                wanted[person.github_key] = (person, f"granted {grant}")
        return wanted


def plan_access(session: Session, config: AccessConfig, github: GitHubApi, *, today: dt.date) -> AccessPlan:
    """Compare each team's members and invitations on GitHub with what the roster calls for; change nothing."""
    roster = _load_roster(session)
    index = _GrantIndex(roster)
    reasons = _Reasons(session, roster, today=today)
    plan = AccessPlan(teams=[])
    leaving: list[tuple[TeamPlan, TeamRule, str, Person, bool]] = []
    for rule in expand_rules(session, config, github):
        org, _, slug = rule.team.partition("/")
        wanted = index.wanted(rule.repos)
        team = TeamPlan(team=rule.team)
        plan.teams.append(team)
        try:
            members = {login.lower(): login for login in github.team_members(org, slug)}
            invited = {login.lower(): login for login in github.team_invitations(org, slug)}
        except GitHubNotFound:
            team.missing = True
            for person, _reason in wanted.values():
                plan.states[(person.id or 0, rule.team)] = TeamAccessState.MISSING
            continue
        for key, (person, reason) in sorted(wanted.items()):
            assert person.id is not None
            if key in members:
                team.in_place += 1
                plan.states[(person.id, rule.team)] = TeamAccessState.MEMBER
            elif key in invited:
                team.pending.append((person.github, reason))
                plan.states[(person.id, rule.team)] = TeamAccessState.PENDING
            else:
                team.add.append(Change(rule.team, person.github, person.id, reason))
                plan.states[(person.id, rule.team)] = TeamAccessState.MISSING
        for key, login, invitation in [
            *((k, v, False) for k, v in sorted(members.items())),
            *((k, v, True) for k, v in sorted(invited.items())),
        ]:
            if key in wanted or key in config.keep:
                continue
            known = roster.by_login.get(key)
            if known is None or known.id is None:
                team.unknown.append(login + (" (invited)" if invitation else ""))
            else:
                leaving.append((team, rule, login, known, invitation))
    # Reasons need agreements and champions: loaded once for everyone leaving, not per person.
    reasons.prepare([known for *_, known, _invitation in leaving])
    for team, rule, login, known, invitation in leaving:
        assert known.id is not None
        why = reasons.why_not(known, rule)
        if why is None:
            team.not_committers.append(login)
            continue
        team.remove.append(Change(rule.team, login, known.id, why, invitation=invitation))
        plan.states[(known.id, rule.team)] = TeamAccessState.EXTRA
    return plan


class _Reasons:
    """Why a roster person should not be in a team: alumni, lapsed (which agreement ended when), grant revoked."""

    def __init__(self, session: Session, roster: _Roster, *, today: dt.date) -> None:
        self.session = session
        self.roster = roster
        self.today = today
        self._gaps_of: dict[int, list[Gap]] = {}
        self._policy = current_policy(session)

    def prepare(self, people: list[Person]) -> None:
        """Work out the standing gaps of every lapsed or onboarding person among `people`, in a few queries."""
        needed = {
            p.id: p
            for p in people
            if p.id is not None
            and p.id not in self._gaps_of
            and p.status in {Status.LAPSED.value, Status.ONBOARDING.value}
        }
        if not needed:
            return
        org_ids = {p.organization_id for p in needed.values() if p.organization_id}
        by_person, by_org = store.agreements_of(self.session, list(needed), list(org_ids))
        champions = roster_store.champions_by_committer(self.session, list(needed))
        orgs = {org.id: org for org in roster_store.list_organizations(self.session)}
        for person_id, person in needed.items():
            org = orgs.get(person.organization_id) if person.organization_id else None
            standing = derive_standing(
                roles=self.roster.roles.get(person_id, set()),
                removed_on=person.removed_on,
                agreements=by_person.get(person_id, []),
                organization=org,
                organization_agreements=by_org.get(org.id, []) if org and org.id else [],
                champion_count=len(champions.get(person_id, [])),
                policy=self._policy,
                today=self.today,
            )
            self._gaps_of[person_id] = standing.gaps

    def why_not(self, person: Person, rule: TeamRule) -> str | None:
        """Return the reason for removal, or None when the person is no committer of the roster's to manage."""
        assert person.id is not None
        roles = self.roster.roles.get(person.id, set())
        if person.removed_on is not None or person.status == Status.ALUMNI.value:
            return f"alumni since {person.removed_on}" if person.removed_on else "alumni"
        if Role.COMMITTER.value not in roles:
            return None
        if person.status == Status.LAPSED.value:
            return self._lapse(person)
        if person.status == Status.ONBOARDING.value:
            return "onboarding: " + self._gaps(person)
        revoked = [
            (on, repo)
            for repo, on in self.roster.revoked.get(person.id, [])
            if any(_covers(pattern, repo) for pattern in rule.repos)
        ]
        if revoked:
            on, repo = max(revoked)
            return f"grant revoked on {on} ({repo})"
        return f"no grant on {', '.join(rule.repos)}"

    def _standing_gaps(self, person: Person) -> list[Gap]:
        if person.id not in self._gaps_of:
            self.prepare([person])
        return self._gaps_of.get(person.id or 0, [])

    def _lapse(self, person: Person) -> str:
        expired = [
            (g.expired_on, g.agreement)
            for g in self._standing_gaps(person)
            if g.expired_on is not None and g.agreement is not None
        ]
        if not expired:
            return "lapsed"
        ended_on, kind = max(expired)
        return f"lapsed: {AGREEMENT_LABELS[kind]} ended on {ended_on}"

    def _gaps(self, person: Person) -> str:
        words = []
        for gap in self._standing_gaps(person):
            if gap.agreement is not None:
                words.append(f"{AGREEMENT_LABELS[gap.agreement]} missing")
            elif gap.champions_missing:
                words.append("champions missing")
        return ", ".join(words) or "not active yet"


def record_access(session: Session, plan: AccessPlan, *, now: dt.datetime) -> None:
    """Store the comparison `/cc` and App Home show each committer (without committing)."""
    store.replace_access(
        session,
        (
            GitHubAccess(person_id=person_id, team=team, state=state, checked_at=now)
            for (person_id, team), state in plan.states.items()
        ),
    )


@dataclass
class ApplyReport:
    """What `ccbot access apply` did."""

    added: list[Change] = field(default_factory=list)
    invited: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    failed: list[tuple[Change, str]] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One line of counts."""
        return (
            f"{len(self.added)} added, {len(self.invited)} invited, {len(self.removed)} removed, "
            f"{len(self.failed)} failed"
        )


def check_removals(plan: AccessPlan, *, max_removals: int) -> None:
    """Refuse a plan that removes more than `max_removals` memberships; nothing is changed then."""
    count = len(plan.removals)
    if count > max_removals:
        teams = Counter(c.team for c in plan.removals)
        worst = ", ".join(f"{team} ({n})" for team, n in teams.most_common(3))
        raise UserError(
            f"the plan removes {count} memberships, more than --max-removals {max_removals} ({worst}); nothing "
            "was changed. Check `ccbot access plan`, then run again with a higher --max-removals if it is right"
        )


@dataclass(frozen=True)
class Applied:
    """What applying a plan did, and the keys of the admins' report committed with it."""

    report: ApplyReport
    keys: tuple[str, ...] = ()


def apply_plan(
    session: Session,
    plan: AccessPlan,
    github: GitHubApi,
    *,
    max_removals: int,
    now: dt.datetime,
    actor: str,
    channels: Channels,
) -> Applied:
    """Make GitHub match the plan: add, invite, remove; each change audited and committed as it is made.

    The run's record (what `/cc` shows, the audit entry) commits last, with the admins' report of it.
    """
    check_removals(plan, max_removals=max_removals)
    report = ApplyReport()
    for change in plan.adds:
        org, _, slug = change.team.partition("/")
        try:
            state = github.add_team_member(org, slug, change.login)
        except GitHubError as exc:
            _audit_change(session, change, "add", "failed", now=now, actor=actor, error=str(exc))
            report.failed.append((change, str(exc)))
            continue
        invited = state == "pending"
        (report.invited if invited else report.added).append(change)
        plan.states[(change.person_id or 0, change.team)] = (
            TeamAccessState.PENDING if invited else TeamAccessState.MEMBER
        )
        _audit_change(session, change, "add", "invited" if invited else "added", now=now, actor=actor)
    for change in plan.removals:
        org, _, slug = change.team.partition("/")
        try:
            github.remove_team_member(org, slug, change.login)
        except GitHubNotFound:
            pass  # already gone: the outcome wanted
        except GitHubError as exc:
            _audit_change(session, change, "remove", "failed", now=now, actor=actor, error=str(exc))
            report.failed.append((change, str(exc)))
            continue
        report.removed.append(change)
        plan.states.pop((change.person_id or 0, change.team), None)
        result = "cancelled" if change.invitation else "removed"
        _audit_change(session, change, "remove", result, now=now, actor=actor)
    record_access(session, plan, now=now)
    audit(
        session,
        now,
        actor,
        "access.applied",
        "github",
        added=len(report.added),
        invited=len(report.invited),
        removed=len(report.removed),
        failed=len(report.failed),
    )
    changed = report.added or report.invited or report.removed or report.failed
    stamp = f"{now:%Y%m%dT%H%M%S}"
    messages = admin_messages(session, channels, Kind.ACCESS_APPLY, [stamp], views.applied_text(report))
    return Applied(report, commit(session, messages if changed else [], now=now))


def admin_messages(
    session: Session, channels: Channels, kind: Kind, parts: list[object], text: str
) -> list[Outgoing | None]:
    """Return one DM per admin (on the roster, or bootstrapped by CCBOT_ADMINS), each under its own key."""
    recipients = [p.slack_user_id for p in list_admins(session) if p.slack_user_id]
    recipients += [user_id for user_id in channels.admins if user_id not in recipients]
    return [dm(kind, [*parts, user_id], user_id, text) for user_id in recipients]


DRIFT_ACTOR = "ccbot:access_drift"


@dataclass(frozen=True)
class DriftOutcome:
    """What the daily access check found or did, in one line, and the keys of the admins' messages."""

    summary: str
    keys: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.summary


def check_access_drift(
    session: Session,
    connect: GitHubConnect | None,
    config: GitHubConfig,
    *,
    now: dt.datetime,
    channels: Channels,
) -> DriftOutcome:
    """Plan access against GitHub, store what `/cc` shows, tell the admins of drift; apply only when allowed.

    GitHub changes only with `config.auto_apply`, and never more removals than `config.max_removals`.
    """
    if connect is None:
        return DriftOutcome(f"skipped: {NOT_CONFIGURED}")
    path = Path(config.access_config)
    if not path.is_file():
        return DriftOutcome(f"skipped: {path} not found (CCBOT_ACCESS_CONFIG)")
    mapping = load_access_config(path)
    with connect() as github:
        plan = plan_access(session, mapping, github, today=now.date())
        if config.auto_apply and (plan.adds or plan.removals):
            try:
                applied = apply_plan(
                    session,
                    plan,
                    github,
                    max_removals=config.max_removals,
                    now=now,
                    actor=DRIFT_ACTOR,
                    channels=channels,
                )
            except UserError as exc:
                record_access(session, plan, now=now)
                text = views.refused_text(str(exc))
                refused = admin_messages(session, channels, Kind.ACCESS_APPLY, [f"{now:%Y%m%dT%H%M%S}"], text)
                return DriftOutcome(f"not applied: {exc}", commit(session, refused, now=now))
            return DriftOutcome(f"applied: {applied.report.summary}", applied.keys)
    record_access(session, plan, now=now)
    if not plan.drift:
        return DriftOutcome(f"no drift ({plan.summary})", commit(session, [], now=now))
    text = views.drift_text(plan)
    # Once a day for the same drift; a different drift the same day is reported too.
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    messages = admin_messages(session, channels, Kind.ACCESS_DRIFT, [now.date(), digest], text)
    return DriftOutcome(f"drift reported ({plan.summary})", commit(session, messages, now=now))


def _audit_change(
    session: Session,
    change: Change,
    kind: str,
    result: str,
    *,
    now: dt.datetime,
    actor: str,
    error: str | None = None,
) -> None:
    store.add_access_change(
        session,
        AccessChange(
            at=now,
            actor=actor[:100],
            team=change.team,
            login=change.login,
            person_id=change.person_id,
            change=kind,
            reason=change.reason[:300],
            result=result,
            error=error[:500] if error else None,
        ),
    )
    # Committed one by one: a run cut short still shows every change GitHub saw.
    session.commit()


@dataclass(frozen=True)
class AccessLine:
    """One team as `/cc` shows a committer: the team, their state in it, when it was checked."""

    team: str
    state: str
    checked_on: dt.date


def access_of(session: Session, person_id: int) -> list[AccessLine]:
    """Return a person's GitHub team access as last compared with the roster."""
    return [
        AccessLine(team=row.team, state=str(row.state), checked_on=row.checked_at.date())
        for row in store.list_access_of(session, person_id)
    ]
