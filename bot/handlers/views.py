"""Modal submissions: a new question, a question handed off, an escalation raised, resolved or reassigned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.handlers.state import (
    checked_values,
    metadata,
    selected_date,
    selected_user,
    selected_value,
    text_value,
)
from bot.ids import Input, ViewId
from bot.publish import (
    announce,
    post_escalation,
    post_in_thread,
    post_nomination,
    post_question,
    refresh_question,
    tell_escalation_change,
)
from bot.services.admin import (
    assign_champions,
    check_admin,
    record_agreement,
    remove_committer,
    set_phase,
    upsert_person,
)
from bot.services.areas import set_away
from bot.services.errors import FieldErrors, UserError
from bot.services.escalations import (
    open_escalation,
    reassign_escalation,
    resolve_escalation,
    validate_escalation,
)
from bot.services.nominations import nomination_rules, open_nomination
from bot.services.questions import ask_question, ask_refusal, hand_off, validate_question
from bot.services.retros import Feedback, open_retro, submit_feedback
from bot.services.roster import find_person, find_person_by_slack_id
from bot.settings import Settings
from bot.views.admin import NDA_VALUE, done_modal, phase_announcement
from bot.views.questions import handed_off_text, notice_modal, refusal_text
from bot.views.retros import ANONYMOUS_VALUE
from storage.models import AgreementKind, Person, Phase, RetroAudience


def handle_ask_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Validate the question in the ack (field errors), then store it and post its thread."""
    try:
        draft = validate_question(
            pr_url=text_value(view, Input.PR_URL),
            text=text_value(view, Input.QUESTION),
            urgency=selected_value(view, Input.URGENCY),
        )
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    refusal = ask_refusal(session, person, today=now.date())
    if refusal is not None or person is None:
        ack(response_action="update", view=notice_modal("Not sent", refusal_text(refusal) if refusal else ""))
        return
    ack()
    card = ask_question(session, person, draft, now=now)
    post_question(client, session, card, settings=settings, now=now)


def handle_hand_off_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
) -> None:
    """Hand a question to the chosen person, then redraw its thread root and tell them in the thread."""
    question_id = int(metadata(view).get("question") or 0)
    target = find_person_by_slack_id(session, selected_user(view, Input.HAND_OFF_TO) or "")
    if target is None or target.id is None:
        ack(
            response_action="errors",
            errors={Input.HAND_OFF_TO.value: "Choose someone on the Core Committer roster."},
        )
        return
    try:
        card = hand_off(session, question_id, person, target.id, now=now)
    except UserError as exc:
        ack(response_action="errors", errors={Input.HAND_OFF_TO.value: str(exc)})
        return
    ack()
    assert person is not None
    refresh_question(client, card)
    post_in_thread(
        client,
        session,
        card,
        key=f"question-handoff:{card.id}:{target.id}:{now:%Y%m%d%H%M%S}",
        text=handed_off_text(card, person),
        now=now,
    )


def handle_escalate_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Validate the escalation in the ack (field errors), then store it and post it to management."""
    extra = metadata(view)
    committer = selected_value(view, Input.ESCALATION_COMMITTER)
    try:
        draft = validate_escalation(
            session,
            person,
            committer_id=int(committer) if committer and committer.isdigit() else None,
            summary=text_value(view, Input.ESCALATION_SUMMARY),
            impact=text_value(view, Input.ESCALATION_IMPACT),
            related=text_value(view, Input.ESCALATION_RELATED),
            urgency=selected_value(view, Input.URGENCY),
            question_id=int(extra["question"]) if str(extra.get("question", "")).isdigit() else None,
            source_url=str(extra.get("source") or "")[:500] or None,
        )
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    ack()
    assert person is not None
    card = open_escalation(session, person, draft, now=now)
    post_escalation(client, session, card, settings=settings, now=now)


def handle_resolve_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
) -> None:
    """Resolve the escalation with the note, then redraw its post and tell the committer."""
    try:
        card = resolve_escalation(
            session,
            int(metadata(view).get("escalation") or 0),
            person,
            text_value(view, Input.RESOLUTION),
            now=now,
        )
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    ack()
    tell_escalation_change(client, session, card, "resolved", now=now)


def handle_reassign_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
) -> None:
    """Give the escalation to the chosen manager, then tell them and the committer."""
    chosen = selected_value(view, Input.REASSIGN_TO) or ""
    try:
        card = reassign_escalation(
            session,
            int(metadata(view).get("escalation") or 0),
            person,
            int(chosen) if chosen.isdigit() else 0,
            now=now,
        )
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    ack()
    tell_escalation_change(client, session, card, "reassigned", now=now, actor=person)


def handle_retro_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
) -> None:
    """Store the 4Ls (field errors in the ack) and thank the participant."""
    feedback = Feedback(
        liked=text_value(view, Input.LIKED),
        lacked=text_value(view, Input.LACKED),
        learned=text_value(view, Input.LEARNED),
        longed_for=text_value(view, Input.LONGED_FOR),
        anonymous=ANONYMOUS_VALUE in checked_values(view, Input.ANONYMOUS),
    )
    try:
        retro = submit_feedback(session, person, int(metadata(view).get("retro") or 0), feedback, now=now)
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    thanks = "Thank you! Your feedback is saved" + (" anonymously" if feedback.anonymous else "")
    ack(
        response_action="update",
        view=notice_modal(
            "Thank you", f"{thanks}; you can change it with `/cc-retro` until “{retro.name}” closes."
        ),
    )


def handle_nominate_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Open the nomination (field errors in the ack) and post it for voting."""
    rules = nomination_rules(settings)
    try:
        card = open_nomination(
            session,
            person,
            github=text_value(view, Input.GITHUB),
            name=text_value(view, Input.NAME),
            slack_user_id=selected_user(view, Input.SLACK_USER),
            organization=text_value(view, Input.ORGANIZATION),
            repos=text_value(view, Input.REPOS).replace(",", " ").split(),
            reason=text_value(view, Input.REASON),
            now=now,
            rules=rules,
        )
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    ack()
    post_nomination(client, session, card, settings=settings)


def _date_value(view: dict[str, Any], block: Input) -> dt.date | None:
    value = selected_date(view, block)
    return dt.date.fromisoformat(value) if value else None


def handle_admin_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Apply one admin change (field errors in the ack), confirm it, and announce a phase change."""
    actor = check_admin(session, person, settings.admins)
    kind = ViewId(str(view.get("callback_id")))
    announcement = None
    try:
        if kind is ViewId.ADMIN_PHASE:
            change = set_phase(
                session,
                actor,
                phase=Phase(selected_value(view, Input.PHASE) or Phase.PILOT.value),
                nda_required=NDA_VALUE in checked_values(view, Input.NDA),
                milestones=text_value(view, Input.MILESTONES),
                now=now,
            )
            announcement = phase_announcement(change)
            done = f"The program is now in the *{change.new.value}* phase."
        elif kind is ViewId.ADMIN_AGREEMENT:
            label, status = record_agreement(
                session,
                actor,
                holder=text_value(view, Input.HOLDER),
                kind=AgreementKind(selected_value(view, Input.KIND) or AgreementKind.INDIVIDUAL.value),
                signed_on=_date_value(view, Input.SIGNED),
                expires_on=_date_value(view, Input.EXPIRES),
                now=now,
            )
            done = f"Recorded for {label}; their standing is now *{status}*."
        elif kind is ViewId.ADMIN_CHAMPIONS:
            committer, champions = assign_champions(
                session,
                actor,
                committer=text_value(view, Input.ESCALATION_COMMITTER),
                champions=text_value(view, Input.CHAMPIONS).replace(",", " ").split(),
                now=now,
            )
            done = f"{committer.github}'s champions: {', '.join(c.github for c in champions)}."
        elif kind is ViewId.ADMIN_PERSON:
            added, created = upsert_person(
                session,
                actor,
                github=text_value(view, Input.GITHUB),
                name=text_value(view, Input.NAME),
                slack_user_id=selected_user(view, Input.SLACK_USER),
                organization=text_value(view, Input.ORGANIZATION),
                roles=sorted(checked_values(view, Input.ROLES)),
                repos=text_value(view, Input.REPOS).replace(",", " ").split(),
                now=now,
            )
            done = f"{'Added' if created else 'Updated'} {added.github} ({added.status})."
        elif kind is ViewId.ADMIN_REMOVE:
            removed = remove_committer(
                session, actor, committer=text_value(view, Input.ESCALATION_COMMITTER), now=now
            )
            done = f"{removed.github} is now an alumnus."
        elif kind is ViewId.ADMIN_AWAY:
            away = find_person(session, text_value(view, Input.GITHUB))
            if away is None:
                raise FieldErrors({Input.GITHUB.value: "That GitHub handle is not on the roster."})
            until = _date_value(view, Input.AWAY_UNTIL)
            set_away(session, away, until, now=now, actor=actor.github)
            done = (
                f"{away.github} is away until {until}."
                if until
                else f"{away.github} is back in the rotations."
            )
        else:
            closes = _date_value(view, Input.RETRO_CLOSES)
            if closes is None:
                raise FieldErrors({Input.RETRO_CLOSES.value: "Choose the last day for feedback."})
            try:
                retro, people = open_retro(
                    session,
                    name=text_value(view, Input.RETRO_NAME),
                    closes_on=closes,
                    audience=RetroAudience(
                        selected_value(view, Input.RETRO_AUDIENCE) or RetroAudience.ALL.value
                    ),
                    now=now,
                    actor=actor.github,
                )
            except FieldErrors:
                raise
            except UserError as exc:
                raise FieldErrors({Input.RETRO_NAME.value: str(exc)}) from None
            done = f"Retro “{retro.name}” is open for {len(people)} participants; invitations go out within the hour."
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    ack(response_action="update", view=done_modal(done))
    if announcement is not None:
        key = f"phase:{change.new.value}:{now:%Y%m%d%H%M%S}"
        announce(client, session, key=key, channel=settings.coordination_channel, text=announcement, now=now)


ADMIN_VIEWS = (
    ViewId.ADMIN_PHASE,
    ViewId.ADMIN_AGREEMENT,
    ViewId.ADMIN_CHAMPIONS,
    ViewId.ADMIN_PERSON,
    ViewId.ADMIN_REMOVE,
    ViewId.ADMIN_AWAY,
    ViewId.ADMIN_RETRO,
)


def register(app: App) -> None:
    """Register the modal submissions."""
    app.view(ViewId.ASK.value)(handle_ask_submission)
    app.view(ViewId.HAND_OFF.value)(handle_hand_off_submission)
    app.view(ViewId.ESCALATE.value)(handle_escalate_submission)
    app.view(ViewId.RESOLVE_ESCALATION.value)(handle_resolve_submission)
    app.view(ViewId.REASSIGN_ESCALATION.value)(handle_reassign_submission)
    app.view(ViewId.RETRO.value)(handle_retro_submission)
    app.view(ViewId.NOMINATE.value)(handle_nominate_submission)
    for admin_view in ADMIN_VIEWS:
        app.view(admin_view.value)(handle_admin_submission)
