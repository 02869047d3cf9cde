"""POST /hooks/deployments: the deployment pipeline's signed notices, verified, recorded with their messages, delivered."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from bot.logs import in_request
from bot.runtime import Runtime
from bot.services.deployments import PayloadError, parse_payload, record_deployment

logger = logging.getLogger(__name__)

MAX_BODY = 1_000_000
WINDOW_SECONDS = 300


@dataclass(frozen=True)
class HookResponse:
    """Status code and JSON body of a webhook answer."""

    status: int
    body: dict[str, Any]


def signature_problem(
    secret: str, headers: dict[str, str], body: bytes, *, now: float | None = None
) -> str | None:
    """Return why a delivery's signature is not acceptable, or None when it is."""
    now = time.time() if now is None else now
    hub = headers.get("x-hub-signature-256")
    if hub:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return None if hmac.compare_digest(hub, expected) else "X-Hub-Signature-256 does not match"
    timestamp, signature = headers.get("x-ccbot-timestamp"), headers.get("x-ccbot-signature")
    if not timestamp or not signature:
        return "missing X-Ccbot-Timestamp and X-Ccbot-Signature (or X-Hub-Signature-256)"
    if not timestamp.isdigit() or abs(now - int(timestamp)) > WINDOW_SECONDS:
        return "X-Ccbot-Timestamp is not within 5 minutes of now"
    expected = (
        "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    return None if hmac.compare_digest(signature, expected) else "X-Ccbot-Signature does not match"


class DeploymentHook:
    """Verifies deployment notices, records each with its messages, then delivers them (runs in a worker thread)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @in_request
    def handle(self, headers: dict[str, str], body: bytes) -> HookResponse:
        """Answer one delivery: 401 bad signature, 400 bad body, 413 too large, 200 accepted or duplicate."""
        secret = self.runtime.settings.webhook_secret
        if not secret:
            return HookResponse(503, {"error": "CCBOT_WEBHOOK_SECRET is not set on this server"})
        if len(body) > MAX_BODY:
            return HookResponse(413, {"error": f"body larger than {MAX_BODY} bytes"})
        problem = signature_problem(secret, headers, body)
        if problem is not None:
            logger.warning("deployment hook refused: %s", problem)
            return HookResponse(401, {"error": problem})
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return HookResponse(400, {"error": "body is not JSON"})
        try:
            payload = parse_payload(data)
        except PayloadError as exc:
            return HookResponse(400, {"error": str(exc)})
        now = self.runtime.clock()
        with self.runtime.session_factory() as session:
            outcome = record_deployment(session, payload, now=now, channels=self.runtime.channels)
            if outcome.duplicate:
                return HookResponse(200, {"status": "duplicate", "duplicates": outcome.duplicates})
            # What fails to send here stays queued: the outbox_delivery job sends it within the minute.
            self.runtime.deliver(session, outcome.keys, now=now)
        return HookResponse(
            200,
            {
                "status": "accepted",
                "event_id": outcome.event_id,
                "notices": len(outcome.new),
                "notified": len(outcome.to_notify),
                "unmatched": len(outcome.unmatched),
                "duplicates": outcome.duplicates,
                "reverted": outcome.reverted,
            },
        )
