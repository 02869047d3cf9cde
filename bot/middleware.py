"""Bolt middleware: the session, the clock, the caller's roster record and delivery in `context`; event dedup."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.listener.listener_completion_handler import ListenerCompletionHandler

from bot.logs import request_context
from bot.runtime import Runtime
from bot.services.events import first_delivery
from bot.services.roster import identify_slack_user
from bot.slack import instrument

logger = logging.getLogger(__name__)


class TaggedApp(App):
    """A Bolt app whose every request logs under an id of its own, kept by the listener run after the ack."""

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Dispatch `req` with a fresh request id (Bolt runs listeners after the middleware, so not there)."""
        with request_context():
            return super().dispatch(req)


def make_context_middleware(runtime: Runtime) -> Callable[..., Any]:
    """Return middleware that puts `session`, `now`, `person`, `policy`, `channels` and `deliver` into the context."""

    def attach_context(context: BoltContext, body: dict[str, Any], next: Callable[[], None]) -> None:
        if context.client is not None:
            context["client"] = instrument(context.client)
        session = runtime.session_factory()
        context["session"] = session
        context["now"] = runtime.clock()
        context["policy"] = runtime.policy
        context["channels"] = runtime.channels
        context["person"] = None

        def deliver(keys: Sequence[str]) -> None:
            # Sends what the listener's decision queued; a failure stays queued for the jobs to retry.
            runtime.deliver(session, keys, now=context["now"])

        context["deliver"] = deliver
        user_id = context.user_id
        try:
            if user_id and not _from_bot(body):
                stranger = user_id in runtime.unknown_users
                directory = None if stranger else runtime.directory
                person = identify_slack_user(session, user_id, directory=directory, now=context["now"])
                if person is None and not stranger:
                    runtime.unknown_users.add(user_id)
                context["person"] = person
        finally:
            # Release the connection now; the listener reopens it on first use and the
            # completion handler closes it after the listener, which runs after the ack.
            session.close()
        next()

    return attach_context


def make_event_dedup_middleware(runtime: Runtime) -> Callable[..., Any]:
    """Return middleware that drops an Events API delivery whose event_id was already handled."""

    def drop_retried_events(
        body: dict[str, Any], context: BoltContext, request: BoltRequest, next: Callable[[], None]
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not first_delivery(context["session"], str(event_id), now=context["now"]):
            retry = request.headers.get("x-slack-retry-num", ["0"])[0]
            logger.info("event %s already handled (retry %s); ignored", event_id, retry)
            context["session"].close()
            return BoltResponse(status=200, body="")
        next()
        return None

    return drop_retried_events


class CloseSession(ListenerCompletionHandler):
    """Closes the request's session when its listener finishes, after the ack."""

    def handle(self, request: BoltRequest, response: BoltResponse | None) -> None:
        session = request.context.get("session")
        if session is not None:
            session.close()


def _from_bot(body: dict[str, Any]) -> bool:
    event = body.get("event") or {}
    return bool(event.get("bot_id")) or event.get("subtype") == "bot_message"


def install(app: App, runtime: Runtime) -> None:
    """Add the middleware to the app and close sessions when listeners complete."""
    app.use(make_context_middleware(runtime))
    app.use(make_event_dedup_middleware(runtime))
    app.listener_runner.listener_completion_handler = CloseSession()
