"""Repository functions for the roster: people, roles, organisations, repos, grants, champions, agreements."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, String, and_, bindparam, exists, func, literal_column, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel, col, select

from storage.models import (
    Agreement,
    ChampionAssignment,
    CommitGrant,
    Organization,
    Person,
    PersonRole,
    Repo,
    Role,
    Status,
)


def get_person(session: Session, person_id: int) -> Person | None:
    """Return the person with this id."""
    return session.get(Person, person_id)


def get_person_by_github(session: Session, handle: str) -> Person | None:
    """Return the person with this GitHub handle, matched case-insensitively."""
    return session.exec(select(Person).where(Person.github_key == handle.strip().lower())).first()


def get_person_by_slack_id(session: Session, user_id: str) -> Person | None:
    """Return the person linked to this Slack user id."""
    return session.exec(select(Person).where(Person.slack_user_id == user_id)).first()


def list_people_by_email(session: Session, email: str) -> list[Person]:
    """Return the people whose e-mail matches, case-insensitively."""
    statement = select(Person).where(func.lower(Person.email) == email.strip().lower())
    return list(session.exec(statement).all())


def list_people_by_emails(session: Session, emails: Iterable[str]) -> list[Person]:
    """Return the people whose e-mail is one of these (given lower-cased), matched case-insensitively, by id."""
    wanted = sorted(set(emails))
    found: list[Person] = []
    for start in range(0, len(wanted), 500):
        statement = (
            select(Person)
            .where(func.lower(Person.email).in_(wanted[start : start + 500]))
            .order_by(col(Person.id))
        )
        found += session.exec(statement).all()
    found.sort(key=lambda p: p.id or 0)
    return found


def list_people(session: Session, *, include_alumni: bool = True) -> list[Person]:
    """Return everyone on the roster, ordered by GitHub handle."""
    statement = select(Person).order_by(col(Person.github_key))
    if not include_alumni:
        statement = statement.where(col(Person.removed_on).is_(None))
    return list(session.exec(statement).all())


def make_alumni(session: Session, people: Sequence[Person], *, on: dt.date) -> None:
    """Make these people alumni from `on`, a few statements in all; the objects take the same values, as written."""
    table = Person.__table__  # type: ignore[attr-defined]
    ids = [p.id for p in people]
    session.flush()
    for start in range(0, len(ids), 500):
        statement = update(table).where(table.c.id.in_(ids[start : start + 500]))
        session.execute(statement.values(removed_on=on, status=Status.ALUMNI))
    for person in people:
        set_committed_value(person, "removed_on", on)
        set_committed_value(person, "status", Status.ALUMNI)


def list_people_with_role(session: Session, role: Role) -> list[Person]:
    """Return the current (not alumni) people holding `role`, ordered by handle."""
    statement = (
        select(Person)
        .join(PersonRole, col(PersonRole.person_id) == col(Person.id))
        .where(PersonRole.role == role, col(Person.removed_on).is_(None))
        .order_by(col(Person.github_key))
    )
    return list(session.exec(statement).all())


def add_person(session: Session, *, github: str, name: str = "", **fields: Any) -> Person:
    """Insert a person and return it with its id."""
    person = Person(github=github, github_key=github.lower(), name=name, **fields)
    session.add(person)
    session.flush()
    return person


def list_roles(session: Session, person_id: int) -> set[Role]:
    """Return the roles one person holds."""
    statement = select(PersonRole.role).where(PersonRole.person_id == person_id)
    return {Role(role) for role in session.exec(statement).all()}


def list_powers(session: Session, person_id: int) -> set[Role]:
    """Return the roles a person may act in: none at all once they are removed (alumni keep no power)."""
    statement = (
        select(PersonRole.role)
        .join(Person, col(Person.id) == col(PersonRole.person_id))
        .where(PersonRole.person_id == person_id, col(Person.removed_on).is_(None))
    )
    return {Role(role) for role in session.exec(statement).all()}


def roles_by_person(session: Session) -> dict[int, set[Role]]:
    """Return every person's roles, keyed by person id."""
    grouped: dict[int, set[Role]] = defaultdict(set)
    for person_id, role in session.exec(select(PersonRole.person_id, PersonRole.role)).all():
        grouped[person_id].add(Role(role))
    return grouped


def set_roles(session: Session, person_id: int, roles: Iterable[Role]) -> None:
    """Make `roles` exactly the roles this person holds."""
    wanted = set(roles)
    current = list(session.exec(select(PersonRole).where(PersonRole.person_id == person_id)).all())
    for row in current:
        if row.role not in wanted:
            session.delete(row)
    for role in wanted - {row.role for row in current}:
        session.add(PersonRole(person_id=person_id, role=role))
    session.flush()


def get_organization(session: Session, organization_id: int) -> Organization | None:
    """Return the organisation with this id."""
    return session.get(Organization, organization_id)


def get_organization_by_name(session: Session, name: str) -> Organization | None:
    """Return the organisation with this exact name."""
    return session.exec(select(Organization).where(Organization.name == name)).first()


def list_organizations(session: Session) -> list[Organization]:
    """Return every organisation, ordered by name."""
    return list(session.exec(select(Organization).order_by(col(Organization.name))).all())


def add_organization(session: Session, *, name: str, **fields: Any) -> Organization:
    """Insert an organisation and return it with its id."""
    organization = Organization(name=name, **fields)
    session.add(organization)
    session.flush()
    return organization


def get_repo_by_id(session: Session, repo_id: int) -> Repo | None:
    """Return the repo with this id."""
    return session.get(Repo, repo_id)


def get_or_add_repo(session: Session, full_name: str) -> Repo:
    """Return the repo named `org/name` (case-insensitively), adding it when new."""
    key = full_name.strip().lower()
    repo = session.exec(select(Repo).where(Repo.key == key)).first()
    if repo is None:
        repo = Repo(full_name=full_name.strip(), key=key)
        session.add(repo)
        session.flush()
    return repo


def list_active_grants(session: Session, person_id: int) -> list[tuple[CommitGrant, Repo | None]]:
    """Return a person's unrevoked commit grants with their repos, repos first by name."""
    statement = (
        select(CommitGrant, Repo)
        .join(Repo, col(Repo.id) == col(CommitGrant.repo_id), isouter=True)
        .where(CommitGrant.person_id == person_id, col(CommitGrant.revoked_on).is_(None))
        .order_by(col(CommitGrant.id))
    )
    return [(grant, repo) for grant, repo in session.exec(statement).all()]


def active_grants_by_person(session: Session) -> dict[int, list[tuple[CommitGrant, Repo | None]]]:
    """Return every unrevoked grant with its repo, keyed by person id, in insertion order."""
    statement = (
        select(CommitGrant, Repo)
        .join(Repo, col(Repo.id) == col(CommitGrant.repo_id), isouter=True)
        .where(col(CommitGrant.revoked_on).is_(None))
        .order_by(col(CommitGrant.id))
    )
    grouped: dict[int, list[tuple[CommitGrant, Repo | None]]] = defaultdict(list)
    for grant, repo in session.exec(statement).all():
        grouped[grant.person_id].append((grant, repo))
    return grouped


def add_grant(session: Session, grant: CommitGrant) -> CommitGrant:
    """Insert a commit grant."""
    session.add(grant)
    session.flush()
    return grant


def list_active_champions(session: Session, committer_id: int) -> list[tuple[ChampionAssignment, Person]]:
    """Return a committer's current champions with their assignments, by slot."""
    statement = (
        select(ChampionAssignment, Person)
        .join(Person, col(Person.id) == col(ChampionAssignment.champion_id))
        .where(
            ChampionAssignment.committer_id == committer_id,
            col(ChampionAssignment.ended_on).is_(None),
            col(Person.removed_on).is_(None),
        )
        .order_by(col(ChampionAssignment.slot), col(ChampionAssignment.id))
    )
    return [(assignment, person) for assignment, person in session.exec(statement).all()]


def active_assignments(session: Session) -> list[ChampionAssignment]:
    """Return every current champion assignment, by committer and slot."""
    statement = (
        select(ChampionAssignment)
        .where(col(ChampionAssignment.ended_on).is_(None))
        .order_by(col(ChampionAssignment.committer_id), col(ChampionAssignment.slot))
    )
    return list(session.exec(statement).all())


def list_assigned_committers(session: Session, champion_id: int) -> list[Person]:
    """Return the committers a champion currently looks after, by handle."""
    statement = (
        select(Person)
        .join(ChampionAssignment, col(ChampionAssignment.committer_id) == col(Person.id))
        .where(ChampionAssignment.champion_id == champion_id, col(ChampionAssignment.ended_on).is_(None))
        .order_by(col(Person.github_key))
    )
    return list(session.exec(statement).all())


def add_assignment(session: Session, assignment: ChampionAssignment) -> ChampionAssignment:
    """Insert a champion assignment."""
    session.add(assignment)
    session.flush()
    return assignment


def list_agreements(
    session: Session, *, person_id: int | None = None, organization_id: int | None = None
) -> list[Agreement]:
    """Return the agreements held by a person or an organisation, oldest first."""
    statement = select(Agreement)
    if person_id is not None:
        statement = statement.where(Agreement.person_id == person_id)
    if organization_id is not None:
        statement = statement.where(Agreement.organization_id == organization_id)
    statement = statement.order_by(col(Agreement.kind), col(Agreement.signed_on), col(Agreement.id))
    return list(session.exec(statement).all())


# Agreements by person id, and by organisation id.
ByHolder = tuple[dict[int, list[Agreement]], dict[int, list[Agreement]]]


def group_by_holder(agreements: Iterable[Agreement]) -> ByHolder:
    """Return these agreements grouped by person id and by organisation id, in the order given."""
    by_person: dict[int, list[Agreement]] = defaultdict(list)
    by_org: dict[int, list[Agreement]] = defaultdict(list)
    for agreement in agreements:
        if agreement.person_id is not None:
            by_person[agreement.person_id].append(agreement)
        elif agreement.organization_id is not None:
            by_org[agreement.organization_id].append(agreement)
    return by_person, by_org


def agreements_by_holder(session: Session) -> ByHolder:
    """Return all agreements grouped by person id and by organisation id."""
    statement = select(Agreement).order_by(col(Agreement.kind), col(Agreement.signed_on), col(Agreement.id))
    return group_by_holder(session.exec(statement).all())


def is_renewed(field: str) -> Any:
    """Whether a later agreement of the same kind and holder (or one without an end) renews `Agreement`."""
    renewal = aliased(Agreement)
    # A probe per agreement (LIMIT 1, on the holder's index) rather than NOT EXISTS: PostgreSQL plans the
    # anti-join by hashing every agreement, a cost that grows with all agreements, not with those ending.
    return (
        select(literal_column("1"))
        .select_from(renewal)
        .where(
            col(getattr(renewal, field)) == col(getattr(Agreement, field)),
            col(renewal.kind) == col(Agreement.kind),
            or_(col(renewal.expires_on).is_(None), col(renewal.expires_on) > col(Agreement.expires_on)),
        )
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )


def _current_with_role(role: Any, *, probe: bool = False) -> Any:
    """Conditions for a person who holds `role` and is not removed (alumni).

    With `probe`, the role is looked up row by row (LIMIT 1): in a select list, PostgreSQL would
    otherwise hash every holder of the role once, a cost that grows with the roster, not the result.
    """
    where = (col(PersonRole.person_id) == col(Person.id), col(PersonRole.role) == role)
    holds: Any = (
        select(literal_column("1")).where(*where).limit(1).scalar_subquery().is_not(None)
        if probe
        else exists().where(*where)
    )
    return and_(col(Person.removed_on).is_(None), holds)


# The scan's two statements are built once, with the window and role as parameters: it runs hourly, and
# building statements this size costs more than running them on a small roster.
@functools.cache
def _expiring_statements() -> tuple[Any, Any]:
    window = (
        col(Agreement.expires_on) > bindparam("after", type_=Date()),
        col(Agreement.expires_on) <= bindparam("until", type_=Date()),
    )
    role = bindparam("role", type_=String())
    # One statement per kind of holder: a single OR-ed correlation would keep the database off its indexes.
    people = (
        select(Agreement, Person, _current_with_role(role, probe=True))
        .join(Person, col(Person.id) == col(Agreement.person_id))
        .where(*window, ~is_renewed("person_id"))
        .order_by(col(Agreement.expires_on), col(Agreement.id))
    )
    # The first member found answers (LIMIT 1, on the organisation's index): the scan's cost does not
    # grow with the organisation.
    has_members = (
        select(literal_column("1"))
        .select_from(Person)
        .where(col(Person.organization_id) == col(Organization.id), _current_with_role(role, probe=True))
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )
    organizations = (
        select(Agreement, Organization, has_members)
        .join(Organization, col(Organization.id) == col(Agreement.organization_id))
        .where(*window, ~is_renewed("organization_id"))
        .order_by(col(Agreement.expires_on), col(Agreement.id))
    )
    return people, organizations


def list_expiring_person_agreements(
    session: Session, *, after: dt.date, until: dt.date, role: str
) -> list[tuple[Agreement, Person, bool]]:
    """Return people's agreements ending in (after, until] that nothing renews, each with its holder and whether they are a current `role`."""
    statement = _expiring_statements()[0]
    rows = session.exec(statement, params={"after": after, "until": until, "role": role}).all()
    return [(agreement, person, bool(current)) for agreement, person, current in rows]


def list_expiring_organization_agreements(
    session: Session, *, after: dt.date, until: dt.date, role: str
) -> list[tuple[Agreement, Organization, bool]]:
    """Return organisations' agreements ending in (after, until] that nothing renews, each with the organisation and whether any current `role` belongs to it."""
    statement = _expiring_statements()[1]
    rows = session.exec(statement, params={"after": after, "until": until, "role": role}).all()
    return [(agreement, org, bool(members)) for agreement, org, members in rows]


def list_current_members(
    session: Session, organization_id: int, role: str, *, after: str | None = None, limit: int | None = None
) -> list[Person]:
    """Return the current people of an organisation holding `role`, by handle; a page of them after the handle `after`."""
    statement = (
        select(Person)
        .where(Person.organization_id == organization_id, _current_with_role(role))
        .order_by(col(Person.github_key))
    )
    if after is not None:
        statement = statement.where(col(Person.github_key) > after)
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.exec(statement).all())


def list_providers_with_members(session: Session, role: str) -> list[Organization]:
    """Return the provider organisations with at least one current person holding `role`, by name."""
    statement = (
        select(Organization)
        .where(
            col(Organization.is_provider).is_(True),
            exists().where(col(Person.organization_id) == col(Organization.id), _current_with_role(role)),
        )
        .order_by(col(Organization.name))
    )
    return list(session.exec(statement).all())


def count_current_members(session: Session, organization_id: int, role: str) -> int:
    """Return how many current people of an organisation hold `role`."""
    statement = (
        select(func.count())
        .select_from(Person)
        .where(Person.organization_id == organization_id, _current_with_role(role))
    )
    return int(session.exec(statement).one())


def add_agreement(session: Session, agreement: Agreement) -> Agreement:
    """Insert an agreement."""
    session.add(agreement)
    session.flush()
    return agreement


def list_people_by_ids(session: Session, ids: Iterable[int]) -> dict[int, Person]:
    """Return the people with these ids, keyed by id."""
    wanted = sorted(set(ids))
    people: dict[int, Person] = {}
    for start in range(0, len(wanted), 500):  # a bounded IN list, however many are asked for
        chunk = wanted[start : start + 500]
        people.update(
            (p.id, p) for p in session.exec(select(Person).where(col(Person.id).in_(chunk))).all() if p.id
        )
    return people


_successor = aliased(Agreement)
# The question check in one statement and no ORM object: a present committer whose stored status is the
# one asked for and whose own and organisation's agreements that have ended all have a valid successor.
# Built once: it runs for every `/cc-ask`, and building it costs more than running it.
_ended_for_holder = (
    select(Agreement.id)
    .where(
        or_(
            col(Agreement.person_id) == col(Person.id),
            and_(
                col(Person.organization_id).is_not(None),
                col(Agreement.organization_id) == col(Person.organization_id),
            ),
        ),
        col(Agreement.expires_on) <= bindparam("today"),
        ~exists().where(
            col(_successor.kind) == col(Agreement.kind),
            or_(
                and_(
                    col(Agreement.person_id).is_not(None),
                    col(_successor.person_id) == col(Agreement.person_id),
                ),
                and_(
                    col(Agreement.organization_id).is_not(None),
                    col(_successor.organization_id) == col(Agreement.organization_id),
                ),
            ),
            or_(col(_successor.expires_on).is_(None), col(_successor.expires_on) > bindparam("today")),
        ),
    )
    .exists()
)
_ACTIVE_COMMITTER = select(Person.id).where(
    col(Person.status) == bindparam("status"),
    col(Person.removed_on).is_(None),
    exists().where(col(PersonRole.person_id) == col(Person.id), col(PersonRole.role) == Role.COMMITTER),
    ~_ended_for_holder,
)
_ACTIVE_COMMITTER_BY_SLACK = _ACTIVE_COMMITTER.where(col(Person.slack_user_id) == bindparam("key"))
_ACTIVE_COMMITTER_BY_ID = _ACTIVE_COMMITTER.where(col(Person.id) == bindparam("key"))


def is_active_committer(
    session: Session,
    *,
    active: str,
    today: dt.date,
    slack_user_id: str | None = None,
    person_id: int | None = None,
) -> bool:
    """Whether this person (by Slack user or by id) is a present committer stored as `active` with no ended agreement."""
    statement = _ACTIVE_COMMITTER_BY_ID if slack_user_id is None else _ACTIVE_COMMITTER_BY_SLACK
    session.flush()  # changes not yet written count, as in any ORM query (a no-op when there are none)
    params = {"key": person_id if slack_user_id is None else slack_user_id, "status": active, "today": today}
    return session.connection().execute(statement, params).first() is not None


def champions_by_committer(session: Session, committer_ids: Iterable[int]) -> dict[int, list[Person]]:
    """Return the current champions of many committers at once, each list in slot order."""
    ids = list(set(committer_ids))
    grouped: dict[int, list[Person]] = defaultdict(list)
    if not ids:
        return grouped
    statement = (
        select(ChampionAssignment.committer_id, Person)
        .join(Person, col(Person.id) == col(ChampionAssignment.champion_id))
        .where(col(ChampionAssignment.committer_id).in_(ids), col(ChampionAssignment.ended_on).is_(None))
        .order_by(
            col(ChampionAssignment.committer_id), col(ChampionAssignment.slot), col(ChampionAssignment.id)
        )
    )
    for committer_id, champion in session.exec(statement).all():
        grouped[committer_id].append(champion)
    return grouped


# --- Bulk reads and writes for the roster import: one read of the roster, writes by executemany ---


@dataclass
class RosterSnapshot:
    """The whole roster as plain rows (dicts), read once: what an import diffs against."""

    people: list[dict[str, Any]]
    organizations: list[dict[str, Any]]
    roles: list[tuple[int, Role]]
    repos: list[dict[str, Any]]
    grants: list[dict[str, Any]]
    assignments: list[dict[str, Any]]
    agreements: list[dict[str, Any]]


def _rows(session: Session, statement: Any) -> list[dict[str, Any]]:
    result = session.connection().execute(statement)
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


def load_roster_snapshot(session: Session) -> RosterSnapshot:
    """Return people, organisations, roles, repos, active grants and assignments, and agreements."""
    session.flush()
    person, org = Person.__table__, Organization.__table__  # type: ignore[attr-defined]
    grant, assignment = CommitGrant.__table__, ChampionAssignment.__table__  # type: ignore[attr-defined]
    role, repo, agreement = PersonRole.__table__, Repo.__table__, Agreement.__table__  # type: ignore[attr-defined]
    return RosterSnapshot(
        people=_rows(session, person.select().order_by(person.c.id)),
        organizations=_rows(session, org.select().order_by(org.c.id)),
        roles=[(r.person_id, r.role) for r in session.connection().execute(role.select())],
        repos=_rows(session, repo.select()),
        grants=_rows(session, grant.select().where(grant.c.revoked_on.is_(None)).order_by(grant.c.id)),
        assignments=_rows(
            session,
            assignment.select()
            .where(assignment.c.ended_on.is_(None))
            .order_by(assignment.c.committer_id, assignment.c.slot, assignment.c.id),
        ),
        agreements=_rows(
            session, agreement.select().order_by(agreement.c.kind, agreement.c.signed_on, agreement.c.id)
        ),
    )


def next_agreement_id(session: Session) -> int:
    """Return an id no agreement has yet (the next inserted ones get this or higher)."""
    table = Agreement.__table__  # type: ignore[attr-defined]
    highest = session.connection().execute(sa_select(func.max(table.c.id))).scalar_one()
    return (highest or 0) + 1


def agreement_rows_from(session: Session, first_id: int) -> list[dict[str, Any]]:
    """Return the agreements with an id of at least `first_id`, as (id, holder, kind, signed_on) dicts."""
    table = Agreement.__table__  # type: ignore[attr-defined]
    columns = [table.c.id, table.c.person_id, table.c.organization_id, table.c.kind, table.c.signed_on]
    statement = sa_select(*columns).where(table.c.id >= first_id)
    return [dict(row._mapping) for row in session.connection().execute(statement)]


def insert_rows(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Insert many rows of one table with one executemany (rows may leave out nullable columns)."""
    if rows:
        columns = list(dict.fromkeys(key for row in rows for key in row))
        same = [row if len(row) == len(columns) else {c: row.get(c) for c in columns} for row in rows]
        session.connection().execute(model.__table__.insert(), same)  # type: ignore[attr-defined]


def update_rows(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Update rows by id (each dict has `id` and the columns to set), one executemany per column set."""
    table = model.__table__  # type: ignore[attr-defined]
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        columns = tuple(sorted(key for key in row if key != "id"))
        if columns:
            groups[columns].append({"_id": row["id"], **{f"_{c}": row[c] for c in columns}})
    for columns, batch in groups.items():
        statement = (
            table.update()
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(f"_{c}") for c in columns})
        )
        session.connection().execute(statement, batch)


def delete_by_ids(session: Session, model: type[SQLModel], ids: Iterable[int]) -> None:
    """Delete rows of one table by id."""
    table = model.__table__  # type: ignore[attr-defined]
    wanted = list(ids)
    for start in range(0, len(wanted), 500):
        session.connection().execute(table.delete().where(table.c.id.in_(wanted[start : start + 500])))


def delete_roles(session: Session, pairs: Iterable[tuple[int, Role]]) -> None:
    """Delete (person id, role) rows with one executemany."""
    table = PersonRole.__table__  # type: ignore[attr-defined]
    rows = [{"_p": person_id, "_r": role} for person_id, role in pairs]
    if rows:
        statement = table.delete().where(
            table.c.person_id == bindparam("_p"), table.c.role == bindparam("_r")
        )
        session.connection().execute(statement, rows)


def ids_by_key(session: Session, model: type[SQLModel], key: str, values: Iterable[str]) -> dict[str, int]:
    """Return {value: id} for rows of one table whose `key` column is among `values`."""
    table = model.__table__  # type: ignore[attr-defined]
    wanted = list(values)
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        statement = select(table.c[key], table.c.id).where(table.c[key].in_(wanted[start : start + 500]))
        found.update({value: row_id for value, row_id in session.connection().execute(statement)})
    return found
