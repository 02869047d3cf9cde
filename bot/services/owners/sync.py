"""Repository ownership synced from catalog-info.yaml, CODEOWNERS and Backstage groups, from a folder or GitHub."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session

from bot.services.audit import audit
from bot.services.errors import UserError
from bot.services.github.api import NOT_CONFIGURED, GitHubApi, GitHubBadContent, GitHubConnect, GitHubNotFound
from bot.services.github.identity import confirm_accounts
from bot.types.owners import SyncReport
from bot.types.policy import Channels
from storage import owners as store
from storage import roster as roster_store
from storage.models import RepoOwnership
from storage.program import get_program_setting, set_program_setting

CODEOWNERS_PLACES = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")
GROUPS_KEY = "owner_groups"


@dataclass(frozen=True)
class RepoFiles:
    """One repository's ownership files, read from a directory or from GitHub; `where` names them in messages."""

    name: str
    where: str
    catalog: str | None = None
    codeowners: str | None = None


def _load_yaml_documents(text: str, where: str, report: SyncReport) -> list[dict[str, Any]]:
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        report.problems.append(f"{where}: not valid YAML ({exc.__class__.__name__})")
        return []
    return [doc for doc in documents if isinstance(doc, dict)]


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None


def sync_owners(session: Session, directory: Path, *, now: dt.datetime, actor: str) -> SyncReport:
    """Read `<org>/<repo>/catalog-info.yaml` and CODEOWNERS under `directory` into the database (committed)."""
    if not directory.is_dir():
        raise UserError(f"{directory} is not a directory")
    skipped = SyncReport()
    root = os.path.realpath(directory)

    def inside(path: Path) -> bool:
        """Whether `path` stays in the folder once every link is followed (links out are skipped)."""
        if not os.path.lexists(path):
            return False
        real = os.path.realpath(path)
        if real == root or real.startswith(root + os.sep):
            return True
        skipped.problems.append(f"{path}: a link to {real}, outside {directory}; skipped")
        return False

    def folders(parent: Path) -> list[Path]:
        return sorted(p for p in parent.iterdir() if not p.name.startswith(".") and inside(p) and p.is_dir())

    sources = []
    for org_dir in folders(directory):
        for repo_dir in folders(org_dir):
            catalog = repo_dir / "catalog-info.yaml"
            codeowners = next(
                (
                    repo_dir / place
                    for place in CODEOWNERS_PLACES
                    if inside(repo_dir / place) and (repo_dir / place).is_file()
                ),
                None,
            )
            sources.append(
                RepoFiles(
                    name=f"{org_dir.name}/{repo_dir.name}",
                    where=str(repo_dir),
                    catalog=_read(catalog) if inside(catalog) else None,
                    codeowners=_read(codeowners) if codeowners else None,
                )
            )
    groups_file = directory / "groups.yaml"
    extra = (
        [(str(groups_file), _read(groups_file) or "")]
        if inside(groups_file) and groups_file.is_file()
        else []
    )
    result = store_owners(session, sources, now=now, actor=actor, subject=str(directory), group_files=extra)
    result.problems[:0] = skipped.problems
    return result


# `user:login` in catalog-info.yaml and `@login` (not `@org/team`) in CODEOWNERS.
OWNER_LOGIN = re.compile(r"(?:\buser:|(?<![\w.])@)([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\b(?![/-])")


def sync_owners_from_github(
    session: Session,
    github: GitHubApi,
    targets: list[str],
    *,
    now: dt.datetime,
    actor: str,
    channels: Channels | None = None,
) -> SyncReport:
    """Read catalog-info.yaml and CODEOWNERS (root, .github/, docs/) from each repository's default branch.

    `targets` are organisations (every repository that is not archived) or `org/repo`; the meaning is
    exactly that of `sync_owners` on a directory (committed).
    """
    report = SyncReport()
    sources = []
    for target in targets:
        try:
            repos = [github.get_repo(target)] if "/" in target else github.list_org_repos(target)
        except GitHubNotFound:
            report.problems.append(
                f"{target}: not found on GitHub, or the credentials cannot see it; skipped"
            )
            continue
        for repo in repos:
            if repo.archived and "/" not in target:
                continue
            where = f"{repo.full_name}@{repo.default_branch}"
            try:
                catalog = github.read_file(repo.full_name, "catalog-info.yaml", repo.default_branch)
                codeowners = None
                for place in CODEOWNERS_PLACES:
                    codeowners = github.read_file(repo.full_name, place, repo.default_branch)
                    if codeowners is not None:
                        break
            except GitHubBadContent as exc:
                # Half a repository's files would change its owners: it keeps those of its last sync.
                report.problems.append(f"{exc}; {repo.full_name} skipped (its owners stay as last synced)")
                continue
            sources.append(
                RepoFiles(name=repo.full_name, where=where, catalog=catalog, codeowners=codeowners)
            )
    result = store_owners(session, sources, now=now, actor=actor, subject="github:" + ",".join(targets))
    result.problems[:0] = report.problems
    # The owners named are people on GitHub: record the account ids of those on the roster.
    named = {
        login.lower()
        for source in sources
        for text in (source.catalog or "", source.codeowners or "")
        for login in OWNER_LOGIN.findall(text)
    }
    people = [p for p in roster_store.list_people(session) if p.github_key in named and p.github_id is None]
    if people:
        confirmed = confirm_accounts(
            session, github, people, now=now, channels=channels or Channels(), where="owners sync --github"
        )
        result.problems += [f"{login}: no GitHub account holds this login" for login in confirmed.missing]
    return result


def refresh_owners_from_github(
    session: Session,
    connect: GitHubConnect | None,
    targets: Sequence[str],
    *,
    now: dt.datetime,
    actor: str,
    channels: Channels | None = None,
) -> SyncReport:
    """Sync the configured organisations and repositories (CCBOT_GITHUB_OWNERS); `skipped` says why when not."""
    if not targets:
        return SyncReport(skipped="CCBOT_GITHUB_OWNERS names no organisation or repository")
    if connect is None:
        return SyncReport(skipped=NOT_CONFIGURED)
    with connect() as github:
        return sync_owners_from_github(
            session, github, list(targets), now=now, actor=actor, channels=channels
        )


def store_owners(
    session: Session,
    sources: list[RepoFiles],
    *,
    now: dt.datetime,
    actor: str,
    subject: str,
    group_files: list[tuple[str, str]] | None = None,
) -> SyncReport:
    """Store each repository's catalog owner and CODEOWNERS, and Backstage groups, in one transaction."""
    report = SyncReport()
    groups: dict[str, list[str]] = {}
    for source in sources:
        catalog_where = f"{source.where}/catalog-info.yaml"
        documents = _load_yaml_documents(source.catalog, catalog_where, report) if source.catalog else []
        component = next((d for d in documents if str(d.get("kind", "")).lower() == "component"), None)
        for doc in documents:
            if str(doc.get("kind", "")).lower() == "group":
                _collect_group(doc, groups)
        if component is None and source.codeowners is None:
            report.problems.append(f"{source.where}: neither catalog-info.yaml nor CODEOWNERS; skipped")
            continue
        spec = component.get("spec") if component and isinstance(component.get("spec"), dict) else {}
        assert isinstance(spec, dict)
        owner = str(spec.get("owner") or "").strip() or None
        if component is not None and owner is None:
            report.problems.append(f"{catalog_where}: spec.owner is missing")
        repo = roster_store.get_or_add_repo(session, source.name)
        assert repo.id is not None
        store.put_ownership(
            session,
            RepoOwnership(
                repo_id=repo.id,
                catalog_owner=owner[:200] if owner else None,
                lifecycle=str(spec.get("lifecycle") or "")[:32] or None,
                component_type=str(spec.get("type") or "")[:32] or None,
                codeowners=source.codeowners,
                synced_at=now,
            ),
        )
        report.repos.append(source.name)
    for where, text in group_files or []:
        for doc in _load_yaml_documents(text, where, report):
            _collect_group(doc, groups)
    if groups:
        known = get_program_setting(session, GROUPS_KEY, {}) or {}
        set_program_setting(session, GROUPS_KEY, {**known, **groups})
    report.groups = len(groups)
    audit(
        session,
        now,
        actor,
        "owners.synced",
        subject[:200],
        repos=len(report.repos),
        groups=len(groups),
        problems=len(report.problems),
    )
    session.commit()
    return report


def _collect_group(doc: dict[str, Any], groups: dict[str, list[str]]) -> None:
    """Backstage Group entities: `metadata.name` and `spec.members` (GitHub handles)."""
    metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    assert isinstance(metadata, dict)
    assert isinstance(spec, dict)
    name = str(metadata.get("name") or "").strip().lower()
    members = spec.get("members") or []
    if name and isinstance(members, list):
        groups[name] = [str(m).removeprefix("user:").strip() for m in members if str(m).strip()]
