"""Repository functions for repository ownership (catalog-info.yaml, CODEOWNERS) and owner intros."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from storage.models import OwnerIntro, Repo, RepoOwnership


def get_repo(session: Session, full_name: str) -> Repo | None:
    """Return the repository called `org/name`, matched case-insensitively."""
    return session.exec(select(Repo).where(Repo.key == full_name.strip().lower())).first()


def get_ownership(session: Session, repo_id: int) -> RepoOwnership | None:
    """Return a repository's synced ownership record."""
    return session.get(RepoOwnership, repo_id)


def put_ownership(session: Session, ownership: RepoOwnership) -> RepoOwnership:
    """Insert or replace a repository's ownership record."""
    merged = session.merge(ownership)
    session.flush()
    return merged


def add_intro(session: Session, intro: OwnerIntro) -> OwnerIntro:
    """Insert an intro request and return it with its id."""
    session.add(intro)
    session.flush()
    return intro


def find_recent_intro(
    session: Session, *, committer_id: int, repo_id: int, path: str, since: dt.datetime
) -> OwnerIntro | None:
    """Return the newest intro this committer requested for this repo and path since an instant."""
    statement = (
        select(OwnerIntro)
        .where(
            OwnerIntro.committer_id == committer_id,
            OwnerIntro.repo_id == repo_id,
            OwnerIntro.path == path,
            col(OwnerIntro.requested_at) >= since,
        )
        .order_by(col(OwnerIntro.requested_at).desc())
    )
    return session.exec(statement).first()
