"""POST /hooks/deployments: the deployment pipeline's signed notices, verified, recorded with their messages, delivered.

The body is read capped, its signature verified before anything parses it, its nesting bounded before JSON is
decoded; a delivery is recorded once (by delivery id and signed body), together with its notices and messages.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from bot.logs import in_request
from bot.runtime import Runtime
from bot.services.input_text import clean_tree
from bot.services.notices import PayloadError, parse_payload, record_deployment

logger = logging.getLogger(__name__)

MAX_BODY = 1_000_000
WINDOW_SECONDS = 300
# A notice is three levels deep ({"pull_requests": [{...}]}); anything much deeper is not a notice.
MAX_DEPTH = 32
DELIVERY_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_ESCAPE = re.compile(rb"\\.", re.S)
_JSON_STRING = re.compile(rb'"[^"]*"')
_NOT_A_BRACKET = re.compile(rb"[^\[\]{}]+")


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


def nesting_depth(body: bytes) -> int:
    """Return how deeply a JSON text nests arrays and objects (brackets inside strings do not count)."""
    # Escapes first, so every string is a plain "..." and each is removed in one linear pass.
    brackets = _NOT_A_BRACKET.sub(b"", _JSON_STRING.sub(b"", _ESCAPE.sub(b"", body)))
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def delivery_keys(headers: dict[str, str], body: bytes) -> list[str]:
    """Return what identifies a verified delivery, so a replay of it is recognised.

    A GitHub-style signature covers the body only and has no timestamp, so the same signed body can be replayed
    at any time: it is known by its SHA-256, and by X-GitHub-Delivery when present (that header is not signed, so
    it never stands alone). A timestamped signature is known by the signed timestamp and body.
    """
    if headers.get("x-hub-signature-256"):
        keys = [f"body-sha256:{hashlib.sha256(body).hexdigest()}"]
        delivery = headers.get("x-github-delivery", "").strip()
        if delivery:
            if DELIVERY_ID.match(delivery):
                keys.insert(0, f"delivery:{delivery}")
            else:  # an odd id is kept whole, as its digest
                keys.insert(0, f"delivery-sha256:{hashlib.sha256(delivery.encode()).hexdigest()}")
        return keys
    signed = headers.get("x-ccbot-timestamp", "").encode() + b"." + body
    return [f"signed-sha256:{hashlib.sha256(signed).hexdigest()}"]


def decode(body: bytes) -> tuple[Any, str | None]:
    """Return the verified body as JSON (control characters removed from its text), or None and why it is not
    acceptable JSON."""
    # Fewer brackets than the limit cannot nest past it: most bodies are decided without a scan.
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH:
        depth = nesting_depth(body)
        if depth > MAX_DEPTH:
            return None, f"JSON nested {depth} levels deep; a notice needs at most {MAX_DEPTH}"
    try:
        return clean_tree(json.loads(body)), None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, "body is not JSON"


def refused(problem: str, hook: str) -> HookResponse:
    """Return the 400 answering a signed delivery that is malformed, logging it once, as a warning."""
    logger.warning("%s refused a malformed delivery: %s", hook, problem)
    return HookResponse(400, {"error": problem})


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
        # Nothing parses the body before its signature is verified: unsigned junk is refused unread.
        problem = signature_problem(secret.get_secret_value(), headers, body)
        if problem is not None:
            logger.warning("deployment hook refused: %s", problem)
            return HookResponse(401, {"error": problem})
        data, problem = decode(body)
        if problem is not None:
            return refused(problem, "deployment hook")
        try:
            payload = parse_payload(data)
        except PayloadError as exc:
            return refused(str(exc), "deployment hook")
        now = self.runtime.clock()
        with self.runtime.session_factory() as session:
            try:
                outcome = record_deployment(
                    session,
                    payload,
                    now=now,
                    channels=self.runtime.channels,
                    deliveries=delivery_keys(headers, body),
                )
            except Exception:
                # Nothing was committed (the notice, its messages and the delivery's record go together), so
                # the pipeline's retry is handled afresh rather than answered `duplicate`.
                logger.exception("deployment notice not recorded")
                return HookResponse(
                    500, {"error": "the notice could not be recorded; nothing was kept, retry"}
                )
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
