"""Questions on pull requests: asking, routing to champions, claiming, answering in threads, handing off."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.services import submissions
from bot.services.activity import record_activity
from bot.services.areas import Route, area_manager, route_by_area
from bot.services.audit import audit
from bot.services.errors import FieldErrors, NotOnRoster, UserError, urgency_field
from bot.services.outbox import Outgoing, commit, dm, post, posting_of, redraw, reply, subject_at
from bot.services.policy import current_policy
from bot.services.responsiveness import start_turns, take_turn
from bot.services.roster import get_profile
from bot.types.decided import Decided
from bot.types.github import canonical_pr_url, parse_pr_url
from bot.types.keys import Kind, Subject
from bot.types.limits import QUESTION_MAX
from bot.types.outbox import REASON
from bot.types.policy import Channels, PhasePolicy
from bot.types.questions import AskRefusal, QuestionCard, QuestionDraft
from bot.views import questions as views
from storage import questions as store
from storage import roster as roster_store
from storage.models import (
    ActivityKind,
    Person,
    Question,
    QuestionReply,
    QuestionState,
    Role,
    Status,
    Turn,
    TurnCause,
    Urgency,
)
from storage.submissions import Keys

# People who answer questions besides those a question is routed to.
RESPONDER_ROLES = {Role.CHAMPION, Role.MANAGER, Role.ADMIN, Role.OWNER}
MANAGING_ROLES = {Role.MANAGER, Role.ADMIN}


def split_ask_text(text: str) -> tuple[str, str]:
    """Split `/cc-ask` text into a leading URL (if any) and the question, to pre-fill the modal."""
    stripped = text.strip()
    first, _, rest = stripped.partition(" ")
    url = first.strip("<>").split("|")[0]
    if url.startswith(("http://", "https://")):
        return url, rest.strip()
    return "", stripped


def validate_question(*, pr_url: str | None, text: str | None, urgency: str | None) -> QuestionDraft:
    """Return the draft for valid input; raise FieldErrors naming each field to fix."""
    errors: dict[str, str] = {}
    url = (pr_url or "").strip()
    parsed = parse_pr_url(url)
    if not url:
        errors["pr_url"] = "Paste the link to the pull request."
    elif parsed is None:
        errors["pr_url"] = (
            "That is not a GitHub pull request link: use https://github.com/<org>/<repo>/pull/<number>."
        )
    body = (text or "").strip()
    if not body:
        errors["question"] = "Write your question for the champions."
    elif len(body) > QUESTION_MAX:
        errors["question"] = f"Keep the question under {QUESTION_MAX} characters (it has {len(body)})."
    level = urgency_field(urgency, errors)
    if errors:
        raise FieldErrors(errors)
    assert parsed is not None
    repo, number = parsed
    return QuestionDraft(
        pr_url=canonical_pr_url(repo, number), repo=repo, pr_number=number, text=body, urgency=level
    )


def ask_refusal(session: Session, person: Person | None, *, today: dt.date) -> AskRefusal | None:
    """Return what stands in the way of this person asking, or None when they may ask."""
    if person is None or person.id is None:
        return AskRefusal("not_on_roster")
    # Fast path: the stored standing of an active committer (kept fresh by imports, admin changes and the
    # hourly expiry job); ask_question checks again in full when the question is submitted.
    if roster_store.is_active_committer(session, person_id=person.id, active=Status.ACTIVE, today=today):
        return None
    profile = get_profile(session, person.id, today=today)
    if Role.COMMITTER not in profile.roles:
        return AskRefusal("not_committer")
    status = profile.standing.status
    if status is Status.ACTIVE:
        return None
    return AskRefusal("standing", status=status, gaps=tuple(profile.standing.gaps))


def may_ask_now(session: Session, slack_user_id: str, *, today: dt.date) -> bool:
    """Whether this Slack user may ask, by the stored standing alone (one statement; False means "look closer").

    The question modal opens on this; `ask_refusal` says why not when it is False, and `ask_question`
    checks the full standing again when the question is submitted.
    """
    return roster_store.is_active_committer(
        session, slack_user_id=slack_user_id, active=Status.ACTIVE, today=today
    )


def route_question(
    session: Session, committer_id: int, repo: str, *, policy: PhasePolicy, today: dt.date
) -> Route:
    """Return where a question goes: phases 1-2 the committer's champions; scale the repo area's on-duty responder."""
    if policy.routes_by_area:
        return route_by_area(session, repo, today=today)
    return Route(
        responders=[champion for _, champion in roster_store.list_active_champions(session, committer_id)]
    )


def submission_keys(
    user_id: str, draft: QuestionDraft, *, view_id: str | None, now: dt.datetime
) -> dict[str, dt.datetime | None]:
    """Return the identity of an ask-modal submission: its view, and its asker, pull request and text."""
    return submissions.submission_keys(
        "question", user_id, [draft.pr_url, draft.text], view_id=view_id, now=now
    )


def earlier_question(session: Session, keys: Keys) -> QuestionCard | None:
    """Return the question an earlier submission with one of these keys asked (one read when none), or None."""
    subject = submissions.earlier_subject(session, keys)
    return _subject_card(session, subject) if subject else None


def _subject_card(session: Session, subject: str) -> QuestionCard | None:
    kind, _, number = subject.partition(":")
    question = store.get_question(session, int(number)) if kind == "question" and number.isdigit() else None
    return _card(session, question) if question is not None else None


def ask_question(
    session: Session,
    person: Person,
    draft: QuestionDraft,
    *,
    now: dt.datetime,
    channels: Channels,
    submission: Keys | None = None,
) -> Decided[QuestionCard]:
    """Store a question routed to the asker's responders, with its thread root and notices (committed).

    With `submission` (its identity keys), a submission that repeats an earlier one asks nothing: the asker
    is sent the earlier question's thread instead (`repeated`).
    """
    assert person.id is not None
    standing = get_profile(session, person.id, today=now.date()).standing
    if standing.status is not Status.ACTIVE:
        raise UserError("You cannot ask right now: `/cc` shows what is missing from your standing.")
    # The first write: a concurrent submission with the same identity waits here, then finds this one.
    earlier = submissions.claim(session, submission, now=now) if submission else None
    if earlier is not None:
        return _repeated(session, person, earlier, submission or {}, now=now)
    repo = roster_store.get_or_add_repo(session, draft.repo)
    granted = {
        (grant_repo.key if grant_repo else "")
        for _, grant_repo in roster_store.list_active_grants(session, person.id)
    }
    org_wide = draft.repo.split("/")[0].lower() + "/*"
    route = route_question(
        session, person.id, repo.full_name, policy=current_policy(session), today=now.date()
    )
    channel = route.channel or channels.coordination
    if not channel:
        raise UserError(NO_CHANNEL)
    responders = route.responders
    question = store.add_question(
        session,
        Question(
            committer_id=person.id,
            repo_id=repo.id,
            pr_url=draft.pr_url,
            pr_number=draft.pr_number,
            text=draft.text,
            urgency=draft.urgency,
            has_grant=repo.key in granted or org_wide in granted,
            asked_at=now,
            area_id=route.area.id if route.area else None,
        ),
        [p.id for p in responders if p.id is not None],
    )
    start_turns(session, question)
    if submission:
        submissions.record(session, submission, question_subject(question))
    record_activity(session, person.id, ActivityKind.QUESTION, now, question_subject(question))
    audit(
        session,
        now,
        person,
        "question.asked",
        question_subject(question),
        pr=draft.pr_url,
        urgency=draft.urgency,
    )
    card = _card(session, question)
    return Decided(card, commit(session, asked_messages(card, channel), now=now))


def _repeated(
    session: Session, person: Person, subject: str, submission: Keys, *, now: dt.datetime
) -> Decided[QuestionCard]:
    """Tell the asker that a submission repeats an earlier question: a DM linking that question's thread."""
    card = _subject_card(session, subject)
    if card is None:
        raise UserError("You asked this a moment ago, but that question no longer exists; ask again.")
    notice = dm(
        Kind.QUESTION_REPEATED,
        [card.id, person.id, f"{now:%Y%m%d%H%M%S%f}", *sorted(submission)],
        person.slack_user_id,
        views.repeated_notice(card),
        after=card.subject,
    )
    return Decided(card, commit(session, [notice], now=now), repeated=True)


NO_CHANNEL = (
    "Questions cannot be posted yet: the coordination channel is not configured "
    "(CCBOT_COORDINATION_CHANNEL). Tell a program admin."
)


def question_subject(question: Question) -> str:
    """Return the subject of a question's thread root."""
    return Subject.question(question.id or 0)


def asked_messages(card: QuestionCard, channel: str) -> list[Outgoing | None]:
    """Return what asking implies: the thread root, the asker's confirmation, urgent DMs to the responders."""
    subject = card.subject
    delayed = dm(
        Kind.QUESTION_DELAYED, [card.id], card.committer.slack_user_id, views.post_failed_notice(card, REASON)
    )
    messages: list[Outgoing | None] = [
        post(
            Kind.QUESTION_ROOT,
            [card.id],
            channel,
            views.question_text(card),
            blocks=views.question_blocks(card),
            subject=subject,
            fallback=delayed,
        ),
        dm(
            Kind.QUESTION_CONFIRM,
            [card.id],
            card.committer.slack_user_id,
            views.ask_confirmation(card),
            after=subject,
        ),
    ]
    if card.question.urgency == Urgency.URGENT:
        messages += [
            dm(
                Kind.QUESTION_URGENT,
                [card.id, p.id],
                p.slack_user_id,
                views.urgent_notice(card),
                after=subject,
            )
            for p in card.responders
        ]
    return messages


def redraw_question(card: QuestionCard) -> Outgoing:
    """Return the redraw of a question's thread root in its current state."""
    return redraw(card.subject, views.question_text(card), views.question_blocks(card))


def get_card(session: Session, question_id: int) -> QuestionCard:
    """Return a question with its committer, responders and the people who acted on it."""
    question = store.get_question(session, question_id)
    if question is None:
        raise UserError(
            "That question no longer exists; ask again with `/cc-ask` if you still need an answer."
        )
    return _card(session, question)


def _card(session: Session, question: Question) -> QuestionCard:
    assert question.id is not None
    committer = roster_store.get_person(session, question.committer_id)
    assert committer is not None
    repo = roster_store.get_repo_by_id(session, question.repo_id) if question.repo_id else None

    def person(person_id: int | None) -> Person | None:
        return roster_store.get_person(session, person_id) if person_id else None

    return QuestionCard(
        question=question,
        committer=committer,
        repo=repo.full_name if repo else "",
        responders=store.list_responders(session, question.id),
        claimed_by=person(question.claimed_by_id),
        first_responder=person(question.first_responder_id),
        answered_by=person(question.answered_by_id),
        manager=area_manager(session, question.area_id) if question.area_id else person(committer.manager_id),
        posting=posting_of(session, Subject.question(question.id)),
    )


def _roles(session: Session, person: Person) -> set[Role]:
    assert person.id is not None
    return roster_store.list_powers(session, person.id)


def _may_respond(session: Session, person: Person, card: QuestionCard) -> bool:
    if person.id == card.committer.id or person.removed_on is not None:
        return False
    if any(r.id == person.id for r in card.responders) or (
        card.claimed_by and card.claimed_by.id == person.id
    ):
        return True
    return bool(_roles(session, person) & RESPONDER_ROLES)


def _may_hand_off(session: Session, person: Person, card: QuestionCard) -> bool:
    """Whether this person may hand the question off: its responders and claimant, managers and admins."""
    if person.id == card.committer.id or person.removed_on is not None:
        return False
    if any(r.id == person.id for r in card.responders) or (
        card.claimed_by and card.claimed_by.id == person.id
    ):
        return True
    return bool(_roles(session, person) & MANAGING_ROLES)


HAND_OFF_REFUSAL = (
    "Only the champions this question went to, whoever has it now, a manager or an admin can hand it off. "
    "To take it yourself, use Claim."
)


def _actor(person: Person | None) -> Person:
    if person is None or person.id is None:
        raise NotOnRoster(
            "Only people on the Core Committer roster can act on questions. Ask a program admin."
        )
    return person


def _locked_card(session: Session, question_id: int) -> QuestionCard:
    question = store.get_question_for_update(session, question_id)
    if question is None:
        raise UserError(
            "That question no longer exists; ask again with `/cc-ask` if you still need an answer."
        )
    return _card(session, question)


def _redrawn(session: Session, question: Question, *, now: dt.datetime) -> Decided[QuestionCard]:
    """Commit a change to a question together with the redraw of its thread root."""
    session.add(question)
    session.flush()
    card = _card(session, question)
    return Decided(card, commit(session, [redraw_question(card)], now=now))


def claim_question(
    session: Session, question_id: int, person: Person | None, *, now: dt.datetime
) -> Decided[QuestionCard]:
    """Make `person` the owner of a question; refuse the asker, other committers and taken questions."""
    actor = _actor(person)
    card = _locked_card(session, question_id)
    question = card.question
    if not _may_respond(session, actor, card):
        raise UserError(
            "Only the committer's champions (or another champion, a manager or an admin) can claim a question."
        )
    if question.state == QuestionState.ANSWERED:
        raise UserError("This question is already answered. If it needs more, reply in its thread.")
    if card.claimed_by is not None:
        if card.claimed_by.id == actor.id:
            raise UserError(
                "You have already claimed this question; reply in its thread, then Mark answered or Hand off."
            )
        raise UserError(
            f"{card.claimed_by.name or card.claimed_by.github} has already claimed it. "
            "Ask them to use *Hand off* if you should take it."
        )
    question.state, question.claimed_by_id, question.claimed_at = QuestionState.CLAIMED, actor.id, now
    audit(session, now, actor, "question.claimed", card.subject)
    return _redrawn(session, question, now=now)


def mark_answered(
    session: Session, question_id: int, person: Person | None, *, now: dt.datetime
) -> Decided[QuestionCard]:
    """Close a question as answered; the asker or anyone who may respond can do it."""
    actor = _actor(person)
    card = _locked_card(session, question_id)
    question = card.question
    if actor.id != card.committer.id and not _may_respond(session, actor, card):
        raise UserError(
            "Only the asker, their champions, a manager or an admin can mark this question answered."
        )
    if question.state == QuestionState.ANSWERED:
        raise UserError(
            "This question is already marked answered; a reply from the asker in its thread reopens it."
        )
    question.state, question.answered_at, question.answered_by_id = (
        QuestionState.ANSWERED,
        now,
        actor.id,
    )
    if question.first_response_at is None and actor.id != card.committer.id:
        question.first_response_at, question.first_responder_id = now, actor.id
    take_turn(session, question, Turn.COMMITTER, at=now, cause=TurnCause.ANSWERED, by=actor.id)
    audit(session, now, actor, "question.answered", card.subject)
    return _redrawn(session, question, now=now)


def wait_on_committer(
    session: Session, question_id: int, person: Person | None, *, now: dt.datetime
) -> Decided[QuestionCard]:
    """Hand the turn back to the asker (a responder asked something back): the SLA clock stops until they reply.

    Pressing it is a response: it records the first response when there was none.
    """
    actor = _actor(person)
    card = _locked_card(session, question_id)
    question = card.question
    if not _may_respond(session, actor, card):
        raise UserError(
            "Only the committer's champions (or another champion, a manager or an admin) can hand the turn back."
        )
    if question.state == QuestionState.ANSWERED:
        raise UserError("This question is already answered; a reply from the asker in its thread reopens it.")
    if question.turn == Turn.COMMITTER:
        raise UserError(
            "This question is already waiting on the committer; their reply in the thread hands it back."
        )
    if question.first_response_at is None:
        question.first_response_at, question.first_responder_id = now, actor.id
    take_turn(session, question, Turn.COMMITTER, at=now, cause=TurnCause.BUTTON, by=actor.id)
    audit(session, now, actor, "question.waiting_on_committer", card.subject)
    session.add(question)
    session.flush()
    card = _card(session, question)
    note = reply(
        Kind.QUESTION_TURN,
        [card.id, f"{now:%Y%m%d%H%M%S%f}"],
        card.subject,
        views.waiting_on_committer_text(card, actor),
    )
    return Decided(card, commit(session, [redraw_question(card), note], now=now))


def hand_off(
    session: Session, question_id: int, person: Person | None, to_person_id: int, *, now: dt.datetime
) -> Decided[QuestionCard]:
    """Give a question to someone else to answer; they become its claimant."""
    actor = _actor(person)
    card = _locked_card(session, question_id)
    question = card.question
    if not _may_hand_off(session, actor, card):
        raise UserError(HAND_OFF_REFUSAL)
    if question.state == QuestionState.ANSWERED:
        raise UserError(
            "This question is already answered, so there is nothing to hand off; reply in its thread if it needs more."
        )
    target = roster_store.get_person(session, to_person_id)
    if target is None or target.removed_on is not None:
        raise UserError("Choose someone on the roster to hand the question to.")
    if target.id == card.committer.id:
        raise UserError("The asker cannot answer their own question; choose a champion or a technical owner.")
    if card.claimed_by is not None and card.claimed_by.id == target.id:
        raise UserError(f"{target.name or target.github} already has this question; choose someone else.")
    question.state, question.claimed_by_id, question.claimed_at = QuestionState.CLAIMED, target.id, now
    audit(session, now, actor, "question.handed_off", card.subject, to=target.github)
    session.add(question)
    session.flush()
    card = _card(session, question)
    note = reply(
        Kind.QUESTION_HANDOFF,
        [card.id, target.id, f"{now:%Y%m%d%H%M%S}"],
        card.subject,
        views.handed_off_text(card, actor),
    )
    return Decided(card, commit(session, [redraw_question(card), note], now=now))


def hand_off_candidates(session: Session, question_id: int, person: Person | None) -> list[Person]:
    """Return the people a question is usually handed to: its other responders, then other champions."""
    actor = _actor(person)
    card = get_card(session, question_id)
    if not _may_hand_off(session, actor, card):
        raise UserError(HAND_OFF_REFUSAL)
    excluded = {actor.id, card.committer.id, card.claimed_by.id if card.claimed_by else None}
    others = [p for p in card.responders if p.id not in excluded]
    champions = roster_store.list_people_with_role(session, Role.CHAMPION)
    return others + [p for p in champions if p.id not in excluded and p not in others]


def record_reply(
    session: Session, *, channel: str, thread_ts: str, ts: str, slack_user_id: str, now: dt.datetime
) -> Decided[QuestionCard] | None:
    """Record a message in a question's thread and update the question; None when it is not a question thread.

    Only people on the roster move a question: a reply from anyone else is kept but neither answers
    it nor stops its SLA ladder.
    """
    subject = subject_at(session, channel, thread_ts)
    kind, _, number = (subject or "").partition(":")
    question = store.get_question(session, int(number)) if kind == "question" and number.isdigit() else None
    if question is None or question.id is None:
        return None
    author = roster_store.get_person_by_slack_id(session, slack_user_id)
    fresh = store.add_reply(
        session,
        QuestionReply(
            question_id=question.id,
            ts=ts,
            slack_user_id=slack_user_id,
            person_id=author.id if author else None,
            at=now,
        ),
    )
    if not fresh or author is None or author.removed_on is not None:
        session.commit()
        return Decided(_card(session, question))
    question = store.get_question_for_update(session, question.id) or question
    card = _card(session, question)
    changed = False
    if author.id == card.committer.id:
        if question.state == QuestionState.ANSWERED:
            question.state = QuestionState.CLAIMED if question.claimed_by_id else QuestionState.OPEN
            question.reopened_at, question.answered_at, question.answered_by_id = now, None, None
            audit(session, now, author, "question.reopened", card.subject, ts=ts)
            changed = True
        # The asker's reply puts the question back on the champions' turn.
        changed |= take_turn(session, question, Turn.CHAMPIONS, at=now, cause=TurnCause.REPLY, by=author.id)
    else:
        # A responder's reply puts it on the committer's turn; anyone else's leaves the turn where it is.
        if _may_respond(session, author, card) and question.state != QuestionState.ANSWERED:
            changed |= take_turn(
                session, question, Turn.COMMITTER, at=now, cause=TurnCause.REPLY, by=author.id
            )
        if question.first_response_at is None:
            question.first_response_at, question.first_responder_id = now, author.id
            changed = True
        answers = any(r.id == author.id for r in card.responders) or question.claimed_by_id == author.id
        if answers and question.state != QuestionState.ANSWERED:
            question.state, question.answered_at, question.answered_by_id = (
                QuestionState.ANSWERED,
                now,
                author.id,
            )
            changed = True
            audit(session, now, author, "question.answered", card.subject, ts=ts)
    if not changed:
        session.commit()
        return Decided(card)
    return _redrawn(session, question, now=now)
