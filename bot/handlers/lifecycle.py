"""The program's yearly life in Slack: Snooze buttons, reminder preferences (App Home), recommitment answers,
and the admins' one-click decisions on non-answerers and inactive committers.

Each button does its database work before the ack, so a refusal is answered in the click's own response.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.handlers.state import Deliver, button_id, reply_privately, selected_date, text_value
from bot.ids import Action, Input, ViewId
from bot.services.admin import Decided, check_admin
from bot.services.errors import FieldErrors, NotOnRoster, UserError
from bot.services.home import build_home
from bot.services.membership import decide_inactive
from bot.services.policy import Channels, Policy
from bot.services.quiet import SnoozeChoice, parse_hours, quiet_summary, set_preferences, snooze
from bot.services.renewals import answer_renewal, decide_listed
from bot.views.admin import done_modal
from bot.views.home import home_blocks, paged_home
from bot.views.quiet import quiet_settings_modal
from bot.views.text import Mrkdwn
from storage.models import InactivityDecision, Person, RenewalAnswer


def _tell(respond: Callable[..., Any], body: dict[str, Any], text: Mrkdwn) -> None:
    # Clicks in App Home carry no response_url: the republished tab shows the outcome there.
    if body.get("response_url"):
        reply_privately(respond, text, replace_original=False)


def _republish_home(
    client: WebClient,
    body: dict[str, Any],
    session: Session,
    person: Person,
    now: dt.datetime,
    policy: Policy,
) -> None:
    user_id = (body.get("user") or {}).get("id")
    if user_id and person.id is not None:
        home = build_home(session, person.id, now=now, policy=policy)
        client.views_publish(user_id=user_id, view=paged_home(home_blocks(home, now=now), 1))


def handle_snooze_action(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Callable[..., Any],
    session: Session,
    person: Person | None,
    now: dt.datetime,
    policy: Policy,
) -> None:
    """Snooze the reminder the button sits on: it comes back once, a day or three later or on Monday."""
    try:
        choice = SnoozeChoice(str(action.get("action_id", "")).split(":", 1)[1])
    except (IndexError, ValueError):
        raise UserError("This Snooze button is out of date; use the one on the latest reminder.") from None
    snoozed = snooze(
        session, person, key=str(action.get("value") or ""), choice=choice, now=now, hours=policy.hours
    )
    ack()
    _tell(respond, body, snoozed.text)


def open_quiet_settings(
    ack: Callable[..., None],
    body: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    policy: Policy,
) -> None:
    """Open the modal with the person's reminder pause and working hours."""
    if person is None or person.id is None:
        raise NotOnRoster("Only people on the Core Committer roster have reminders to set.")
    summary = quiet_summary(session, person, now=now, hours=policy.hours)
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=quiet_settings_modal(summary))


def handle_quiet_settings_submission(
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    policy: Policy,
    deliver: Deliver,
) -> None:
    """Save the pause and working hours (field errors in the ack), move held reminders, refresh App Home."""
    try:
        saved = set_preferences(
            session,
            person,
            paused_until=selected_date(view, Input.PAUSE_UNTIL),
            own_hours=parse_hours(text_value(view, Input.OWN_HOURS)),
            now=now,
            hours=policy.hours,
        )
    except FieldErrors as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    ack(response_action="update", view=done_modal(saved.text))
    deliver(saved.keys)
    assert person is not None
    _republish_home(client, body, session, person, now, policy)


def handle_renewal_answer(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Callable[..., Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    policy: Policy,
    channels: Channels,
    deliver: Deliver,
) -> None:
    """Record a Recommit for YEAR or Step down, and confirm it to the person (or say why it is refused)."""
    recommit = action.get("action_id") == Action.RENEWAL_RECOMMIT.value
    decided = answer_renewal(
        session,
        button_id(action, "a recommitment"),
        person,
        answer=RenewalAnswer.RECOMMITTED if recommit else RenewalAnswer.STEPPED_DOWN,
        now=now,
        channels=channels,
    )
    ack()
    deliver(decided.keys)
    _tell(respond, body, decided.confirmation)
    if (body.get("container") or {}).get("type") == "view" and person is not None:
        _republish_home(client, body, session, person, now, policy)


Decide = Callable[[Session, int, Person, dt.datetime, Policy, Channels], Decided]

# The admins' one-click buttons: what each decides, and what its value points at.
ADMIN_DECISIONS: dict[str, tuple[str, Decide]] = {
    Action.RENEWAL_MOVE.value: (
        "a recommitment",
        lambda session, target, actor, now, policy, channels: decide_listed(
            session, target, actor, extend=False, now=now, policy=policy
        ),
    ),
    Action.RENEWAL_EXTEND.value: (
        "a recommitment",
        lambda session, target, actor, now, policy, channels: decide_listed(
            session, target, actor, extend=True, now=now, policy=policy
        ),
    ),
    Action.INACTIVE_KEEP.value: (
        "an inactivity proposal",
        lambda session, target, actor, now, policy, channels: decide_inactive(
            session,
            target,
            actor,
            decision=InactivityDecision.KEPT,
            now=now,
            policy=policy.lifecycle,
            channels=channels,
        ),
    ),
    Action.INACTIVE_MOVE.value: (
        "an inactivity proposal",
        lambda session, target, actor, now, policy, channels: decide_inactive(
            session,
            target,
            actor,
            decision=InactivityDecision.MOVED,
            now=now,
            policy=policy.lifecycle,
            channels=channels,
        ),
    ),
}


def handle_admin_decision(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Callable[..., Any],
    session: Session,
    person: Person | None,
    now: dt.datetime,
    policy: Policy,
    channels: Channels,
    deliver: Deliver,
) -> None:
    """An admin settles a non-answerer (Move to alumni / Extend a month) or an inactive committer (Keep / Move)."""
    actor = check_admin(session, person, channels.admins)
    what, decide = ADMIN_DECISIONS[str(action.get("action_id"))]
    decided = decide(session, button_id(action, what), actor, now, policy, channels)
    ack()
    deliver(decided.keys)
    _tell(respond, body, decided.confirmation)


def register(app: App) -> None:
    """Register everything of the program's yearly life."""
    app.action(re.compile(f"^{Action.SNOOZE.value}:"))(handle_snooze_action)
    app.action(Action.QUIET_SETTINGS.value)(open_quiet_settings)
    app.view(ViewId.QUIET_SETTINGS.value)(handle_quiet_settings_submission)
    app.action(Action.RENEWAL_RECOMMIT.value)(handle_renewal_answer)
    app.action(Action.RENEWAL_STEP_DOWN.value)(handle_renewal_answer)
    for action_id in ADMIN_DECISIONS:
        app.action(action_id)(handle_admin_decision)
