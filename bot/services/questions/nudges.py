"""The SLA ladder for questions on the champions' turn: nudge the champions, then the second champion, then
management. The clock counts only the champions' turns, in each addressed person's business hours; each nudge
DM carries Helpful / Not helpful buttons, and one person gets at most `daily_nudge_cap` nudge DMs a (local) day:
a DM over the cap is skipped (recorded as such), while the step's note in the question's thread still posts."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.services.business_hours import zone
from bot.services.errors import NotOnRoster, UserError
from bot.services.ladders import next_due_rung, take_rung
from bot.services.outbox import Outgoing, commit, post, redraw, reply
from bot.services.questions import get_card
from bot.services.quiet import reminder
from bot.services.responsiveness import Interval, question_intervals, turn_time_reached
from bot.types.decided import Decided
from bot.types.keys import Kind, Subject, message_key
from bot.types.policy import Channels, SlaPolicy, Step, WorkingHours
from bot.types.questions import DueStep, QuestionCard
from bot.views.questions import management_post, nudge_dm_blocks, nudge_texts, rated_nudge_blocks
from bot.views.text import Mrkdwn, stored
from storage import questions as store
from storage import responsiveness as turns_store
from storage.models import NudgeRating, NudgeRecipient, Person, QuestionNudge
from storage.outbox import get_message_by_key


def ladder(
    card: QuestionCard, policy: SlaPolicy, turns: list[Interval] | None = None
) -> list[tuple[Step, dt.datetime, tuple[Person, ...]]]:
    """Return the steps of a question's ladder with the instant each falls due and whom it addresses.

    Each step falls due after the allowance of business time on the champions' `turns` (by default one turn
    from the asking), in the addressed person's time zone; the steps stop where the turns so far run out.
    """
    allowance = policy.allowance(card.question.urgency)
    responders = card.responders
    intervals = turns if turns is not None else [(card.question.asked_at, None)]
    steps: list[tuple[Step, dt.datetime, tuple[Person, ...]]] = []
    due: dt.datetime | None = card.question.asked_at

    def after(since: dt.datetime, person: Person) -> dt.datetime | None:
        return turn_time_reached(
            intervals, since=since, duration=allowance, tz=zone(person.timezone), hours=policy.hours
        )

    if responders and due is not None:
        due = after(due, responders[0])
        if due is not None:
            steps.append((Step.CHAMPIONS, due, tuple(responders)))
    if len(responders) > 1 and due is not None:
        second = responders[1]
        due = after(due, second)
        if due is not None:
            steps.append((Step.SECOND_CHAMPION, due, (second,)))
    anchor = card.manager or (responders[0] if responders else card.committer)
    if due is not None:
        due = after(due, anchor)
        if due is not None:
            steps.append((Step.MANAGEMENT, due, (card.manager,) if card.manager else ()))
    return steps


def list_due_steps(session: Session, *, now: dt.datetime, policy: SlaPolicy) -> list[DueStep]:
    """Return, for each unanswered question on the champions' turn, its next step if it is due."""
    due_steps: list[DueStep] = []
    for question in store.list_waiting_questions(session):
        assert question.id is not None
        card = get_card(session, question.id)
        steps = ladder(card, policy, question_intervals(session, question))
        rung = next_due_rung(steps, store.list_nudge_steps(session, question.id), now=now)
        if rung is not None:
            due_steps.append(
                DueStep(card=card, step=Step(rung[0]), due_at=rung[1], targets=rung[2], as_of=now)
            )
    return due_steps


def _local_day(person: Person, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    tz = zone(person.timezone)
    today = now.astimezone(tz).date()
    start = dt.datetime.combine(today, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _nudge_dm(
    session: Session,
    due: DueStep,
    person: Person,
    text: Mrkdwn,
    *,
    now: dt.datetime,
    hours: WorkingHours,
    cap: int,
) -> Outgoing | None:
    """Return one person's nudge DM, with its rating buttons; None (recorded as skipped) over their daily cap."""
    card = due.card
    if person.id is None:
        return None
    start, end = _local_day(person, now)
    over = turns_store.count_sent(session, person.id, start=start, end=end) >= cap
    recorded = turns_store.add_recipient(
        session,
        NudgeRecipient(
            question_id=card.id, step=int(due.step), person_id=person.id, sent_at=now, skipped=over
        ),
    )
    if over or not recorded:
        return None
    return reminder(
        session,
        Kind.QUESTION_NUDGE,
        [card.id, int(due.step), person.id],
        person,
        text,
        now=now,
        hours=hours,
        blocks=nudge_dm_blocks(text, card.id, int(due.step)),
        subject=Subject.nudge(card.id, int(due.step), person.id),
    )


def nudge_messages(
    session: Session,
    due: DueStep,
    *,
    now: dt.datetime,
    channels: Channels,
    hours: WorkingHours,
    cap: int = SlaPolicy.daily_nudge_cap,
) -> list[Outgoing | None]:
    """Return the messages one ladder step sends: a thread note, and DMs (with Helpful / Not helpful and Snooze,
    within each person's daily cap) or a management-channel post."""
    card = due.card
    parts = [card.id, int(due.step)]
    thread_text, dm_text = nudge_texts(due, management_channel=channels.management)
    messages: list[Outgoing | None] = [reply(Kind.QUESTION_NUDGE, parts, card.subject, thread_text)]
    if dm_text:
        messages += [
            _nudge_dm(session, due, person, dm_text, now=now, hours=hours, cap=cap) for person in due.targets
        ]
    if due.step is Step.MANAGEMENT and not due.targets:
        messages.append(
            post(Kind.QUESTION_NUDGE, [*parts, "management"], channels.management, management_post(due))
        )
    return messages


def take_step(
    session: Session,
    due: DueStep,
    *,
    now: dt.datetime,
    channels: Channels,
    hours: WorkingHours,
    cap: int = SlaPolicy.daily_nudge_cap,
) -> bool:
    """Record a step and queue its messages in one transaction; False when another run took it first."""
    target = ",".join(p.github for p in due.targets) or "management-channel"
    recorded = store.add_nudge(
        session,
        QuestionNudge(
            question_id=due.card.id, step=int(due.step), due_at=due.due_at, taken_at=now, target=target
        ),
    )
    return take_rung(
        session,
        recorded=recorded,
        messages=nudge_messages(session, due, now=now, channels=channels, hours=hours, cap=cap)
        if recorded
        else [],
        now=now,
        action="question.nudged",
        subject=due.card.subject,
        details={"step": due.step.name.lower(), "target": target},
    )


def take_due_steps(session: Session, *, now: dt.datetime, policy: SlaPolicy, channels: Channels) -> int:
    """Take every question's due ladder step once (with its messages); return how many were taken."""
    return sum(
        take_step(session, due, now=now, channels=channels, hours=policy.hours, cap=policy.daily_nudge_cap)
        for due in list_due_steps(session, now=now, policy=policy)
    )


def rate_nudge(
    session: Session,
    person: Person | None,
    *,
    question_id: int,
    step: int,
    rating: NudgeRating,
    now: dt.datetime,
) -> Decided[NudgeRating]:
    """Record what the person thinks of a nudge they were sent (once per nudge; a new click changes it) and
    redraw the DM to acknowledge it."""
    if person is None or person.id is None:
        raise NotOnRoster("Only people on the Core Committer roster receive nudges to rate.")
    recipient = turns_store.get_recipient(session, question_id, step, person.id)
    if recipient is None or recipient.skipped:
        raise UserError(
            "These buttons belong to a nudge sent to someone else, so your rating was not recorded."
        )
    recipient.rating, recipient.rated_at = rating, now
    session.add(recipient)
    original = get_message_by_key(session, message_key(Kind.QUESTION_NUDGE, question_id, step, person.id))
    messages: list[Outgoing | None] = []
    if original is not None:
        blocks = rated_nudge_blocks(original.blocks or [], question_id, step, rating)
        messages.append(redraw(Subject.nudge(question_id, step, person.id), stored(original.text), blocks))
    return Decided(rating, commit(session, messages, now=now))
