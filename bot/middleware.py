"""Bolt middleware: the session, the clock, the caller's roster record and delivery in `context`; event dedup.

Nothing here touches the database or Slack before a listener that acks first has acked: the caller is
identified in the listener's thread, after the ack for listeners marked `acks_first` or `identifies_later`
and for events (Bolt acks those itself), right before the listener for the rest (whose ack may carry a
refusal). A listener can hand the rest of its work, after its ack, to `later`: a small pool of its own, so
that work never holds the listener threads the next requests need to ack.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.listener import Listener
from slack_bolt.listener.listener_completion_handler import ListenerCompletionHandler
from slack_bolt.listener.listener_start_handler import ListenerStartHandler
from slack_bolt.listener.thread_runner import ThreadListenerRunner
from sqlmodel import Session

from bot.logs import ContextThreadPoolExecutor, request_context
from bot.metrics import surface_of
from bot.runtime import Runtime
from bot.services.events import first_delivery
from bot.services.input_text import clean_text, clean_tree
from bot.services.outbox import tell_user
from bot.services.roster import identify_slack_user
from bot.slack import instrument
from bot.slack_shapes import shape_problem
from bot.views.text import Mrkdwn
from storage.models import Person

logger = logging.getLogger(__name__)

ListenerFn = TypeVar("ListenerFn", bound=Callable[..., Any])
ACKS_FIRST = "_ccbot_acks_first"
IDENTIFIES_LATER = "_ccbot_identifies_later"
HANDED_OVER = "session_handed_over"  # context flag: `later` closes the session when its work is done
# Work handed to `later` runs on this many threads: enough to keep Slack and the database busy, few enough that
# the threads acking the next requests are not starved of the interpreter (a burst of 200 submissions).
AFTER_ACK_THREADS = 4
# How long work after an ack lets earlier requests still waiting for theirs go first, at most: Slack's 3 s.
AFTER_ACK_PATIENCE = 3.0
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


class SignallingAck(Ack):
    """Bolt's `ack`, which also wakes the thread answering Slack the moment a response is set.

    Bolt's own runner looks for the response every 10 ms, which puts up to 10 ms on every ack;
    `IdentifyingRunner` waits on this event instead.
    """

    def __init__(self) -> None:
        self.acked = threading.Event()
        super().__init__()

    @property
    def response(self) -> BoltResponse | None:
        """The response Slack receives, once the listener has acked (or failed before acking)."""
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        self._response = value
        if value is not None:
            self.acked.set()


class AckGate:
    """Tracks the requests still waiting for their ack, so work after an ack can let them go first.

    Python runs one thread at a time: a burst of submissions would otherwise share the interpreter with the
    work their predecessors left for after the ack, and the last acks would come late. Work waits only for the
    requests that arrived before it started waiting, so a steady stream of new ones never starves it. A request
    may be counted more than once (the server counts it from its arrival, the app from its dispatch).
    """

    def __init__(self) -> None:
        self._next = 0
        self._waiting: set[int] = set()
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def pending(self) -> Iterator[None]:
        """Count one request waiting for its ack while the block runs."""
        with self._changed:
            ticket, self._next = self._next, self._next + 1
            self._waiting.add(ticket)
        try:
            yield
        finally:
            with self._changed:
                self._waiting.discard(ticket)
                self._changed.notify_all()

    def wait_for_earlier(self, patience: float) -> None:
        """Wait until every request that arrived before now has its ack, or `patience` seconds."""
        with self._changed:
            now = self._next
            self._changed.wait_for(lambda: min(self._waiting, default=now) >= now, timeout=patience)


class TaggedApp(App):
    """A Bolt app whose every request logs under an id of its own, kept by the listener run after the ack.

    Before Bolt reads a request, its shape is checked (400 and one warning when it is not Slack's) and control
    characters are removed from all its text, over HTTP, in Socket Mode and in the console alike.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ack_gate = AckGate()

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Dispatch `req` with a fresh request id (Bolt runs listeners after the middleware, so not there)."""
        with self.ack_gate.pending():
            return self._dispatch(req)

    def _dispatch(self, req: BoltRequest) -> BoltResponse:
        req.context["ack"] = SignallingAck()
        with request_context():
            # Signatures are checked on the raw body; everything Bolt and the listeners read is clean.
            req.body = clean_tree(req.body)
            problem = shape_problem(req.body)
            if problem is not None:
                logger.warning("refused a Slack request that is not Slack's shape: %s", problem)
                return BoltResponse(
                    status=400,
                    body=json.dumps({"error": f"not a Slack request: {problem}"}),
                    headers={"content-type": "application/json"},
                )
            for key, value in list(
                req.context.items()
            ):  # the ids Bolt took from the body before it was clean
                if isinstance(value, str):
                    req.context[key] = clean_text(value)
            started = time.monotonic()
            response = super().dispatch(req)
            body = req.body if isinstance(req.body, dict) else {}
            # One line per request: what, who (a Slack id), the answer and how long it took; the id is the line's.
            logger.info(
                "%s by %s: %s in %d ms",
                surface_of(body),
                req.context.get("user_id") or "-",
                response.status,
                (time.monotonic() - started) * 1000,
            )
            return response


Later = Callable[[Callable[[], None]], None]


def make_context_middleware(
    runtime: Runtime,
    *,
    after_ack: Executor | None = None,
    on_error: Callable[[Exception, BoltRequest], None] | None = None,
    gate: AckGate | None = None,
) -> Callable[..., Any]:
    """Return the one middleware of the app (one step per request, as Bolt runs each middleware by reflection).

    It puts `session`, `now`, `policy`, `channels`, `github`, `person`, `caller`, `deliver` and `later` into the
    context and drops an Events API delivery whose event_id was already handled. Without `after_ack` (each
    listener runs to its end before Slack is answered), `later` runs its work at once.
    """

    def attach_context(
        context: BoltContext, body: dict[str, Any], request: BoltRequest, next: Callable[[], None]
    ) -> BoltResponse | None:
        if context.client is not None:
            context["client"] = instrument(context.client)
        session = runtime.session_factory()
        now = runtime.clock()
        context["session"] = session
        context["now"] = now
        context["policy"] = runtime.policy
        context["channels"] = runtime.channels
        context["github"] = runtime.github
        context["person"] = None
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        try:
            repeated = bool(event_id) and not first_delivery(session, str(event_id), now=now)
        except BaseException:
            session.close()  # no listener will run to close it: a database error here must not leak it
            raise
        if repeated:
            retry = request.headers.get("x-slack-retry-num", ["0"])[0]
            logger.info("event %s already handled (retry %s); ignored", event_id, retry)
            session.close()
            return BoltResponse(status=200, body="")

        def deliver(keys: Sequence[str]) -> None:
            # Sends what the listener's decision queued; a failure stays queued for the jobs to retry.
            runtime.deliver(session, keys, now=now)

        context["deliver"] = deliver

        def later(work: Callable[[], None]) -> None:
            # The listener has acked: its remaining work, and its session, go to the after-ack pool.
            if after_ack is None:
                work()
                return
            context[HANDED_OVER] = True
            after_ack.submit(_run_after_ack, work, session, request, on_error, gate)

        context["later"] = later

        def tell(user_id: str, text: Mrkdwn) -> None:
            # What went wrong after an ack with nothing left to answer in (a closed modal): a DM, via the outbox.
            with runtime.session_factory() as own:
                runtime.deliver(own, tell_user(own, user_id, text, now=now), now=now)

        context["tell"] = tell
        user_id = context.user_id
        # Identified later, in the listener's thread (IdentifyingRunner, acks_first): no query here.
        context["caller"] = (
            Caller(runtime, session, user_id, now) if user_id and not _from_bot(body) else None
        )
        next()
        return None

    return attach_context


def _run_after_ack(
    work: Callable[[], None],
    session: Session,
    request: BoltRequest,
    on_error: Callable[[Exception, BoltRequest], None] | None,
    gate: AckGate | None,
) -> None:
    try:
        if gate is not None:
            gate.wait_for_earlier(AFTER_ACK_PATIENCE)
        work()
    except (
        Exception
    ) as exc:  # Slack has its ack: the error goes to the app's one error handler, as Bolt's would
        if on_error is None:
            raise
        on_error(exc, request)
    finally:
        session.close()


def identifies_later(listener: ListenerFn) -> ListenerFn:
    """Mark a listener that acks on its own terms and identifies its caller itself (`caller.identify()`), if at all."""
    setattr(listener, IDENTIFIES_LATER, True)
    return listener


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
    """Bolt's listener runner, answering Slack as soon as the listener acks and noting who identifies the caller."""

    def run(
        self,
        request: BoltRequest,
        response: BoltResponse,
        listener_name: str,
        listener: Listener,
        starting_time: float | None = None,
    ) -> BoltResponse | None:
        """Flag `acks_first` listeners, then run the listener in a thread and return its ack the moment it comes."""
        ack_function = getattr(listener, "ack_function", None)
        request.context[AFTER_ACK] = bool(
            getattr(ack_function, ACKS_FIRST, False) or getattr(ack_function, IDENTIFIES_LATER, False)
        )
        ack = request.context.ack
        if (
            self.process_before_response
            or request.lazy_only
            or listener.lazy_functions
            or not isinstance(ack, SignallingAck)
        ):
            return super().run(request, response, listener_name, listener, starting_time)
        return self._run_in_thread(request, response, listener_name, listener, ack)

    def _run_in_thread(
        self,
        request: BoltRequest,
        response: BoltResponse | None,
        listener_name: str,
        listener: Listener,
        ack: SignallingAck,
    ) -> BoltResponse | None:
        # Bolt's ThreadListenerRunner.run for listeners without lazy functions, except that the wait for the
        # ack is an event rather than a 10 ms polling loop, and a failure after the ack never clears the ack
        # before it is read (Bolt sets it back to None there, so a quick failure could turn a 200 into a 404).
        if listener.auto_acknowledgement:
            ack()  # events: Slack hears 200 at once

        def run_listener() -> None:
            nonlocal response
            try:
                self.listener_start_handler.handle(request=request, response=response)
                listener.run_ack_function(request=request, response=response)  # type: ignore[arg-type]
            except Exception as exc:
                if listener.auto_acknowledgement:
                    self.listener_error_handler.handle(error=exc, request=request, response=response)
                elif ack.response is not None:  # acked already: Slack has its answer, the error is only told
                    self.listener_error_handler.handle(error=exc, request=request, response=None)
                else:  # the error handler's answer (or a 500) becomes the ack
                    if response is None:
                        response = BoltResponse(status=500)
                    response.status = 500
                    self.listener_error_handler.handle(error=exc, request=request, response=response)
                    ack.response = response
            finally:
                self.listener_completion_handler.handle(request=request, response=response)

        self.listener_executor.submit(run_listener)
        if not ack.acked.wait(listener.ack_timeout):
            self.logger.warning(f"{listener_name} did not call ack() within {listener.ack_timeout} s")
            return None
        return ack.response


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
        if session is not None and not request.context.get(HANDED_OVER):
            session.close()


def _from_bot(body: dict[str, Any]) -> bool:
    event = body.get("event") or {}
    return bool(event.get("bot_id")) or event.get("subtype") == "bot_message"


def install(app: App, runtime: Runtime) -> None:
    """Add the middleware to the app and close sessions when listeners complete."""
    runner = app.listener_runner

    def on_error(exc: Exception, request: BoltRequest) -> None:
        app._listener_runner.listener_error_handler.handle(error=exc, request=request, response=None)

    after_ack = (
        None
        if runner.process_before_response
        else ContextThreadPoolExecutor(max_workers=AFTER_ACK_THREADS, thread_name_prefix="after-ack")
    )
    gate = app.ack_gate if isinstance(app, TaggedApp) else None
    app.use(make_context_middleware(runtime, after_ack=after_ack, on_error=on_error, gate=gate))
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
