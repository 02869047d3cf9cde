"""Answering Slack once a handler has decided: field errors in the ack, else the ack (or the modal's next view),
then delivery of the messages the decision committed, then an ephemeral word when there is one to say; or, for a
handler that opens a modal, the ack and then the modal.

Such handlers are plain functions returning the decision (`decides`) or the modal (`opens`), which make them Bolt
listeners. Any other refusal (a `UserError`) raised before the ack is left to the app's one error handler
(bot/errors.py), which answers it in the ack: an ephemeral message for a click, a "Not saved" modal for a submission.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from slack_bolt import App, BoltContext
from slack_sdk.models.views import View
from sqlmodel import Session

from bot.handlers.state import button_id
from bot.services.admin import check_admin
from bot.services.errors import FieldErrors
from bot.types.decided import Decided
from bot.types.policy import Channels, Policy
from bot.views.text import Mrkdwn
from storage.models import Person

# What handlers get as `deliver`: send the outbox messages a decision committed, by key.
Deliver = Callable[[Sequence[str]], None]
Result = TypeVar("Result")
# What a submission's modal becomes once decided (None: it closes).
NextView = Callable[[Result], View | dict[str, Any] | None]


def answer_command(
    ack: Callable[..., None], text: Mrkdwn, blocks: Sequence[Any] | None = None, **options: Any
) -> None:
    """Answer a slash command in its ack; `text` is the notification text (the whole answer without blocks)."""
    ack(text=text, blocks=blocks, **options) if blocks is not None else ack(text=text, **options)


def reply_privately(respond: Callable[..., Any], text: Mrkdwn, **options: Any) -> None:
    """Tell the person who clicked or typed, and only them, through the request's response_url."""
    respond(text=text, response_type="ephemeral", **options)


def tell(respond: Callable[..., Any], body: dict[str, Any], text: Mrkdwn) -> None:
    """Answer a click with an ephemeral word; clicks in App Home carry no response_url, and the republished tab
    shows the outcome there."""
    if body.get("response_url"):
        reply_privately(respond, text, replace_original=False)


def answer(
    ack: Callable[..., None],
    deliver: Deliver,
    body: dict[str, Any],
    decide: Callable[[], Result],
    *,
    update: NextView[Result] | None = None,
) -> Result | None:
    """Decide before the ack, so a refusal is answered in it; return the decision once acked and delivered.

    A submission's field errors are answered in the ack beside their fields (None is returned); `update` gives
    the view the modal becomes. The decision's `keys`, when it has any, are delivered after the ack.
    """
    try:
        decided = decide()
    except FieldErrors as exc:
        if body.get("type") != "view_submission":
            raise
        ack(response_action="errors", errors=exc.errors)
        return None
    view = update(decided) if update is not None else None
    if view is None:
        ack()
    else:
        ack(response_action="update", view=view)
    deliver(getattr(decided, "keys", ()))
    return decided


def decides(
    handler: Callable[..., Result],
    *,
    update: NextView[Result] | None = None,
    confirm: Callable[[Result], Mrkdwn] | None = None,
) -> Callable[..., None]:
    """Return the Bolt listener answering for `handler`, a function that returns a decision (see `answer`).

    `confirm` says what the clicker is told, ephemerally, once the decision is delivered.
    """

    def settle(decide: Callable[[], Result], bolt: dict[str, Any]) -> None:
        body = bolt["body"]
        decided = answer(bolt["ack"], bolt["deliver"], body, decide, update=update)
        if decided is not None and confirm is not None:
            tell(bolt["respond"], body, confirm(decided))

    return _listener(handler, ("ack", "body", "respond", "deliver"), settle)


def opens(handler: Callable[..., View | dict[str, Any]]) -> Callable[..., None]:
    """Return the Bolt listener for `handler`, which returns the modal to open: it runs before the ack, so a
    refusal is answered in it, and the modal opens after."""

    def show(build: Callable[[], View | dict[str, Any]], bolt: dict[str, Any]) -> None:
        view = build()
        bolt["ack"]()
        bolt["client"].views_open(trigger_id=bolt["body"]["trigger_id"], view=view)

    return _listener(handler, ("ack", "body", "client"), show)


def _listener(
    handler: Callable[..., Result],
    answering: Sequence[str],
    then: Callable[[Callable[[], Result], dict[str, Any]], None],
) -> Callable[..., None]:
    """Return a listener taking the handler's arguments, which Bolt passes by name, and those `then` needs to
    answer; `then` gets the handler's call and them all."""
    signature = inspect.signature(handler)
    own = set(signature.parameters)
    parameters = list(signature.parameters.values()) + [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for name in answering
        if name not in own
    ]

    def listener(**bolt: Any) -> None:
        then(lambda: handler(**{name: value for name, value in bolt.items() if name in own}), bolt)

    listener.__name__, listener.__qualname__ = handler.__name__, handler.__qualname__
    listener.__doc__, listener.__module__ = handler.__doc__, handler.__module__
    # Bolt passes a listener the arguments its signature names.
    listener.__signature__ = signature.replace(parameters=parameters, return_annotation=None)  # type: ignore[attr-defined]
    return listener


# An admin's one-click decision: (session, the id the button carries, the admin, now, policy, channels).
Decide = Callable[[Session, int, Person, dt.datetime, Policy, Channels], Decided]


def register_admin_decisions(app: App, decisions: dict[str, tuple[str, Decide]]) -> None:
    """Register one-click admin buttons: each action id names what its value points at and what it decides."""

    def handle_admin_decision(
        action: dict[str, Any], session: Session, person: Person | None, context: BoltContext
    ) -> Decided:
        channels: Channels = context["channels"]
        actor = check_admin(session, person, channels.admins)
        what, decide = decisions[str(action.get("action_id"))]
        # Each decision gets the request's instant and the policy as the middleware put them in the context.
        return decide(session, button_id(action, what), actor, context["now"], context["policy"], channels)

    listener = decides(handle_admin_decision, confirm=lambda decided: decided.confirmation)
    for action_id in decisions:
        app.action(action_id)(listener)
