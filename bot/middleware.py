"""Bolt middleware: the session, the clock, the caller's roster record and delivery in `context`; event dedup.

Nothing here touches the database or Slack before a listener that acks first has acked: the caller is
identified in the listener's thread, after the ack for listeners marked `acks_first` and for events
(Bolt acks those itself), right before the listener for the rest (whose ack may carry a refusal).
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.listener import Listener
from slack_bolt.listener.listener_completion_handler import ListenerCompletionHandler
from slack_bolt.listener.listener_start_handler import ListenerStartHandler
from slack_bolt.listener.thread_runner import ThreadListenerRunner
from sqlmodel import Session

from bot.logs import request_context
from bot.runtime import Runtime
from bot.services.events import first_delivery
from bot.services.roster import identify_slack_user
from bot.slack import instrument
from storage.models import Person

logger = logging.getLogger(__name__)

ListenerFn = TypeVar("ListenerFn", bound=Callable[..., Any])
ACKS_FIRST = "_ccbot_acks_first"
AFTER_ACK = "identify_after_ack"  # context flag: the listener identifies its caller itself, after acking


class Caller:
    """The Slack user behind a request, looked up on the roster once, when the listener's thread asks."""

    def __init__(self, runtime: Runtime, session: Session, user_id: str, now: dt.datetime) -> None:
        self.runtime, self.session, self.user_id, self.now = runtime, session, user_id, now
        self._identified = False
        self._person: Person | None = None

    def identify(self) -> Person | None:
        """Return the caller's roster record (a Slack directory lookup only for a user not seen lately)."""
        if not self._identified:
            self._identified = True
            unknown = self.runtime.unknown_users
            stranger = self.user_id in unknown
            directory = None if stranger else self.runtime.directory
            try:
                self._person = identify_slack_user(
                    self.session, self.user_id, directory=directory, now=self.now
                )
            finally:
                # The record is handed over detached, as the listener has always received it.
                self.session.close()
            if self._person is None and not stranger:
                unknown.add(self.user_id)
        return self._person


def _identify(context: BoltContext) -> None:
    caller = context.get("caller")
    if isinstance(caller, Caller):
        context["person"] = caller.identify()


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
        # Identified later, in the listener's thread (IdentifyingRunner, acks_first): no query here.
        context["caller"] = (
            Caller(runtime, session, user_id, context["now"]) if user_id and not _from_bot(body) else None
        )
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


def acks_first(listener: ListenerFn) -> ListenerFn:
    """Wrap a listener whose first act is a plain `ack()`: it acks, then its `person` is identified, then it runs."""
    signature = inspect.signature(listener)
    takes_context = "context" in signature.parameters
    parameters = list(signature.parameters.values())
    if not takes_context:
        parameters.append(inspect.Parameter("context", inspect.Parameter.POSITIONAL_OR_KEYWORD))

    def run(**kwargs: Any) -> Any:
        context: BoltContext = kwargs["context"] if takes_context else kwargs.pop("context")
        ack = kwargs["ack"]
        ack()
        if "person" in kwargs:
            _identify(context)
            kwargs["person"] = context.get("person")
        # The listener's own ack() is a no-op repeat: Slack's response went out with the first one.
        kwargs["ack"] = _acked
        return listener(**kwargs)

    run.__name__, run.__qualname__, run.__doc__ = listener.__name__, listener.__qualname__, listener.__doc__
    run.__module__ = listener.__module__
    # Bolt passes a listener the arguments its signature names; this one also needs the context.
    run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    setattr(run, ACKS_FIRST, True)
    return run  # type: ignore[return-value]


def _acked(*_args: Any, **_kwargs: Any) -> None:
    """Stand in for `ack` once a listener marked `acks_first` has acked."""


class IdentifyingRunner(ThreadListenerRunner):
    """Bolt's listener runner, noting whether the matched listener identifies its caller after its ack."""

    def run(
        self,
        request: BoltRequest,
        response: BoltResponse,
        listener_name: str,
        listener: Listener,
        starting_time: float | None = None,
    ) -> BoltResponse | None:
        """Flag `acks_first` listeners, then run the listener as Bolt does."""
        ack_function = getattr(listener, "ack_function", None)
        request.context[AFTER_ACK] = bool(getattr(ack_function, ACKS_FIRST, False))
        return super().run(request, response, listener_name, listener, starting_time)


class IdentifyCaller(ListenerStartHandler):
    """Identifies the caller in the listener's thread, just before a listener that needs `person` at once."""

    def handle(self, request: BoltRequest, response: BoltResponse | None) -> None:
        """Put `person` into the context unless the listener will do it after its ack."""
        if not request.context.get(AFTER_ACK):
            _identify(request.context)


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
    runner = app.listener_runner
    # Same runner, one step more; Bolt reads it from this attribute when dispatching.
    app._listener_runner = IdentifyingRunner(
        logger=runner.logger,
        process_before_response=runner.process_before_response,
        listener_error_handler=runner.listener_error_handler,
        listener_start_handler=IdentifyCaller(),
        listener_completion_handler=CloseSession(),
        listener_executor=runner.listener_executor,
        lazy_listener_runner=runner.lazy_listener_runner,
    )
