"""The HTTP server: Bolt at /slack/events (in a thread pool), the deployment and GitHub webhooks, /healthz, /readyz, /metrics."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio
from anyio import CapacityLimiter
from prometheus_client import CONTENT_TYPE_LATEST
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_bolt.request.internals import build_normalized_headers, extract_content_type, parse_body
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.github_hook import GitHubHook
from bot.hooks import DeploymentHook, SignedHook
from bot.metrics import surface_of
from bot.middleware import AckGate
from bot.services.input_text import clean_tree
from bot.services.operations import program_numbers
from bot.slack_shapes import shape_problem
from bot.types.operations import ProgramNumbers
from bot.types.policy import DEFAULT_HOURS, WorkingHours
from storage.db import DatabaseNotReady, check_ready, check_writable, make_session_factory

logger = logging.getLogger(__name__)

DISPATCH_THREADS = 64
MAX_SLACK_BODY = 1_000_000
SLACK_WINDOW_SECONDS = 300  # Slack's own advice: refuse requests signed more than five minutes ago


def build_asgi(
    bolt_app: App | None,
    engine: Engine,
    *,
    hook: DeploymentHook | None = None,
    github_hook: GitHubHook | None = None,
    signing_secret: str | None = None,
    dispatch_threads: int = DISPATCH_THREADS,
    hours: WorkingHours = DEFAULT_HOURS,
) -> Starlette:
    """Return the Starlette app; `bolt_app` is None in Socket Mode, where Slack does not POST to us.

    With `signing_secret`, a Slack request's signature is verified before its body is parsed.
    """
    limiter = CapacityLimiter(dispatch_threads)
    gate: AckGate | None = getattr(bolt_app, "ack_gate", None)

    async def slack_events(request: Request) -> Response:
        assert bolt_app is not None
        body = await read_capped(request, MAX_SLACK_BODY)
        if body is None:
            return JSONResponse({"error": f"body larger than {MAX_SLACK_BODY} bytes"}, status_code=413)
        started = time.monotonic()
        if signing_secret and not _signed_by_slack(signing_secret, request, body):
            return JSONResponse({"error": "invalid request signature"}, status_code=401)
        bolt_request = _parsed(request, body)
        if bolt_request is None:
            return JSONResponse({"error": "body is not a Slack request"}, status_code=400)
        # Bolt's dispatch is synchronous and may wait on the database: never run it on the event loop. Counted as
        # waiting for its ack from here, while it may still wait for a thread.
        with gate.pending() if gate is not None else contextlib.nullcontext():
            bolt_response = await anyio.to_thread.run_sync(bolt_app.dispatch, bolt_request, limiter=limiter)
        surface = surface_of(bolt_request.body if isinstance(bolt_request.body, dict) else {})
        metrics.REQUESTS.labels(surface, str(bolt_response.status)).inc()
        metrics.ACK_SECONDS.labels(surface).observe(time.monotonic() - started)
        return to_starlette_response(bolt_response)

    async def healthz(_request: Request) -> Response:
        # Liveness: the process answers. It never waits on the database or on Slack.
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        problem = await anyio.to_thread.run_sync(readiness_problem, engine, limiter=limiter)
        if problem is not None:
            logger.warning("not ready: %s", problem)
            return JSONResponse({"status": "error", "database": problem}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    def webhook(signed: SignedHook, surface: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            too_large = JSONResponse({"error": f"body larger than {signed.max_body} bytes"}, status_code=413)
            length = request.headers.get("content-length")
            if length and length.isdigit() and int(length) > signed.max_body:
                return too_large
            body = await read_capped(request, signed.max_body)
            if body is None:
                return too_large
            headers = {key.lower(): value for key, value in request.headers.items()}
            started = time.monotonic()
            answer = await anyio.to_thread.run_sync(signed.handle, headers, body, limiter=limiter)
            metrics.REQUESTS.labels(surface, str(answer.status)).inc()
            metrics.ACK_SECONDS.labels(surface).observe(time.monotonic() - started)
            return JSONResponse(answer.body, status_code=answer.status)

        return endpoint

    async def metrics_endpoint(_request: Request) -> Response:
        text = await anyio.to_thread.run_sync(metrics.render, registry, limiter=limiter)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    registry = metrics.make_registry(lambda: _program_numbers(engine, hours))
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
    if hook is not None:
        routes.append(Route("/hooks/deployments", webhook(hook, "hook:deployments"), methods=["POST"]))
    if github_hook is not None:
        routes.append(Route("/hooks/github", webhook(github_hook, "hook:github"), methods=["POST"]))
    if bolt_app is not None:
        routes.append(Route("/slack/events", slack_events, methods=["POST"]))
    return Starlette(routes=routes)


def _signed_by_slack(secret: str, request: Request, body: bytes) -> bool:
    """Whether Slack signed these exact bytes within the last five minutes (an SSL check is never signed)."""
    if body.startswith(b"ssl_check=1"):
        return True
    timestamp = request.headers.get("x-slack-request-timestamp", "")
    signature = request.headers.get("x-slack-signature", "")
    if (
        not (timestamp.isascii() and timestamp.isdigit())
        or abs(time.time() - int(timestamp)) > SLACK_WINDOW_SECONDS
    ):
        return False
    expected = (
        "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    )
    return hmac.compare_digest(expected.encode(), signature.encode(errors="replace"))


def _parsed(request: Request, body: bytes) -> BoltRequest | None:
    return read_slack_request(body, request.headers, request.query_params)


def read_slack_request(body: bytes, headers: Mapping[str, Any], query: Any = None) -> BoltRequest | None:
    """Return a verified body as Bolt reads it, or None (and one warning) when it is not UTF-8, not a form or JSON,
    or not Slack's shape (the Bolt app checks the shape again, for requests that do not come over HTTP)."""
    try:
        text = body.decode("utf-8")
        data = parse_body(text, extract_content_type(build_normalized_headers(dict(headers))))
    except (ValueError, UnicodeDecodeError, RecursionError):
        logger.warning("refused a Slack request: its body is not a form or JSON")
        return None
    problem = shape_problem(clean_tree(data))
    if problem is not None:
        logger.warning("refused a Slack request that is not Slack's shape: %s", problem)
        return None
    return BoltRequest(body=text, query=query, headers=dict(headers))


async def read_capped(request: Request, limit: int) -> bytes | None:
    """Read a request body as it streams in, giving up (None) as soon as it passes `limit` bytes."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def readiness_problem(engine: Engine) -> str | None:
    """Return why the database cannot serve (unreachable, read-only, not migrated), or None when it can."""
    try:
        check_ready(engine)
    except DatabaseNotReady as exc:
        return "not migrated" if "migrat" in str(exc) else "unreachable"
    try:
        check_writable(engine)
    except Exception as exc:
        logger.warning("database refuses writes: %s", exc.__class__.__name__)
        return "read-only"
    return None


def _program_numbers(engine: Engine, hours: WorkingHours) -> ProgramNumbers:
    with make_session_factory(engine)() as session:
        return program_numbers(session, now=dt.datetime.now(dt.UTC), hours=hours)
