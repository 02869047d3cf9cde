"""Questions: `/cc-ask` and the `ask_champions` shortcut, the ask modal, the thread root's buttons, thread replies.

The ask modal's submission is answered at once and its question stored after the ack: a burst of submissions
must not hold Slack's 3 s past their ack (a late ack shows an error, and the natural retry would ask twice,
which the submission's identity keys turn into one question). Buttons do their database work before the ack,
so a refusal is answered before Slack's response goes out (Bolt drops the response of a listener that fails
right after acking).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.views import View
from sqlmodel import Session

from bot.handlers.answer import Deliver, decides, opens, reply_privately
from bot.handlers.state import button_id, metadata_id, selected_user, selected_value, text_value
from bot.ids import Action, Command, Event, Input, Shortcut, ViewId
from bot.middleware import Caller, Later, acks_first, identifies_later
from bot.services.errors import FieldErrors, NotOnRoster, UserError
from bot.services.questions import (
    ask_question,
    ask_refusal,
    claim_question,
    earlier_question,
    get_card,
    hand_off,
    hand_off_candidates,
    mark_answered,
    may_ask_now,
    record_reply,
    split_ask_text,
    submission_keys,
    validate_question,
    wait_on_committer,
)
from bot.services.questions.nudges import rate_nudge
from bot.services.roster import find_person_by_slack_id
from bot.types.decided import Decided
from bot.types.policy import Channels
from bot.types.questions import AskRefusal
from bot.views.blocks import notice_modal
from bot.views.questions import NO_CHANNEL, already_asked_modal, ask_modal, hand_off_modal, refusal_text
from storage.models import NudgeRating, Person

# Edits, deletions and joins carry a subtype; only plain messages (and file shares) are replies.
REPLY_SUBTYPES = {None, "file_share", "thread_broadcast"}


def _refusal(session: Session, caller: Caller, *, today: dt.date) -> AskRefusal | None:
    """Return why the caller may not ask: one statement for an active committer, the full look otherwise."""
    if may_ask_now(session, caller.user_id, today=today):
        return None
    return ask_refusal(session, caller.identify(), today=today)


def open_ask_modal(
    ack: Callable[..., None],
    command: dict[str, Any],
    respond: Callable[..., Any],
    client: WebClient,
    session: Session,
    caller: Caller,
    now: dt.datetime,
    channels: Channels,
) -> None:
    """Ack at once, then open the question modal pre-filled from `/cc-ask <url> <question>`, or say why not."""
    # Everything runs after the ack, which stays as cheap as Bolt's own.
    ack()
    refusal = _refusal(session, caller, today=now.date())
    session.close()  # the connection goes back to the pool before the call to Slack
    if refusal is not None or not channels.coordination:
        reply_privately(respond, refusal_text(refusal) if refusal else NO_CHANNEL)
        return
    pr_url, question = split_ask_text(command.get("text") or "")
    client.views_open(trigger_id=command["trigger_id"], view=ask_modal(pr_url=pr_url, question=question))


def open_ask_modal_from_shortcut(
    ack: Callable[..., None],
    shortcut: dict[str, Any],
    client: WebClient,
    session: Session,
    caller: Caller,
    now: dt.datetime,
    channels: Channels,
) -> None:
    """Open the question modal, or a modal saying why asking is closed to this person."""
    ack()
    refusal = _refusal(session, caller, today=now.date())
    session.close()  # the connection goes back to the pool before the call to Slack
    view: View | dict[str, Any]
    if refusal is not None:
        view = notice_modal("Cannot ask yet", refusal_text(refusal))
    elif not channels.coordination:
        view = notice_modal("Cannot ask yet", NO_CHANNEL)
    else:
        view = ask_modal()
    client.views_open(trigger_id=shortcut["trigger_id"], view=view)


@identifies_later
def handle_ask_submission(
    ack: Callable[..., None],
    view: dict[str, Any],
    session: Session,
    caller: Caller | None,
    now: dt.datetime,
    channels: Channels,
    deliver: Deliver,
    later: Later,
) -> None:
    """Answer in the ack what can be told at once (field errors, a refusal, the question this repeats), then store
    the question with its thread root and notices after the ack, off the threads that ack the next requests."""
    try:
        draft = validate_question(
            pr_url=text_value(view, Input.PR_URL),
            text=text_value(view, Input.QUESTION),
            urgency=selected_value(view, Input.URGENCY),
        )
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    user_id = caller.user_id if caller else ""
    keys = submission_keys(user_id, draft, view_id=str(view.get("id") or "") or None, now=now)
    # Slack's retry of a submission whose ack came late, or the same question sent again: one question.
    earlier = earlier_question(session, keys)
    if earlier is not None:
        ack(response_action="update", view=already_asked_modal(earlier))
        return
    if caller is None or not may_ask_now(session, user_id, today=now.date()):
        refusal = ask_refusal(session, caller.identify() if caller else None, today=now.date())
        if refusal is not None or caller is None:
            text = refusal_text(refusal) if refusal else ""
            ack(response_action="update", view=notice_modal("Not sent", text))
            return
    asker: Caller = caller
    session.close()  # the connection goes back to the pool while the work waits for its thread
    ack()

    def ask() -> None:
        # A failure from here on is told to the asker in a DM (bot/errors.py): the modal is closed.
        person = asker.identify()
        if person is None:
            raise NotOnRoster("You are not on the Core Committer roster, so your question was not sent.")
        decided = ask_question(session, person, draft, now=now, channels=channels, submission=keys)
        deliver(decided.keys)

    later(ask)


def handle_claim_action(
    action: dict[str, Any], session: Session, person: Person | None, now: dt.datetime
) -> Decided:
    """Claim a question for the clicker and redraw its thread root."""
    return claim_question(session, button_id(action, "a question"), person, now=now)


def handle_answered_action(
    action: dict[str, Any], session: Session, person: Person | None, now: dt.datetime
) -> Decided:
    """Close a question as answered and redraw its thread root."""
    return mark_answered(session, button_id(action, "a question"), person, now=now)


def handle_wait_on_committer_action(
    action: dict[str, Any], session: Session, person: Person | None, now: dt.datetime
) -> Decided:
    """Hand the question's turn back to the asker and redraw its thread root."""
    return wait_on_committer(session, button_id(action, "a question"), person, now=now)


# A nudge's rating buttons carry `question:step` (ASCII digits, within a database integer).
NUDGE_VALUE = re.compile(r"(?P<question>[1-9][0-9]{0,8}):(?P<step>[1-9][0-9]?)", re.ASCII)
RATINGS = {
    Action.NUDGE_HELPFUL.value: NudgeRating.HELPFUL,
    Action.NUDGE_NOT_HELPFUL.value: NudgeRating.NOT_HELPFUL,
}


def handle_nudge_rating_action(
    action: dict[str, Any], session: Session, person: Person | None, now: dt.datetime
) -> Decided:
    """Record the clicker's rating of a nudge DM (`question:step`) and redraw it acknowledged."""
    match = NUDGE_VALUE.fullmatch(str(action.get("value") or ""))
    if match is None:
        raise UserError("These buttons are out of date; rate the nudge from its latest message.")
    rating = RATINGS[str(action.get("action_id"))]
    return rate_nudge(
        session, person, question_id=int(match["question"]), step=int(match["step"]), rating=rating, now=now
    )


def handle_hand_off_action(action: dict[str, Any], session: Session, person: Person | None) -> View:
    """Open the hand-off modal, suggesting the other champion."""
    question_id = button_id(action, "a question")
    candidates = hand_off_candidates(session, question_id, person)
    return hand_off_modal(get_card(session, question_id), candidates)


def handle_hand_off_submission(
    view: dict[str, Any], session: Session, person: Person | None, now: dt.datetime
) -> Decided:
    """Hand a question to the chosen person (a refusal beside the field), redraw its thread root and tell them."""
    question_id = metadata_id(view, "question", "a question")
    target = find_person_by_slack_id(session, selected_user(view, Input.HAND_OFF_TO) or "")
    if target is None or target.id is None:
        raise FieldErrors({Input.HAND_OFF_TO.value: "Choose someone on the Core Committer roster."})
    try:
        return hand_off(session, question_id, person, target.id, now=now)
    except UserError as exc:
        raise FieldErrors({Input.HAND_OFF_TO.value: str(exc)}) from None


def record_thread_reply(event: dict[str, Any], session: Session, now: dt.datetime, deliver: Deliver) -> None:
    """Record a reply in a question's thread and redraw the root when the question's state changed."""
    thread_ts, ts, user = event.get("thread_ts"), event.get("ts"), event.get("user")
    if event.get("subtype") not in REPLY_SUBTYPES or event.get("bot_id") or not user:
        return
    if not thread_ts or not ts or thread_ts == ts:
        return
    decided = record_reply(
        session,
        channel=str(event.get("channel") or ""),
        thread_ts=str(thread_ts),
        ts=str(ts),
        slack_user_id=str(user),
        now=now,
    )
    if decided is not None:
        deliver(decided.keys)


def register(app: App) -> None:
    """Register everything of the questions feature."""
    app.command(Command.ASK.value)(acks_first(open_ask_modal))
    app.shortcut(Shortcut.ASK_CHAMPIONS.value)(acks_first(open_ask_modal_from_shortcut))
    app.view(ViewId.ASK.value)(handle_ask_submission)
    app.action(Action.CLAIM_QUESTION.value)(decides(handle_claim_action))
    app.action(Action.ANSWER_QUESTION.value)(decides(handle_answered_action))
    app.action(Action.HAND_OFF_QUESTION.value)(opens(handle_hand_off_action))
    app.action(Action.WAIT_ON_COMMITTER.value)(decides(handle_wait_on_committer_action))
    for rating in RATINGS:
        app.action(rating)(decides(handle_nudge_rating_action))
    app.view(ViewId.HAND_OFF.value)(decides(handle_hand_off_submission))
    app.event(Event.MESSAGE.value)(record_thread_reply)
