"""Repository functions for GitHub: deliveries, committers' GitHub activity, grant holders and review asks (team
access is in storage/access.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.db import insert_once
from storage.models import (
    CommitGrant,
    GitHubActivity,
    GitHubDelivery,
    Person,
    PersonRole,
    Repo,
    ReviewAsk,
    ReviewAskState,
    Role,
    Status,
)

# IN lists are sent in chunks of this many ids (SQLite's bound-parameter limit is far above it).
CHUNK = 900
OPEN_ASK_STATES = (ReviewAskState.ASKED, ReviewAskState.TAKEN)


def add_delivery(session: Session, delivery: GitHubDelivery) -> bool:
    """Record a webhook delivery; False when its X-GitHub-Delivery id was recorded before."""
    return insert_once(session, delivery)


def add_activity(session: Session, activity: GitHubActivity) -> bool:
    """Record a committer's merge or review; False when that PR already counts for them (same kind)."""
    return insert_once(session, activity)


def activity_counts(session: Session, person_id: int, *, since: dt.datetime) -> dict[str, int]:
    """Return how many PRs a person merged, had merged and reviewed since an instant, by kind."""
    statement = (
        select(GitHubActivity.kind, func.count())
        .where(GitHubActivity.person_id == person_id, col(GitHubActivity.at) >= since)
        .group_by(col(GitHubActivity.kind))
    )
    return {str(kind): count for kind, count in session.exec(statement).all()}


def activity_totals(session: Session, *, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """Return how many merges and reviews committers made in a period, by kind."""
    statement = (
        select(GitHubActivity.kind, func.count())
        .where(col(GitHubActivity.at) >= since, col(GitHubActivity.at) < until)
        .group_by(col(GitHubActivity.kind))
    )
    return {str(kind): count for kind, count in session.exec(statement).all()}


def list_grant_holders(session: Session, repo_key: str) -> list[Person]:
    """Return active committers with an unrevoked grant on `org/repo` or on `org/*`, by handle."""
    org = repo_key.split("/")[0]
    statement = (
        select(Person)
        .join(CommitGrant, col(CommitGrant.person_id) == col(Person.id))
        .join(Repo, col(Repo.id) == col(CommitGrant.repo_id))
        .join(PersonRole, col(PersonRole.person_id) == col(Person.id))
        .where(
            col(Repo.key).in_([repo_key, f"{org}/*"]),
            col(CommitGrant.revoked_on).is_(None),
            col(Person.removed_on).is_(None),
            Person.status == Status.ACTIVE,
            PersonRole.role == Role.COMMITTER,
        )
        .distinct()
        .order_by(col(Person.github_key))
    )
    return list(session.exec(statement).all())


def add_review_ask(session: Session, ask: ReviewAsk) -> bool:
    """Insert a review ask; False when the pull request already has one."""
    return insert_once(session, ask)


def get_review_ask_for_update(session: Session, ask_id: int) -> ReviewAsk | None:
    """Return the review ask with this id, locked for the rest of the transaction where the database can."""
    statement = select(ReviewAsk).where(ReviewAsk.id == ask_id).with_for_update()
    return session.exec(statement).first()


def find_review_ask(session: Session, repo_id: int, pr_number: int) -> ReviewAsk | None:
    """Return the review ask of a pull request."""
    statement = select(ReviewAsk).where(ReviewAsk.repo_id == repo_id, ReviewAsk.pr_number == pr_number)
    return session.exec(statement).first()


def open_review_counts(session: Session, person_ids: list[int]) -> dict[int, int]:
    """Return how many review asks each person holds, asked or taken."""
    statement = (
        select(ReviewAsk.person_id, func.count())
        .where(col(ReviewAsk.person_id).in_(person_ids), col(ReviewAsk.state).in_(OPEN_ASK_STATES))
        .group_by(col(ReviewAsk.person_id))
    )
    return {person_id: count for person_id, count in session.exec(statement).all() if person_id is not None}


def last_review_asked(session: Session, person_ids: list[int]) -> dict[int, dt.datetime]:
    """Return when each person was last asked to review."""
    statement = (
        select(ReviewAsk.person_id, func.max(ReviewAsk.asked_at))
        .where(col(ReviewAsk.person_id).in_(person_ids))
        .group_by(col(ReviewAsk.person_id))
    )
    return {person_id: at for person_id, at in session.exec(statement).all() if person_id is not None and at}


def list_open_review_asks_of(session: Session, person_id: int) -> list[ReviewAsk]:
    """Return the review asks a person holds, oldest first."""
    statement = (
        select(ReviewAsk)
        .where(ReviewAsk.person_id == person_id, col(ReviewAsk.state).in_(OPEN_ASK_STATES))
        .order_by(col(ReviewAsk.asked_at))
    )
    return list(session.exec(statement).all())
