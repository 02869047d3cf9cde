"""Repository functions for GitHub team access: grants as teams see them, the stored comparison, the record
of every write (made, or set out to be made), removal notices and the plans shown to the admins."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import (
    AccessChange,
    AccessNotice,
    AccessPlanRecord,
    Agreement,
    CommitGrant,
    GitHubAccess,
    InactivityDecision,
    InactivityProposal,
    Person,
    Repo,
)
from storage.roster import ByHolder, group_by_holder

# IN lists are sent in chunks of this many ids (SQLite's bound-parameter limit is far above it).
CHUNK = 900
PENDING = "pending"


def active_grants(session: Session) -> list[tuple[int, int, str, str]]:
    """Return (grant id, person id, repo key, repo name) of every unrevoked repository grant, in grant order."""
    statement = (
        select(CommitGrant.id, CommitGrant.person_id, Repo.key, Repo.full_name)
        .join(Repo, col(Repo.id) == col(CommitGrant.repo_id))
        .where(col(CommitGrant.revoked_on).is_(None))
        .order_by(col(CommitGrant.id))
    )
    return [
        (grant_id or 0, person_id, key, name) for grant_id, person_id, key, name in session.exec(statement)
    ]


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


def agreements_of(session: Session, person_ids: list[int], organization_ids: list[int]) -> ByHolder:
    """Return the agreements of some people and organisations, grouped by holder."""
    found: list[Agreement] = []
    for start in range(0, max(len(person_ids), len(organization_ids)), CHUNK):
        people, orgs = person_ids[start : start + CHUNK], organization_ids[start : start + CHUNK]
        statement = (
            select(Agreement)
            .where(col(Agreement.person_id).in_(people) | col(Agreement.organization_id).in_(orgs))
            .order_by(col(Agreement.kind), col(Agreement.signed_on), col(Agreement.id))
        )
        found += session.exec(statement).all()
    return group_by_holder(found)


def moved_for_inactivity(session: Session) -> set[int]:
    """Return the people an admin moved to alumni from an inactivity proposal."""
    statement = select(InactivityProposal.person_id).where(
        InactivityProposal.decision == InactivityDecision.MOVED
    )
    return set(session.exec(statement).all())


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
    """Append one team-membership change to the access record."""
    session.add(change)
    session.flush()
    return change


def list_access_changes(session: Session, *, limit: int = 100) -> list[AccessChange]:
    """Return the newest team-membership changes first."""
    statement = select(AccessChange).order_by(col(AccessChange.id).desc()).limit(limit)
    return list(session.exec(statement).all())


def list_unsettled_changes(session: Session, *, before: dt.datetime) -> list[AccessChange]:
    """Return the writes set out before `before` whose outcome was never recorded, oldest first."""
    statement = (
        select(AccessChange)
        .where(AccessChange.result == PENDING, col(AccessChange.at) < before)
        .order_by(col(AccessChange.id))
    )
    return list(session.exec(statement).all())


def list_notices(session: Session) -> dict[int, AccessNotice]:
    """Return every removal notice given, by person id."""
    return {notice.person_id: notice for notice in session.exec(select(AccessNotice)).all()}


def add_notices(session: Session, notices: Iterable[AccessNotice]) -> list[AccessNotice]:
    """Record removal notices; return those that were new (a notice already given stays as it was)."""
    added = []
    for notice in notices:
        try:
            with session.begin_nested():
                session.add(notice)
                session.flush()
        except IntegrityError:
            continue
        added.append(notice)
    return added


def delete_notices(session: Session, person_ids: Iterable[int]) -> None:
    """Forget the removal notices of people no longer due for removal."""
    ids = list(person_ids)
    for start in range(0, len(ids), CHUNK):
        session.execute(
            delete(AccessNotice).where(col(AccessNotice.person_id).in_(ids[start : start + CHUNK]))
        )


def add_plan_record(session: Session, record: AccessPlanRecord) -> None:
    """Store a plan shown to the admins (once per digest)."""
    if session.get(AccessPlanRecord, record.digest) is None:
        session.add(record)
        session.flush()


def get_plan_record(session: Session, digest: str) -> AccessPlanRecord | None:
    """Return a stored plan by its digest."""
    return session.get(AccessPlanRecord, digest)


def claim_plan(session: Session, digest: str, *, now: dt.datetime, actor: str) -> bool:
    """Mark a stored plan applied by `actor`; False when someone already did (only one click applies it)."""
    result = session.execute(
        update(AccessPlanRecord)
        .where(col(AccessPlanRecord.digest) == digest, col(AccessPlanRecord.applied_at).is_(None))
        .values(applied_at=now, applied_by=actor[:100])
    )
    return bool(getattr(result, "rowcount", 0))


def people_by_github_id(session: Session, ids: Iterable[int]) -> dict[int, Person]:
    """Return the people with these GitHub account ids, by id."""
    wanted = list(set(ids))
    found: dict[int, Person] = {}
    for start in range(0, len(wanted), CHUNK):
        statement = select(Person).where(col(Person.github_id).in_(wanted[start : start + CHUNK]))
        found.update({p.github_id: p for p in session.exec(statement).all() if p.github_id is not None})
    return found
