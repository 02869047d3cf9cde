"""Escalations to engineering management: raising, acknowledging, resolving, reassigning, and the ladder."""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import Session

from bot.services import submissions
from bot.services.audit import audit
from bot.services.business_hours import add_working_time, zone
from bot.services.errors import FieldErrors, NotOnRoster, UserError, urgency_field
from bot.services.ladders import next_due_rung, take_rung
from bot.services.outbox import Outgoing, commit, dm, post, posting_of, redraw, reply
from bot.services.owners import REPO_NAME
from bot.services.questions import get_card
from bot.services.quiet import reminder
from bot.types.decided import Decided
from bot.types.escalations import (
    OVERDUE_STEP,
    RESOLVE_REMINDER_STEP,
    DueEscalationStep,
    EscalationCard,
    EscalationDraft,
    EscalationForm,
)
from bot.types.github import canonical_pr_url, parse_pr_url
from bot.types.keys import Kind, Subject
from bot.types.limits import IMPACT_MAX, RESOLUTION_MAX, SUMMARY_MAX
from bot.types.policy import Channels, EscalationPolicy, WorkingHours
from bot.views import escalations as views
from storage import escalations as store
from storage import questions as question_store
from storage import roster as roster_store
from storage.models import (
    Escalation,
    EscalationState,
    EscalationStep,
    Person,
    Role,
    Status,
    Urgency,
)
from storage.submissions import Keys

# What the message shortcut puts in the modal: a Slack permalink and nothing else.
SLACK_PERMALINK = re.compile(
    r"^https://[a-z0-9-]+(?:\.enterprise)?\.slack\.com/archives/[A-Z0-9]+/p\d{10,20}(?:\?[A-Za-z0-9_.=&-]*)?$"
)
MANAGING_ROLES = {Role.MANAGER, Role.ADMIN}


def escalation_form(session: Session, person: Person | None) -> EscalationForm:
    """Return whom this person may escalate about; UserError saying why when they may not escalate."""
    if person is None or person.id is None:
        raise NotOnRoster("You are not on the Core Committer roster, so `/cc-escalate` is not open to you.")
    roles = roster_store.list_powers(session, person.id)
    if person.status == Status.ALUMNI or person.removed_on is not None:
        raise UserError(
            "You are an alumnus of the program, so `/cc-escalate` is closed to you. If you are returning, ask a program admin."
        )
    if Role.COMMITTER in roles:
        return EscalationForm(committers=[person], own=True)
    if Role.ADMIN in roles:
        return EscalationForm(committers=_current_committers(session), own=False)
    if Role.CHAMPION in roles:
        committers = roster_store.list_assigned_committers(session, person.id)
        if not committers:
            raise UserError(
                "You look after no committers right now, so there is nobody to escalate for. An admin assigns champions with `/cc-admin`."
            )
        return EscalationForm(committers=committers, own=False)
    raise UserError(
        "`/cc-escalate` is for committers and their champions. Managers receive escalations in the "
        "management channel."
    )


def _current_committers(session: Session) -> list[Person]:
    return roster_store.list_people_with_role(session, Role.COMMITTER)


def validate_escalation(
    session: Session,
    person: Person | None,
    *,
    committer_id: int | None,
    summary: str | None,
    impact: str | None,
    related: str | None,
    urgency: str | None,
    question_id: int | None = None,
    source_url: str | None = None,
) -> EscalationDraft:
    """Return the draft for valid input; raise FieldErrors naming each field to fix."""
    form = escalation_form(session, person)
    errors: dict[str, str] = {}
    allowed = {p.id for p in form.committers}
    chosen = form.committers[0].id if form.own else committer_id
    if chosen not in allowed:
        errors["committer"] = "Choose one of the committers you look after."
    text = (summary or "").strip()
    if not text:
        errors["summary"] = "Say in one line what is wrong."
    elif len(text) > SUMMARY_MAX:
        errors["summary"] = f"Keep the summary under {SUMMARY_MAX} characters (it has {len(text)})."
    blocked = (impact or "").strip()
    if not blocked:
        errors["impact"] = "Say what is blocked, and since when."
    elif len(blocked) > IMPACT_MAX:
        errors["impact"] = f"Keep the impact under {IMPACT_MAX} characters (it has {len(blocked)})."
    pr_url, repo = None, None
    link = (related or "").strip()
    if link:
        parsed = parse_pr_url(link)
        if parsed is not None:
            pr_url, repo = canonical_pr_url(*parsed), parsed[0]
        elif REPO_NAME.match(link.removeprefix("https://github.com/").strip("/")):
            repo = link.removeprefix("https://github.com/").strip("/")
        else:
            errors["related"] = (
                "Give a pull request (https://github.com/org/repo/pull/1 or org/repo#1) or a repository (org/repo)."
            )
    level = urgency_field(urgency, errors)
    if errors:
        raise FieldErrors(errors)
    assert chosen is not None
    # The question and the source message come back from the modal's metadata: trust neither blindly.
    if question_id is not None:
        question = question_store.get_question(session, question_id) if question_id < 2**31 else None
        if question is None or question.committer_id != chosen:
            question_id = None
    if source_url is not None and not SLACK_PERMALINK.match(source_url):
        source_url = None
    return EscalationDraft(
        committer_id=chosen,
        summary=text,
        impact=blocked,
        urgency=level,
        pr_url=pr_url,
        repo=repo,
        question_id=question_id,
        source_url=source_url,
    )


def manager_ladder(session: Session, committer: Person) -> list[Person]:
    """Return the managers an escalation about this committer goes to, in order: their own manager first."""
    managers = roster_store.list_people_with_role(session, Role.MANAGER)
    own = next((m for m in managers if m.id == committer.manager_id), None)
    return ([own] if own else []) + [m for m in managers if m is not own]


def submission_keys(
    user_id: str, draft: EscalationDraft, *, view_id: str | None, now: dt.datetime
) -> dict[str, dt.datetime | None]:
    """Return the identity of an escalate-modal submission: its view, and its raiser, committer and content."""
    content = [str(draft.committer_id), draft.summary, draft.impact, draft.pr_url or draft.repo or ""]
    return submissions.submission_keys("escalation", user_id, content, view_id=view_id, now=now)


def earlier_escalation(session: Session, keys: Keys) -> EscalationCard | None:
    """Return the escalation an earlier submission with one of these keys raised (one read when none), or None."""
    subject = submissions.earlier_subject(session, keys)
    return _subject_card(session, subject) if subject else None


def _subject_card(session: Session, subject: str) -> EscalationCard | None:
    kind, _, number = subject.partition(":")
    escalation = (
        store.get_escalation(session, int(number)) if kind == "escalation" and number.isdigit() else None
    )
    return _card(session, escalation) if escalation is not None else None


def open_escalation(
    session: Session,
    person: Person,
    draft: EscalationDraft,
    *,
    now: dt.datetime,
    channels: Channels,
    submission: Keys | None = None,
) -> Decided[EscalationCard]:
    """Store an escalation owned by the first manager of the ladder, with its post and notices (committed).

    With `submission` (its identity keys), a submission that repeats an earlier one raises nothing and sends
    nothing: the answer is the earlier escalation (`repeated`), for the modal to show.
    """
    if not channels.management:
        raise UserError(
            "Escalations cannot be posted: the management channel is not configured "
            "(CCBOT_MANAGEMENT_CHANNEL). Tell a program admin."
        )
    committer = roster_store.get_person(session, draft.committer_id)
    if committer is None:
        raise UserError("That committer is no longer on the roster; choose another, or ask a program admin.")
    # The first write: a concurrent submission with the same identity waits here, then finds this one.
    earlier = submissions.claim(session, submission, now=now) if submission else None
    if earlier is not None:
        card = _subject_card(session, earlier)
        if card is None:
            raise UserError(
                "You raised this a moment ago, but that escalation no longer exists; raise it again."
            )
        return Decided(card, repeated=True)
    ladder = manager_ladder(session, committer)
    repo = roster_store.get_or_add_repo(session, draft.repo) if draft.repo else None
    escalation = store.add_escalation(
        session,
        Escalation(
            committer_id=draft.committer_id,
            raised_by_id=person.id,
            question_id=draft.question_id,
            summary=draft.summary,
            impact=draft.impact,
            repo_id=repo.id if repo else None,
            pr_url=draft.pr_url,
            source_url=draft.source_url,
            urgency=draft.urgency,
            opened_at=now,
            owner_id=ladder[0].id if ladder else None,
        ),
    )
    card = _card(session, escalation)
    if submission:
        submissions.record(session, submission, card.subject)
    audit(session, now, person, "escalation.opened", card.subject, urgency=draft.urgency)
    return Decided(card, commit(session, opened_messages(card, channels.management), now=now))


def opened_messages(card: EscalationCard, channel: str) -> list[Outgoing | None]:
    """Return what raising an escalation implies: its post, and a DM to the committer, champions and raiser."""
    people = [card.committer, *card.champions, *([card.raised_by] if card.raised_by else [])]
    unique = {p.id: p for p in people}.values()
    return [
        post(
            Kind.ESCALATION_ROOT,
            [card.id],
            channel,
            views.escalation_text(card),
            blocks=views.escalation_blocks(card),
            subject=card.subject,
        ),
        *(
            dm(
                Kind.ESCALATION_OPENED,
                [card.id, p.id],
                p.slack_user_id,
                views.opened_notice(card, p),
                after=card.subject,
            )
            for p in unique
        ),
    ]


def _changed(
    session: Session, escalation: Escalation, change: str, *, now: dt.datetime, actor: Person | None = None
) -> Decided[EscalationCard]:
    """Commit a change with the redraw of the post and a DM to the committer (and a new owner)."""
    session.add(escalation)
    session.flush()
    card = _card(session, escalation)
    stamp = f"{now:%Y%m%d%H%M%S}"
    messages: list[Outgoing | None] = [
        redraw(card.subject, views.escalation_text(card), views.escalation_blocks(card)),
        dm(
            f"{Kind.ESCALATION_CHANGE}-{change}",
            [card.id, stamp],
            card.committer.slack_user_id,
            views.change_notice(card, change),
        ),
    ]
    if change == "reassigned" and card.owner is not None and actor is not None:
        messages.append(
            dm(
                Kind.ESCALATION_OWNER,
                [card.id, card.owner.id, stamp],
                card.owner.slack_user_id,
                views.reassigned_dm(card, actor),
            )
        )
    return Decided(card, commit(session, messages, now=now))


def get_escalation_card(session: Session, escalation_id: int) -> EscalationCard:
    """Return an escalation with its committer, champions, managers and the people who acted on it."""
    escalation = store.get_escalation(session, escalation_id)
    if escalation is None:
        raise UserError("That escalation no longer exists; `/cc` lists your current ones.")
    return _card(session, escalation)


def _card(session: Session, escalation: Escalation) -> EscalationCard:
    committer = roster_store.get_person(session, escalation.committer_id)
    assert committer is not None

    def person(person_id: int | None) -> Person | None:
        return roster_store.get_person(session, person_id) if person_id else None

    repo = roster_store.get_repo_by_id(session, escalation.repo_id) if escalation.repo_id else None
    return EscalationCard(
        escalation=escalation,
        committer=committer,
        champions=[c for _, c in roster_store.list_active_champions(session, committer.id or 0)],
        raised_by=person(escalation.raised_by_id),
        owner=person(escalation.owner_id),
        acknowledged_by=person(escalation.acknowledged_by_id),
        resolved_by=person(escalation.resolved_by_id),
        repo=repo.full_name if repo else None,
        managers=manager_ladder(session, committer),
        posting=posting_of(session, Subject.escalation(escalation.id or 0)),
    )


def prefill_from_question(
    session: Session, question_id: int, person: Person | None
) -> tuple[EscalationForm, dict[str, str | int]]:
    """Return the escalate form and its pre-filled values for escalating a question."""
    form = escalation_form(session, person)
    card = get_card(session, question_id)
    if card.committer.id not in {p.id for p in form.committers}:
        raise UserError(
            "Only the asker, their champions or an admin can escalate this question. Raise your own with `/cc-escalate`."
        )
    return form, {
        "committer": card.committer.id or 0,
        "summary": f"Question on {card.repo}#{card.question.pr_number} has no answer"[:SUMMARY_MAX],
        "impact": card.question.text[:IMPACT_MAX],
        "related": card.question.pr_url,
        "urgency": card.question.urgency,
        "question": question_id,
    }


def _manager(session: Session, person: Person | None, action: str) -> Person:
    if person is None or person.id is None:
        raise NotOnRoster("Only managers and admins on the roster can act on escalations.")
    if not roster_store.list_powers(session, person.id) & MANAGING_ROLES:
        raise UserError(
            f"Only managers and admins can {action} an escalation. The committer and champions are told of each change."
        )
    return person


def _locked(session: Session, escalation_id: int) -> Escalation:
    escalation = store.get_escalation_for_update(session, escalation_id)
    if escalation is None:
        raise UserError("That escalation no longer exists; `/cc` lists your current ones.")
    return escalation


def acknowledge_escalation(
    session: Session, escalation_id: int, person: Person | None, *, now: dt.datetime
) -> Decided[EscalationCard]:
    """Acknowledge an escalation: the clicker owns it from now on."""
    actor = _manager(session, person, "acknowledge")
    escalation = _locked(session, escalation_id)
    if escalation.state != EscalationState.OPEN:
        raise UserError(f"This escalation is already {escalation.state}; its post shows who has it.")
    escalation.state, escalation.acknowledged_at = EscalationState.ACKNOWLEDGED, now
    escalation.acknowledged_by_id = escalation.owner_id = actor.id
    audit(session, now, actor, "escalation.acknowledged", Subject.escalation(escalation_id))
    return _changed(session, escalation, "acknowledged", now=now)


def check_can_resolve(session: Session, escalation_id: int, person: Person | None) -> EscalationCard:
    """Return the card when this person may resolve the escalation; UserError otherwise."""
    _manager(session, person, "resolve")
    card = get_escalation_card(session, escalation_id)
    if card.escalation.state == EscalationState.RESOLVED:
        raise UserError(
            "This escalation is already resolved; open a new one with `/cc-escalate` if the problem is back."
        )
    return card


def resolve_escalation(
    session: Session, escalation_id: int, person: Person | None, note: str, *, now: dt.datetime
) -> Decided[EscalationCard]:
    """Resolve an escalation with a note for the committer."""
    actor = _manager(session, person, "resolve")
    text = note.strip()
    if not text:
        raise FieldErrors({"resolution": "Say how it was resolved; the committer reads this."})
    if len(text) > RESOLUTION_MAX:
        raise FieldErrors({"resolution": f"Keep it under {RESOLUTION_MAX} characters."})
    escalation = _locked(session, escalation_id)
    if escalation.state == EscalationState.RESOLVED:
        raise FieldErrors(
            {
                "resolution": "This escalation is already resolved; open a new one with `/cc-escalate` if the problem is back."
            }
        )
    escalation.state, escalation.resolved_at, escalation.resolved_by_id = (
        EscalationState.RESOLVED,
        now,
        actor.id,
    )
    escalation.resolution = text
    if escalation.acknowledged_at is None:
        escalation.acknowledged_at, escalation.acknowledged_by_id = now, actor.id
    escalation.owner_id = escalation.owner_id or actor.id
    audit(session, now, actor, "escalation.resolved", Subject.escalation(escalation_id))
    return _changed(session, escalation, "resolved", now=now)


def reassign_candidates(
    session: Session, escalation_id: int, person: Person | None
) -> tuple[EscalationCard, list[Person]]:
    """Return the card and the managers it can be handed to; UserError when this person may not."""
    _manager(session, person, "reassign")
    card = get_escalation_card(session, escalation_id)
    if card.escalation.state == EscalationState.RESOLVED:
        raise UserError(
            "This escalation is already resolved; open a new one with `/cc-escalate` if the problem is back."
        )
    # Neither the current owner nor the person reassigning: handing it to yourself is acknowledging it.
    return card, [
        m for m in card.managers if m.id not in (card.escalation.owner_id, person.id if person else None)
    ]


def reassign_escalation(
    session: Session, escalation_id: int, person: Person | None, to: str, *, now: dt.datetime
) -> Decided[EscalationCard]:
    """Give an escalation to another manager or admin, named by GitHub handle (`@handle` or `handle`)."""
    actor = _manager(session, person, "reassign")
    handle = to.strip().removeprefix("@").strip()
    if not handle:
        raise FieldErrors({"reassign_to": "Choose the manager to give it to."})
    target = roster_store.get_person_by_github(session, handle)
    if (
        target is None
        or target.id is None
        or not roster_store.list_powers(session, target.id) & MANAGING_ROLES
    ):
        raise FieldErrors(
            {
                "reassign_to": f"@{handle} is not a manager or an admin on the roster; give a manager's GitHub handle."
            }
        )
    if target.id == actor.id:
        raise FieldErrors(
            {"reassign_to": "That is you: to take it yourself, use Acknowledge on the post instead."}
        )
    escalation = _locked(session, escalation_id)
    if escalation.state == EscalationState.RESOLVED:
        raise FieldErrors(
            {
                "reassign_to": "This escalation is already resolved; open a new one with `/cc-escalate` if the problem is back."
            }
        )
    if escalation.owner_id == target.id:
        raise FieldErrors({"reassign_to": f"{target.name or target.github} already has it."})
    escalation.owner_id = target.id
    audit(session, now, actor, "escalation.reassigned", Subject.escalation(escalation_id), to=target.github)
    return _changed(session, escalation, "reassigned", now=now, actor=actor)


# -- the acknowledgement ladder -------------------------------------------------------------------


def escalation_ladder(
    card: EscalationCard, policy: EscalationPolicy
) -> list[tuple[int, dt.datetime, Person | None]]:
    """Return the steps of an escalation's ladder in its current state, with due instants and targets."""
    escalation = card.escalation
    if escalation.state == EscalationState.ACKNOWLEDGED and escalation.acknowledged_at:
        return [(RESOLVE_REMINDER_STEP, escalation.acknowledged_at + policy.resolve_after, card.owner)]
    if escalation.state != EscalationState.OPEN:
        return []
    managers = card.managers
    urgent = escalation.urgency == Urgency.URGENT
    steps: list[tuple[int, dt.datetime, Person | None]] = []
    due = escalation.opened_at
    for step in range(1, policy.renotify_limit + 2):
        target = managers[step % len(managers)] if managers else None
        if urgent:
            # Urgent escalations wait for nobody's office hours.
            due = due + policy.ack_urgent
        else:
            due = add_working_time(
                due, policy.ack_normal, tz=zone(target.timezone if target else None), hours=policy.hours
            )
        steps.append((step if step <= policy.renotify_limit else OVERDUE_STEP, due, target))
    return steps


def list_due_escalation_steps(
    session: Session, *, now: dt.datetime, policy: EscalationPolicy
) -> list[DueEscalationStep]:
    """Return, for each unresolved escalation, its next ladder step if it is due."""
    due_steps = []
    for escalation in store.list_unresolved_escalations(session):
        assert escalation.id is not None
        card = _card(session, escalation)
        taken = store.list_escalation_steps(session, escalation.id)
        rung = next_due_rung(escalation_ladder(card, policy), taken, now=now)
        if rung is not None:
            due_steps.append(
                DueEscalationStep(card=card, step=rung[0], due_at=rung[1], target=rung[2], as_of=now)
            )
    return due_steps


def ladder_messages(
    session: Session, due: DueEscalationStep, *, now: dt.datetime, channels: Channels, hours: WorkingHours
) -> list[Outgoing | None]:
    """Return what one ladder step sends: a note in the post's thread, a DM (with Snooze) to its target, or
    the overdue post."""
    card = due.card
    parts = [card.id, due.step]
    thread_text, dm_text = views.ladder_texts(due)
    messages: list[Outgoing | None] = [reply(Kind.ESCALATION_STEP, parts, card.subject, thread_text)]
    if dm_text and due.target is not None:
        messages.append(
            reminder(
                session,
                Kind.ESCALATION_STEP,
                [*parts, due.target.id],
                due.target,
                dm_text,
                now=now,
                hours=hours,
            )
        )
    if due.overdue:
        messages.append(
            post(Kind.ESCALATION_STEP, [*parts, "digest"], channels.digest, views.overdue_post(due))
        )
    return messages


def take_escalation_step(
    session: Session, due: DueEscalationStep, *, now: dt.datetime, channels: Channels, hours: WorkingHours
) -> bool:
    """Record a ladder step and queue its messages in one transaction; False when already taken."""
    target = due.target.github if due.target else ""
    recorded = store.add_escalation_step(
        session,
        EscalationStep(
            escalation_id=due.card.id, step=due.step, due_at=due.due_at, taken_at=now, target=target
        ),
    )
    return take_rung(
        session,
        recorded=recorded,
        messages=ladder_messages(session, due, now=now, channels=channels, hours=hours) if recorded else [],
        now=now,
        action="escalation.ladder",
        subject=due.card.subject,
        details={"step": due.step, "target": target},
    )


def take_due_escalation_steps(
    session: Session, *, now: dt.datetime, policy: EscalationPolicy, channels: Channels
) -> int:
    """Take every unresolved escalation's due ladder step once (with its messages); return how many."""
    return sum(
        take_escalation_step(session, due, now=now, channels=channels, hours=policy.hours)
        for due in list_due_escalation_steps(session, now=now, policy=policy)
    )
