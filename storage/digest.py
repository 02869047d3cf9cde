"""Aggregate queries behind the weekly digest: the question numbers in one statement, the rest in another."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    Float,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlmodel import Session, col
from sqlmodel import select as model_select

from storage.db import seconds_between
from storage.models import (
    Agreement,
    DeploymentEventKind,
    DeploymentNotice,
    Escalation,
    EscalationState,
    EscalationStep,
    Nomination,
    NominationState,
    Organization,
    Person,
    PersonRole,
    Question,
    QuestionResponder,
    QuestionState,
    Retro,
    RetroParticipant,
    RetroResponse,
)
from storage.roster import is_renewed

OVERDUE_STEP = 50

# Unanswered states, listed so the state index serves the query.
OPEN_STATES = (QuestionState.OPEN, QuestionState.CLAIMED)


@dataclass(frozen=True)
class ChampionLoadRow:
    """A person with open questions routed to them or answers in the window."""

    person: Person
    open: int
    answered: int
    median_first_response: float | None


@dataclass(frozen=True)
class QuestionNumbers:
    """The window's question counts, first-response percentiles (seconds) and loads, heaviest first."""

    asked: int
    answered: int
    still_open: int
    percentiles: list[float | None]
    loads: list[ChampionLoadRow]


@dataclass(frozen=True)
class WeekNumbers:
    """Escalations, production notices, nominations and the latest retro, for the window."""

    escalations_opened: int
    escalations_acknowledged: int
    escalations_resolved: int
    escalations_overdue: int
    notices: int
    reverted: int
    median_revert: float | None
    pending_nominations: int
    retro: tuple[Retro, int, int] | None


def _nearest_rank(rank: Any, total: Any, p: float) -> Any:
    """The condition that `rank` is the nearest rank of percentile `p`: the least rank >= p * total."""
    # The float product is the one Python's math.ceil(p * total) sees, so ties at whole ranks agree.
    share = bindparam(None, p, type_=Float()) * total
    return and_(rank >= share, or_(rank == 1, rank - 1 < share))


# Built once per shape, with the window as parameters: building and caching a statement this size
# costs more than running it on a small database (App Home builds the digest for managers).
@functools.cache
def _question_statement(percentiles: tuple[float, ...]) -> Select[Any]:
    start: BindParameter[dt.datetime] = bindparam("start")
    end: BindParameter[dt.datetime] = bindparam("end")
    in_window = and_(col(Question.asked_at) >= start, col(Question.asked_at) < end)
    answered_in_window = and_(col(Question.answered_at) >= start, col(Question.answered_at) < end)
    # Read once (a covering index serves it) and used by the percentiles and the per-person medians.
    responded = (
        select(
            col(Question.first_responder_id).label("person_id"),
            # A float, not PostgreSQL's numeric: the two sorts below compare floats several times faster.
            cast(seconds_between(col(Question.asked_at), col(Question.first_response_at)), Float).label(
                "seconds"
            ),
        )
        .where(in_window, col(Question.first_response_at).is_not(None))
        .cte("responded")
    )
    ranked = select(
        responded.c.seconds,
        func.row_number().over(order_by=responded.c.seconds).label("rank"),
        func.count().over().label("total"),
    ).cte("ranked")
    totals = select(
        select(func.count()).select_from(Question).where(in_window).scalar_subquery().label("asked"),
        select(func.count())
        .select_from(Question)
        .where(answered_in_window)
        .scalar_subquery()
        .label("answered"),
        select(func.count())
        .select_from(Question)
        .where(col(Question.state).in_(OPEN_STATES))
        .scalar_subquery()
        .label("still_open"),
        *(
            func.min(case((_nearest_rank(ranked.c.rank, ranked.c.total, p), ranked.c.seconds))).label(f"p{i}")
            for i, p in enumerate(percentiles)
        ),
    ).cte("totals")
    by_person = (
        select(
            responded.c.person_id,
            responded.c.seconds,
            func.row_number()
            .over(partition_by=responded.c.person_id, order_by=responded.c.seconds)
            .label("rank"),
            func.count().over(partition_by=responded.c.person_id).label("total"),
        )
        .where(responded.c.person_id.is_not(None))
        .subquery("by_person")
    )
    # Nearest-rank median: the row whose rank is ceil(total / 2).
    medians = (
        select(by_person.c.person_id, by_person.c.seconds)
        .where(by_person.c.rank == (by_person.c.total + 1) // 2)
        .cte("medians")
    )
    routed: Select[Any, Any, Any] = (
        select(
            col(QuestionResponder.person_id).label("person_id"),
            func.count().label("open"),
            literal_column("0").label("answered"),
        )
        .join(Question, col(Question.id) == col(QuestionResponder.question_id))
        .where(col(Question.state).in_(OPEN_STATES))
        .group_by(col(QuestionResponder.person_id))
    )
    answers: Select[Any, Any, Any] = (
        select(
            col(Question.answered_by_id).label("person_id"),
            literal_column("0").label("open"),
            func.count().label("answered"),
        )
        .where(answered_in_window, col(Question.answered_by_id).is_not(None))
        .group_by(col(Question.answered_by_id))
    )
    both = union_all(routed, answers).subquery("both_loads")
    loads = (
        select(
            both.c.person_id,
            func.sum(both.c.open).label("open"),
            func.sum(both.c.answered).label("answered"),
        )
        .group_by(both.c.person_id)
        .subquery("loads")
    )
    people = loads.join(Person, col(Person.id) == loads.c.person_id).outerjoin(
        medians, medians.c.person_id == loads.c.person_id
    )
    return (
        select(
            totals,
            Person,
            loads.c.open.label("load_open"),
            loads.c.answered.label("load_answered"),
            medians.c.seconds.label("load_median"),
        )
        .select_from(totals)
        .outerjoin(people, true())
        .order_by(loads.c.open.desc(), loads.c.answered.desc(), loads.c.person_id)
    )


def question_numbers(
    session: Session, *, start: dt.datetime, end: dt.datetime, percentiles: tuple[float, ...]
) -> QuestionNumbers:
    """Return the window's question numbers in one statement.

    Counts: asked and answered in [start, end), open now. Percentiles (nearest rank) and each person's
    median are of the seconds to first response of the questions asked in the window. Loads: each person's
    open questions routed to them and answers in the window, with their median.
    """
    rows = session.execute(_question_statement(percentiles), {"start": start, "end": end}).all()
    first = rows[0]
    return QuestionNumbers(
        asked=int(first.asked),
        answered=int(first.answered),
        still_open=int(first.still_open),
        percentiles=[_float(getattr(first, f"p{i}")) for i in range(len(percentiles))],
        loads=[
            ChampionLoadRow(row.Person, int(row.load_open), int(row.load_answered), _float(row.load_median))
            for row in rows
            if row.Person is not None
        ],
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@functools.cache
def _week_statement() -> Select[Any]:
    def between(column: Any) -> Any:
        return and_(column >= bindparam("start"), column < bindparam("end"))

    notices = and_(
        between(col(DeploymentNotice.received_at)),
        col(DeploymentNotice.event).in_(bindparam("events", expanding=True)),
        col(DeploymentNotice.person_id).is_not(None),
    )
    reverted = select(
        cast(
            seconds_between(col(DeploymentNotice.received_at), col(DeploymentNotice.reverted_at)), Float
        ).label("seconds"),
    ).where(notices, col(DeploymentNotice.reverted_at).is_not(None))
    revert = reverted.subquery("reverted")
    revert_ranked = select(
        revert.c.seconds,
        func.row_number().over(order_by=revert.c.seconds).label("rank"),
        func.count().over().label("total"),
    ).subquery("revert_ranked")
    latest_retro = (
        select(col(Retro.id)).order_by(col(Retro.opened_at).desc(), col(Retro.id).desc()).limit(1)
    ).scalar_subquery()

    def count(table: Any, *where: Any) -> Any:
        return select(func.count()).select_from(table).where(*where).scalar_subquery()

    return select(
        count(Escalation, between(col(Escalation.opened_at))).label("opened"),
        count(Escalation, between(col(Escalation.acknowledged_at))).label("acknowledged"),
        count(Escalation, between(col(Escalation.resolved_at))).label("resolved"),
        select(func.count())
        .select_from(Escalation)
        .join(EscalationStep, col(EscalationStep.escalation_id) == col(Escalation.id))
        .where(col(Escalation.state) == EscalationState.OPEN, col(EscalationStep.step) == OVERDUE_STEP)
        .scalar_subquery()
        .label("overdue"),
        count(DeploymentNotice, notices).label("notices"),
        func.count().label("reverted"),
        # Nearest-rank median: the row whose rank is ceil(total / 2).
        func.min(
            case((revert_ranked.c.rank == (revert_ranked.c.total + 1) // 2, revert_ranked.c.seconds))
        ).label("median_revert"),
        count(Nomination, col(Nomination.state) == NominationState.OPEN).label("nominations"),
        latest_retro.label("retro_id"),
        count(RetroResponse, col(RetroResponse.retro_id) == latest_retro).label("responses"),
        count(RetroParticipant, col(RetroParticipant.retro_id) == latest_retro).label("participants"),
    ).select_from(revert_ranked)


def week_numbers(
    session: Session, *, start: dt.datetime, end: dt.datetime, events: list[DeploymentEventKind]
) -> WeekNumbers:
    """Return escalations (opened, acknowledged, resolved in the window; overdue now), production notices sent to committers in the window (all, reverted, median seconds to revert), open nominations and the newest retro's response count, in one statement."""
    row = session.execute(_week_statement(), {"start": start, "end": end, "events": events}).one()
    retro = session.get(Retro, row.retro_id) if row.retro_id is not None else None
    return WeekNumbers(
        escalations_opened=int(row.opened),
        escalations_acknowledged=int(row.acknowledged),
        escalations_resolved=int(row.resolved),
        escalations_overdue=int(row.overdue),
        notices=int(row.notices),
        reverted=int(row.reverted),
        median_revert=_float(row.median_revert),
        pending_nominations=int(row.nominations),
        retro=None if retro is None else (retro, int(row.responses), int(row.participants)),
    )


def list_committers_with_status(session: Session, status: str) -> list[Person]:
    """Return current committers with a given stored status, by handle."""
    statement = (
        model_select(Person)
        .join(PersonRole, col(PersonRole.person_id) == col(Person.id))
        .where(PersonRole.role == "committer", Person.status == status, col(Person.removed_on).is_(None))
        .order_by(col(Person.github_key))
    )
    return list(session.exec(statement).all())


@functools.cache
def _expiring_statement() -> Select[Any]:
    after: BindParameter[dt.date] = bindparam("after")
    until: BindParameter[dt.date] = bindparam("until")
    # A branch per kind of holder, as in the expiry scan: each renewal check stays on its index.
    people: Select[Any, Any, Any, Any] = (
        select(
            col(Person.github).label("holder"),
            col(Agreement.kind),
            col(Agreement.expires_on),
            col(Agreement.id),
        )
        .select_from(Agreement)
        .join(Person, col(Person.id) == col(Agreement.person_id))
        .where(
            col(Agreement.expires_on) > after,
            col(Agreement.expires_on) <= until,
            col(Person.removed_on).is_(None),
            ~is_renewed("person_id"),
        )
    )
    organizations: Select[Any, Any, Any, Any] = (
        select(
            col(Organization.name).label("holder"),
            col(Agreement.kind),
            col(Agreement.expires_on),
            col(Agreement.id),
        )
        .select_from(Agreement)
        .join(Organization, col(Organization.id) == col(Agreement.organization_id))
        .where(
            col(Agreement.expires_on) > after,
            col(Agreement.expires_on) <= until,
            col(Organization.is_provider).is_(True),
            ~is_renewed("organization_id"),
        )
    )
    both = union_all(people, organizations).subquery("expiring")
    return select(both.c.holder, both.c.kind, both.c.expires_on).order_by(both.c.expires_on, both.c.id)


def list_expiring(session: Session, *, after: dt.date, until: dt.date) -> list[tuple[str, str, dt.date]]:
    """Return (holder, kind, ends) of agreements ending in (after, until] that nothing renews, held by people still on the roster (their GitHub handle) or by provider organisations (their name), by date."""
    rows = session.execute(_expiring_statement(), {"after": after, "until": until}).all()
    return [(holder, kind, ends) for holder, kind, ends in rows]
