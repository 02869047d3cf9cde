"""The HTTP server: Bolt at /slack/events (dispatched in a thread pool), /hooks/deployments, /healthz."""

from __future__ import annotations

import logging

import anyio
from anyio import CapacityLimiter
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.hooks import MAX_BODY as MAX_HOOK_BODY
from bot.hooks import DeploymentHook
from storage.db import ping

logger = logging.getLogger(__name__)

DISPATCH_THREADS = 64
MAX_SLACK_BODY = 1_000_000


def build_asgi(
    bolt_app: App | None,
    engine: Engine,
    *,
    hook: DeploymentHook | None = None,
    dispatch_threads: int = DISPATCH_THREADS,
) -> Starlette:
    """Return the Starlette app; `bolt_app` is None in Socket Mode, where Slack does not POST to us."""
    limiter = CapacityLimiter(dispatch_threads)

    async def slack_events(request: Request) -> Response:
        assert bolt_app is not None
        body = await request.body()
        if len(body) > MAX_SLACK_BODY:
            return JSONResponse({"error": "request body too large"}, status_code=413)
        bolt_request = to_bolt_request(request, body)
        # Bolt's dispatch is synchronous and may wait on the database: never run it on the event loop.
        bolt_response = await anyio.to_thread.run_sync(bolt_app.dispatch, bolt_request, limiter=limiter)
        return to_starlette_response(bolt_response)

    async def healthz(_request: Request) -> Response:
        try:
            await anyio.to_thread.run_sync(ping, engine, limiter=limiter)
        except Exception as exc:
            logger.warning("health check failed: %s", exc.__class__.__name__)
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    async def deployments(request: Request) -> Response:
        assert hook is not None
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_HOOK_BODY:
            return JSONResponse({"error": f"body larger than {MAX_HOOK_BODY} bytes"}, status_code=413)
        body = await request.body()
        headers = {key.lower(): value for key, value in request.headers.items()}
        answer = await anyio.to_thread.run_sync(hook.handle, headers, body, limiter=limiter)
        return JSONResponse(answer.body, status_code=answer.status)

    routes = [Route("/healthz", healthz, methods=["GET"])]
    if hook is not None:
        routes.append(Route("/hooks/deployments", deployments, methods=["POST"]))
    if bolt_app is not None:
        routes.append(Route("/slack/events", slack_events, methods=["POST"]))
    return Starlette(routes=routes)
