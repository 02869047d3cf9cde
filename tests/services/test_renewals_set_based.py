"""The yearly cycle's steps work on a round at once (bulk inserts, one claim per round, one statement per
outcome): what that must not change. A rerun sends and records nothing more; two instances at once take each
step once; someone who became an alumnus between opening and settling is not moved twice; one pass settles
individuals and organisations together. And the blocks built as plain dicts are slack_sdk's, exactly."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ConfirmObject, HeaderBlock
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.services.membership import retire
from bot.services.renewals import answer_renewal, open_renewal, queue_reminders, settle_due
from bot.types.policy import Policy
from bot.views.blocks import (
    actions_json,
    button_json,
    confirm_json,
    context,
    context_json,
    header_json,
    section,
    section_json,
)
from bot.views.quiet import snooze_actions, snooze_actions_json
from bot.views.text import Mrkdwn
from storage.db import make_session_factory
from storage.models import (
    AuditEntry,
    OutboxMessage,
    Person,
    ReminderHold,
    RenewalAnswer,
    RenewalMember,
    RenewalOutcome,
)
from storage.roster import get_organization_by_name
from tests.conftest import load_pilot
from tests.flows import CHANNELS, person

POLICY = Policy()
DECEMBER = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
CLOSES = dt.date(2026, 12, 31)
# Past the midpoint, a Thursday afternoon in Europe; and just after the deadline.
MIDPOINT = dt.datetime(2026, 12, 17, 14, 0, tzinfo=dt.UTC)
AFTER = dt.datetime(2027, 1, 1, 0, 10, tzinfo=dt.UTC)


@pytest.fixture
def db(session: Session) -> Session:
    load_pilot(session)
    return session


def _open(db: Session, who: str) -> list[RenewalMember]:
    open_renewal(db, year=2027, who=who, closes_on=CLOSES, now=DECEMBER, actor="test", policy=POLICY)
    return list(db.exec(select(RenewalMember).order_by(RenewalMember.id)).all())  # type: ignore[arg-type]


def _counts(db: Session) -> tuple[int, int, int]:
    return (
        db.exec(select(func.count()).select_from(OutboxMessage)).one(),
        db.exec(select(func.count()).select_from(AuditEntry)).one(),
        db.exec(select(func.count()).select_from(ReminderHold)).one(),
    )


def _answer(db: Session, member: RenewalMember, answer: RenewalAnswer) -> None:
    contact = db.get(Person, member.contact_id)
    answer_renewal(db, member.id or 0, contact, answer=answer, now=DECEMBER, channels=CHANNELS)


def _keys(db: Session) -> list[str]:
    return list(db.exec(select(OutboxMessage.key)).all())


def test_a_rerun_of_each_step_queues_and_records_nothing_more(db: Session) -> None:
    members = _open(db, "individuals")
    _answer(db, members[0], RenewalAnswer.RECOMMITTED)
    _answer(db, members[1], RenewalAnswer.STEPPED_DOWN)
    reminded = queue_reminders(db, now=MIDPOINT, policy=POLICY)
    assert reminded > 0
    before = _counts(db)
    assert queue_reminders(db, now=MIDPOINT, policy=POLICY) == 0
    assert queue_reminders(db, now=MIDPOINT + dt.timedelta(hours=1), policy=POLICY) == 0
    assert _counts(db) == before, "the same stage reminds each member once"
    settled = settle_due(db, now=AFTER, channels=CHANNELS)
    assert settled == len(members)
    after = _counts(db)
    assert settle_due(db, now=AFTER, channels=CHANNELS) == 0
    assert settle_due(db, now=AFTER + dt.timedelta(hours=1), channels=CHANNELS) == 0
    assert _counts(db) == after, "a settled deadline is not settled again"
    keys = _keys(db)
    assert len(keys) == len(set(keys))


def test_two_instances_at_once_take_each_step_once(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as setup:
        load_pilot(setup)
        members = _open(setup, "individuals")
        _answer(setup, members[0], RenewalAnswer.STEPPED_DOWN)
        _answer(setup, members[1], RenewalAnswer.RECOMMITTED)
    results: dict[str, list[int]] = {"remind": [], "settle": []}
    errors: list[BaseException] = []

    def both(step: str) -> None:
        barrier = threading.Barrier(2)

        def run() -> None:
            try:
                with factory() as own:
                    # Each instance has read the waiting members before either writes.
                    own.exec(select(RenewalMember)).all()
                    barrier.wait()
                    if step == "remind":
                        results[step].append(queue_reminders(own, now=MIDPOINT, policy=POLICY))
                    else:
                        results[step].append(settle_due(own, now=AFTER, channels=CHANNELS))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    both("remind")
    both("settle")
    assert not errors, errors
    assert sorted(results["settle"]) == [0, len(members)], "one instance settles every member, the other none"
    with factory() as check:
        keys = _keys(check)
        assert len(keys) == len(set(keys))
        reminders = [k for k in keys if k.startswith("renewal-reminder")]
        assert 0 < len(reminders) == max(results["remind"]), "each member due a reminder is reminded once"
        actions = Counter(check.exec(select(AuditEntry.action)).all())
        assert actions["renewal.closed"] == 1
        assert actions["person.removed"] == 1
        settled = check.exec(select(RenewalMember)).all()
        assert all(m.settled_at == AFTER for m in settled)
        assert Counter(m.outcome for m in settled) == {
            RenewalOutcome.ALUMNI: 1,
            RenewalOutcome.RECOMMITTED: 1,
            RenewalOutcome.LISTED: len(members) - 2,
        }


def test_someone_who_became_an_alumnus_between_opening_and_settling(db: Session) -> None:
    members = _open(db, "individuals")
    leaving, silent = members[0], members[1]
    _answer(db, leaving, RenewalAnswer.STEPPED_DOWN)
    for member in (leaving, silent):
        handle = db.get(Person, member.person_id)
        assert handle is not None
        retire(db, "test", github=handle.github, reason="left", now=MIDPOINT, channels=CHANNELS)
    queue_reminders(db, now=MIDPOINT + dt.timedelta(hours=1), policy=POLICY)
    reminded = set(db.exec(select(OutboxMessage.key).where(OutboxMessage.kind == "renewal-reminder")).all())
    assert not any(k.startswith(f"renewal-reminder:{silent.id}:") for k in reminded), (
        "an alumnus is not reminded"
    )
    settle_due(db, now=AFTER, channels=CHANNELS)
    db.refresh(leaving)
    db.refresh(silent)
    assert leaving.outcome is RenewalOutcome.ALUMNI
    assert silent.outcome is RenewalOutcome.LISTED, "no answer is listed for the admins, as for anyone"
    removed = db.exec(select(AuditEntry.subject).where(AuditEntry.action == "person.removed")).all()
    assert sorted(removed) == sorted(
        p.github for p in (db.get(Person, m.person_id) for m in (leaving, silent)) if p
    ), "moved to alumni once, when they were retired; not again at the deadline"
    thanks = db.exec(select(OutboxMessage.key).where(OutboxMessage.kind == "renewal-thanks")).all()
    assert thanks == [], "no second thank-you"


def test_one_pass_settles_individuals_and_organisations_together(db: Session) -> None:
    opencraft = get_organization_by_name(db, "OpenCraft")
    assert opencraft is not None
    opencraft.contact_email = "braden.macdonald@example.org"
    db.add(opencraft)
    db.commit()
    members = _open(db, "all")
    rounds = {m.renewal_id for m in members}
    assert len(rounds) == 2
    organisation = next(m for m in members if m.organization_id == opencraft.id)
    individuals = [m for m in members if m.person_id is not None]
    braden = person(db, "bradenmacdonald")
    answer_renewal(
        db, organisation.id or 0, braden, answer=RenewalAnswer.STEPPED_DOWN, now=DECEMBER, channels=CHANNELS
    )
    _answer(db, individuals[0], RenewalAnswer.RECOMMITTED)
    _answer(db, individuals[1], RenewalAnswer.STEPPED_DOWN)
    assert settle_due(db, now=AFTER, channels=CHANNELS) == len(members)
    outcomes = {m.id: m.outcome for m in db.exec(select(RenewalMember)).all()}
    assert outcomes[organisation.id] is RenewalOutcome.AGREEMENT_ENDED
    assert outcomes[individuals[0].id] is RenewalOutcome.RECOMMITTED
    assert outcomes[individuals[1].id] is RenewalOutcome.ALUMNI
    others = [m for m in members if m.id not in {organisation.id, individuals[0].id, individuals[1].id}]
    assert {outcomes[m.id] for m in others} == {RenewalOutcome.LISTED}
    assert braden.removed_on is None, "an organisation's committers lapse; they do not become alumni"
    lists = db.exec(select(OutboxMessage.subject).where(OutboxMessage.kind == "renewal-followup")).all()
    assert {s.split(":")[1] for s in lists if s} == {str(r) for r in rounds}, "each round lists its own"
    closed = db.exec(select(AuditEntry.subject).where(AuditEntry.action == "renewal.closed")).all()
    assert sorted(closed) == sorted(f"renewal:{r}" for r in rounds)


text_values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60).filter(
    lambda s: s.strip() != ""
)


@given(text=text_values, action=text_values, value=text_values)
def test_blocks_built_as_dicts_are_slack_sdks(text: str, action: str, value: str) -> None:
    confirm = ConfirmObject(title="Step down?", text=text, confirm="Step down", deny="Cancel")
    button = ButtonElement(text=text, action_id=action, value=value, style="danger", confirm=confirm)
    plain = ButtonElement(text=text, action_id=action, value=value)
    built = actions_json(
        "b",
        [
            button_json(
                text,
                action,
                value,
                style="danger",
                confirm=confirm_json(title="Step down?", text=text, confirm="Step down", deny="Cancel"),
            ),
            button_json(text, action, value),
        ],
    )
    assert built == ActionsBlock(block_id="b", elements=[button, plain]).to_dict()
    assert header_json(text) == HeaderBlock(text=text).to_dict()
    assert context_json(text) == context(text).to_dict()
    assert section_json(text) == section(text).to_dict()
    assert section_json(Mrkdwn(text * 80)) == section(Mrkdwn(text * 80)).to_dict()
    assert snooze_actions_json(value) == snooze_actions(value).to_dict()
