"""The SLA ladder for unanswered questions: nudge the champions, then the second champion, then management."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.services.business_hours import add_working_time, zone
from bot.services.ladders import next_due_rung, take_rung
from bot.services.outbox import Outgoing, post, reply
from bot.services.questions import get_card
from bot.services.quiet import reminder
from bot.types.keys import Kind
from bot.types.policy import Channels, SlaPolicy, Step, WorkingHours
from bot.types.questions import DueStep, QuestionCard
from bot.views.questions import management_post, nudge_texts
from storage import questions as store
from storage.models import Person, QuestionNudge


def ladder(card: QuestionCard, policy: SlaPolicy) -> list[tuple[Step, dt.datetime, tuple[Person, ...]]]:
    """Return every step of a question's ladder with the instant it falls due and whom it addresses."""
    allowance = policy.allowance(card.question.urgency)
    responders = card.responders
    steps: list[tuple[Step, dt.datetime, tuple[Person, ...]]] = []
    due = card.question.asked_at
    if responders:
        due = add_working_time(due, allowance, tz=zone(responders[0].timezone), hours=policy.hours)
        steps.append((Step.CHAMPIONS, due, tuple(responders)))
    if len(responders) > 1:
        second = responders[1]
        due = add_working_time(due, allowance, tz=zone(second.timezone), hours=policy.hours)
        steps.append((Step.SECOND_CHAMPION, due, (second,)))
    anchor = card.manager or (responders[0] if responders else card.committer)
    due = add_working_time(due, allowance, tz=zone(anchor.timezone), hours=policy.hours)
    steps.append((Step.MANAGEMENT, due, (card.manager,) if card.manager else ()))
    return steps


def list_due_steps(session: Session, *, now: dt.datetime, policy: SlaPolicy) -> list[DueStep]:
    """Return, for each question still waiting for a first response, its next step if it is due."""
    due_steps: list[DueStep] = []
    for question in store.list_waiting_questions(session):
        assert question.id is not None
        card = get_card(session, question.id)
        rung = next_due_rung(ladder(card, policy), store.list_nudge_steps(session, question.id), now=now)
        if rung is not None:
            due_steps.append(
                DueStep(card=card, step=Step(rung[0]), due_at=rung[1], targets=rung[2], as_of=now)
            )
    return due_steps


def nudge_messages(
    session: Session, due: DueStep, *, now: dt.datetime, channels: Channels, hours: WorkingHours
) -> list[Outgoing | None]:
    """Return the messages one ladder step sends: a thread note, and a DM (with Snooze) or a management-channel post."""
    card = due.card
    parts = [card.id, int(due.step)]
    thread_text, dm_text = nudge_texts(due, management_channel=channels.management)
    messages: list[Outgoing | None] = [reply(Kind.QUESTION_NUDGE, parts, card.subject, thread_text)]
    if dm_text:
        messages += [
            reminder(session, Kind.QUESTION_NUDGE, [*parts, person.id], person, dm_text, now=now, hours=hours)
            for person in due.targets
        ]
    if due.step is Step.MANAGEMENT and not due.targets:
        messages.append(
            post(Kind.QUESTION_NUDGE, [*parts, "management"], channels.management, management_post(due))
        )
    return messages


def take_step(
    session: Session, due: DueStep, *, now: dt.datetime, channels: Channels, hours: WorkingHours
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
        messages=nudge_messages(session, due, now=now, channels=channels, hours=hours) if recorded else [],
        now=now,
        action="question.nudged",
        subject=due.card.subject,
        details={"step": due.step.name.lower(), "target": target},
    )


def take_due_steps(session: Session, *, now: dt.datetime, policy: SlaPolicy, channels: Channels) -> int:
    """Take every question's due ladder step once (with its messages); return how many were taken."""
    return sum(
        take_step(session, due, now=now, channels=channels, hours=policy.hours)
        for due in list_due_steps(session, now=now, policy=policy)
    )
