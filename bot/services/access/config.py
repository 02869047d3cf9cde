"""access.yaml: which GitHub teams the roster's grants call for, and the handles ccbot never removes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.services.errors import UserError
from bot.services.logins import not_a_login

TEAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
REPO_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/(?:\*|[A-Za-z0-9._-]{1,100})$")
ORG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$")


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
