"""Repository functions for GitHub: deliveries, committers' activity, review asks, team access and its changes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import (
    AccessChange,
    Agreement,
    CommitGrant,
    GitHubAccess,
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
OPEN_ASK_STATES = (ReviewAskState.ASKED.value, ReviewAskState.TAKEN.value)


def _insert_once(session: Session, row: object) -> bool:
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def add_delivery(session: Session, delivery: GitHubDelivery) -> bool:
    """Record a webhook delivery; False when its X-GitHub-Delivery id was recorded before."""
    return _insert_once(session, delivery)


def add_activity(session: Session, activity: GitHubActivity) -> bool:
    """Record a committer's merge or review; False when that PR already counts for them (same kind)."""
    return _insert_once(session, activity)


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
            Person.status == Status.ACTIVE.value,
            PersonRole.role == Role.COMMITTER.value,
        )
        .distinct()
        .order_by(col(Person.github_key))
    )
    return list(session.exec(statement).all())


def add_review_ask(session: Session, ask: ReviewAsk) -> bool:
    """Insert a review ask; False when the pull request already has one."""
    return _insert_once(session, ask)


def get_review_ask(session: Session, ask_id: int) -> ReviewAsk | None:
    """Return the review ask with this id."""
    return session.get(ReviewAsk, ask_id)


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


def active_grant_keys(session: Session) -> list[tuple[int, str, str]]:
    """Return (person id, repo key, repo name) of every unrevoked repository grant, in grant order."""
    statement = (
        select(CommitGrant.person_id, Repo.key, Repo.full_name)
        .join(Repo, col(Repo.id) == col(CommitGrant.repo_id))
        .where(col(CommitGrant.revoked_on).is_(None))
        .order_by(col(CommitGrant.id))
    )
    return [(person_id, key, name) for person_id, key, name in session.exec(statement).all()]


def agreements_of(
    session: Session, person_ids: list[int], organization_ids: list[int]
) -> tuple[dict[int, list[Agreement]], dict[int, list[Agreement]]]:
    """Return the agreements of some people and organisations, grouped by holder."""
    by_person: dict[int, list[Agreement]] = defaultdict(list)
    by_org: dict[int, list[Agreement]] = defaultdict(list)
    for start in range(0, max(len(person_ids), len(organization_ids)), CHUNK):
        people, orgs = person_ids[start : start + CHUNK], organization_ids[start : start + CHUNK]
        statement = (
            select(Agreement)
            .where(col(Agreement.person_id).in_(people) | col(Agreement.organization_id).in_(orgs))
            .order_by(col(Agreement.kind), col(Agreement.signed_on), col(Agreement.id))
        )
        for agreement in session.exec(statement).all():
            if agreement.person_id is not None:
                by_person[agreement.person_id].append(agreement)
            elif agreement.organization_id is not None:
                by_org[agreement.organization_id].append(agreement)
    return by_person, by_org


def revoked_grants_by_person(session: Session) -> dict[int, list[tuple[CommitGrant, Repo]]]:
    """Return every revoked repository grant with its repo, keyed by person id."""
    statement = (
        select(CommitGrant, Repo)
        .join(Repo, col(Repo.id) == col(CommitGrant.repo_id))
        .where(col(CommitGrant.revoked_on).is_not(None))
    )
    grouped: dict[int, list[tuple[CommitGrant, Repo]]] = defaultdict(list)
    for grant, repo in session.exec(statement).all():
        grouped[grant.person_id].append((grant, repo))
    return grouped


def list_repo_keys(session: Session, org: str) -> list[str]:
    """Return the lower-cased names of the roster's repositories in an organisation (`org/*` left out)."""
    statement = select(Repo.key).where(col(Repo.key).startswith(f"{org.lower()}/"))
    return [key for key in session.exec(statement).all() if not key.endswith("/*")]


def replace_access(session: Session, rows: Iterable[GitHubAccess]) -> None:
    """Replace the stored team-access comparison with a fresh one (without committing)."""
    session.execute(delete(GitHubAccess))
    session.add_all(list(rows))
    session.flush()


def list_access_of(session: Session, person_id: int) -> list[GitHubAccess]:
    """Return a person's last compared team memberships, by team."""
    statement = (
        select(GitHubAccess).where(GitHubAccess.person_id == person_id).order_by(col(GitHubAccess.team))
    )
    return list(session.exec(statement).all())


def add_access_change(session: Session, change: AccessChange) -> AccessChange:
    """Append one team-membership change to the access audit."""
    session.add(change)
    session.flush()
    return change


def list_access_changes(session: Session, *, limit: int = 100) -> list[AccessChange]:
    """Return the newest team-membership changes first."""
    statement = select(AccessChange).order_by(col(AccessChange.id).desc()).limit(limit)
    return list(session.exec(statement).all())
