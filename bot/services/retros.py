"""Retrospectives (4Ls): opening one, collecting feedback, inviting and reminding, closing with a report.

Invitations and reminders are queued once per participant and stage; a retro closes in the same
transaction as its report to each recipient.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.services.activity import record_activity
from bot.services.audit import audit
from bot.services.business_hours import add_working_time, zone
from bot.services.errors import FieldErrors, NotOnRoster, UserError
from bot.services.outbox import Outgoing, dm, enqueue
from bot.services.quiet import reminder
from bot.types.keys import Kind
from bot.types.limits import FIELD_MAX
from bot.types.policy import WorkingHours
from bot.types.retros import Feedback, RetroProgress, RetroReport, RetroStage
from bot.views import retros as views
from storage import retros as store
from storage import roster as roster_store
from storage.models import ActivityKind, Person, Retro, RetroAudience, RetroResponse, Role

FOUR_LS = ("liked", "lacked", "learned", "longed_for")
AUDIENCE_ROLES = {
    RetroAudience.ALL: [Role.COMMITTER, Role.CHAMPION, Role.MANAGER, Role.ADMIN, Role.OWNER],
    RetroAudience.CCS: [Role.COMMITTER],
    RetroAudience.CHAMPIONS: [Role.CHAMPION],
}


def open_retro(
    session: Session, *, name: str, closes_on: dt.date, audience: RetroAudience, now: dt.datetime, actor: str
) -> tuple[Retro, list[Person]]:
    """Open a retro closing at the end of `closes_on` (UTC) for the audience; return it and its participants."""
    name = name.strip()
    if not name or len(name) > 100:
        raise UserError("Give the retro a name of 1 to 100 characters, like `pilot-2026`.")
    closes_at = dt.datetime.combine(closes_on + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    if closes_at <= now + dt.timedelta(days=1):
        raise UserError(
            f"The retro must stay open at least a day: choose a closing date after {now.date():%Y-%m-%d}."
        )
    if store.get_retro_by_name(session, name) is not None:
        raise UserError(f"There is already a retro called {name!r}; choose another name.")
    people: dict[int, Person] = {}
    for role in AUDIENCE_ROLES[audience]:
        for person in roster_store.list_people_with_role(session, role):
            if person.id is not None:
                people[person.id] = person
    if not people:
        raise UserError("Nobody on the roster is in that audience yet; import the roster first.")
    retro = store.add_retro(
        session,
        Retro(name=name, audience=audience, opened_at=now, closes_at=closes_at, opened_by=actor),
        sorted(people),
    )
    audit(
        session,
        now,
        actor,
        "retro.opened",
        f"retro:{retro.id}",
        name=name,
        closes_at=closes_at.isoformat(),
        participants=len(people),
    )
    session.commit()
    return retro, sorted(people.values(), key=lambda p: p.github_key)


def feedback_form(
    session: Session, person: Person | None, *, now: dt.datetime, retro_id: int | None = None
) -> tuple[Retro, Feedback]:
    """Return the open retro (or the given one) and this person's answers so far; UserError when they cannot answer."""
    if person is None or person.id is None:
        raise NotOnRoster(
            "Only people on the Core Committer roster take part in retros; `/cc` says how to join."
        )
    retro = store.get_retro(session, retro_id) if retro_id else store.get_open_retro(session, now=now)
    if retro is None or retro.closed_at is not None or retro.closes_at <= now:
        raise UserError(
            "There is no retro open for feedback right now. Admins open one with `ccbot retro open`."
        )
    if not store.is_participant(session, retro.id or 0, person.id):
        raise UserError(
            f"You are not among the participants of the retro “{retro.name}”; ask a program admin to add you."
        )
    response = store.get_response(session, retro.id or 0, person.id)
    if response is None:
        return retro, Feedback()
    return retro, Feedback(
        response.liked, response.lacked, response.learned, response.longed_for, response.anonymous
    )


def submit_feedback(
    session: Session, person: Person | None, retro_id: int, feedback: Feedback, *, now: dt.datetime
) -> Retro:
    """Store (or replace) a participant's feedback until the retro closes; FieldErrors for bad input."""
    texts = {name: getattr(feedback, name).strip() for name in FOUR_LS}
    errors = {
        name: f"Keep it under {FIELD_MAX} characters."
        for name, text in texts.items()
        if len(text) > FIELD_MAX
    }
    if not any(texts.values()):
        errors["liked"] = "Write at least one of the four."
    if errors:
        raise FieldErrors(errors)
    retro, _ = feedback_form(session, person, now=now, retro_id=retro_id)
    assert person is not None
    assert person.id is not None
    response = store.get_response(session, retro.id or 0, person.id)
    if response is None:
        response = RetroResponse(
            retro_id=retro.id or 0, person_id=person.id, submitted_at=now, updated_at=now
        )
    for name, text in texts.items():
        setattr(response, name, text)
    response.anonymous, response.updated_at = feedback.anonymous, now
    session.add(response)
    record_activity(session, person.id, ActivityKind.RETRO, now, f"retro:{retro.id}")
    session.commit()
    return retro


def due_stages(session: Session, *, now: dt.datetime) -> list[RetroStage]:
    """Return the reminder stages due now for open retros, each with the participants who have not answered."""
    stages = []
    for retro in store.list_unclosed_retros(session):
        if retro.closes_at <= now:
            continue
        midpoint = retro.opened_at + (retro.closes_at - retro.opened_at) / 2
        last_day = retro.closes_at - dt.timedelta(days=1)
        participants = store.list_participants(session, retro.id or 0)
        answered = store.list_responder_ids(session, retro.id or 0)
        waiting = [p for p in participants if p.id not in answered]
        stages.append(RetroStage(retro, "invite", participants))
        if now >= midpoint:
            stages.append(RetroStage(retro, "midpoint", waiting))
        if now >= last_day:
            stages.append(RetroStage(retro, "last_day", waiting))
    return stages


def list_retros_to_close(session: Session, *, now: dt.datetime) -> list[Retro]:
    """Return retros past their closing time and not closed yet."""
    return [r for r in store.list_unclosed_retros(session) if r.closes_at <= now]


def retro_report(session: Session, retro: Retro) -> RetroReport:
    """Return a retro's report: entries by the four Ls (anonymous ones without a name) and the response rate."""
    participants = store.list_participants(session, retro.id or 0)
    people = {p.id: p for p in participants}
    responses = store.list_responses(session, retro.id or 0)
    entries: dict[str, list[tuple[Person | None, str]]] = {name: [] for name in FOUR_LS}
    for response in responses:
        author = None if response.anonymous else people.get(response.person_id)
        for name in FOUR_LS:
            text = getattr(response, name)
            if text:
                entries[name].append((author, text))
    return RetroReport(retro=retro, participants=len(participants), responses=len(responses), entries=entries)


def report_recipients(session: Session, retro: Retro) -> list[Person]:
    """Return who gets the report: managers, admins and participants, once each."""
    people = {p.id: p for p in store.list_participants(session, retro.id or 0)}
    for role in (Role.MANAGER, Role.ADMIN):
        for person in roster_store.list_people_with_role(session, role):
            people.setdefault(person.id, person)
    return list(people.values())


def mark_closed(session: Session, retro: Retro, *, now: dt.datetime) -> None:
    """Record a retro as closed (without committing: the report goes out in the same transaction)."""
    retro.closed_at = now
    session.add(retro)
    audit(session, now, "ccbot", "retro.closed", f"retro:{retro.id}")


def reminds_now(stage: RetroStage, person: Person, *, now: dt.datetime, hours: WorkingHours) -> bool:
    """Whether a stage's reminder goes to `person` in this run: in their working hours, else not yet.

    The last day's reminder goes at once, like an agreement's last expiry reminder, and so does one whose
    recipient's working hours begin only after the retro closes: waiting, it would come too late to answer.
    """
    if stage.stage == "last_day":
        return True
    opens = add_working_time(now, dt.timedelta(0), tz=zone(person.timezone), hours=hours)
    return opens <= now or opens >= stage.retro.closes_at


def stage_messages(
    session: Session, stage: RetroStage, *, now: dt.datetime, hours: WorkingHours
) -> list[Outgoing | None]:
    """Return a stage's invitation or reminder, one DM per participant it addresses now (reminders with Snooze,
    in the participant's working hours)."""
    retro = stage.retro
    text, blocks = views.invitation_text(retro), views.invitation_blocks(retro, stage.stage)
    kind = f"{Kind.RETRO}-{stage.stage}"
    if stage.stage == "invite":
        return [dm(kind, [retro.id, p.id], p.slack_user_id, text, blocks=blocks) for p in stage.people]
    return [
        reminder(session, kind, [retro.id, p.id], p, text, now=now, blocks=blocks, hours=hours)
        for p in stage.people
        if reminds_now(stage, p, now=now, hours=hours)
    ]


def report_messages(session: Session, retro: Retro) -> list[Outgoing | None]:
    """Return a closed retro's report, one DM per recipient (managers, admins and participants)."""
    report = retro_report(session, retro)
    text, blocks = views.report_text(report), views.report_blocks(report)
    return [
        dm(Kind.RETRO_REPORT, [retro.id, p.id], p.slack_user_id, text, blocks=blocks)
        for p in report_recipients(session, retro)
    ]


def advance_retros(session: Session, *, now: dt.datetime, hours: WorkingHours) -> RetroProgress:
    """Queue each due invitation or reminder once per participant (reminders in their working `hours`), and
    close due retros with their report."""
    queued = 0
    for stage in due_stages(session, now=now):
        queued += enqueue(session, stage_messages(session, stage, now=now, hours=hours), now=now)
        session.commit()
    due = list_retros_to_close(session, now=now)
    for retro in due:
        # Closing and the reports commit together: a crash leaves either both or neither.
        queued += enqueue(session, report_messages(session, retro), now=now)
        mark_closed(session, retro, now=now)
        session.commit()
    return RetroProgress(queued=queued, closed=len(due))
