"""POST /hooks/github: GitHub's webhook deliveries, verified, deduplicated by X-GitHub-Delivery and acted on."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from typing import Any
from urllib.parse import parse_qs

from bot.hooks import HookResponse, refused
from bot.logs import in_request
from bot.runtime import Runtime
from bot.services.github.webhooks import (
    DELIVERY_ID,
    EVENT_NAME,
    PayloadError,
    act_on_delivery,
    is_used,
    parse_event,
)
from bot.services.input_text import clean_tree

logger = logging.getLogger(__name__)

# GitHub caps deliveries at 25 MB; the events ccbot uses are far smaller.
MAX_BODY = 2_000_000
ACTION_NAME = re.compile(r"[a-z0-9_]{1,40}")


def sign(secret: str, body: bytes) -> str:
    """Return the X-Hub-Signature-256 value GitHub sends with `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _decode(content_type: str, body: bytes) -> Any:
    """Return the delivery's JSON, sent as JSON or as a form's `payload` field, control characters removed from
    its text; ValueError when it is neither."""
    text = body.decode("utf-8")
    if content_type.startswith("application/x-www-form-urlencoded"):
        fields = parse_qs(text, max_num_fields=10)
        if "payload" not in fields:
            raise ValueError("no payload field")
        text = fields["payload"][-1]
    return clean_tree(json.loads(text))


class GitHubHook:
    """Answers GitHub's deliveries (runs in a worker thread); the decisions and their messages commit together."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @in_request
    def handle(self, headers: dict[str, str], body: bytes) -> HookResponse:
        """Answer one delivery: 401 bad signature, 4xx bad input, 200 done, duplicate, pong or ignored."""
        secret = self.runtime.settings.github_webhook_secret
        if not secret:
            return HookResponse(503, {"error": "CCBOT_GITHUB_WEBHOOK_SECRET is not set on this server"})
        if len(body) > MAX_BODY:
            return HookResponse(413, {"error": f"body larger than {MAX_BODY} bytes"})
        signature = headers.get("x-hub-signature-256") or ""
        if not signature:
            return HookResponse(401, {"error": "missing X-Hub-Signature-256"})
        if not hmac.compare_digest(signature, sign(secret.get_secret_value(), body)):
            logger.warning("GitHub delivery refused: X-Hub-Signature-256 does not match")
            return HookResponse(401, {"error": "X-Hub-Signature-256 does not match"})
        event = headers.get("x-github-event") or ""
        delivery_id = headers.get("x-github-delivery") or ""
        if not EVENT_NAME.fullmatch(event):
            return refused("missing or malformed X-GitHub-Event", "GitHub hook")
        if not DELIVERY_ID.fullmatch(delivery_id):
            return refused("missing or malformed X-GitHub-Delivery", "GitHub hook")
        try:
            data = _decode(headers.get("content-type") or "application/json", body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return refused("body is not JSON (nor a form with a JSON payload)", "GitHub hook")
        if not isinstance(data, dict):
            return refused("body is not a JSON object", "GitHub hook")
        if event == "ping":
            return HookResponse(200, {"status": "pong"})
        action = data.get("action") if isinstance(data.get("action"), str) else None
        if not is_used(event, action):
            what = event + (f".{action}" if action and ACTION_NAME.fullmatch(action) else "")
            return HookResponse(
                200, {"status": "ignored", "reason": f"{what} is not something ccbot acts on"}
            )
        try:
            payload = parse_event(event, data)
        except PayloadError as exc:
            return refused(str(exc), "GitHub hook")
        # The delivery id is not signed: the signed body itself is recorded too, so a captured delivery
        # replayed under a fresh id is still a duplicate.
        return self._act(event, delivery_id, payload, hashlib.sha256(body).hexdigest())

    def _act(self, event: str, delivery_id: str, payload: Any, body_digest: str) -> HookResponse:
        now = self.runtime.clock()
        with self.runtime.session_factory() as session:
            outcome = act_on_delivery(
                session,
                payload,
                event=event,
                delivery_id=delivery_id,
                body_digest=body_digest,
                now=now,
                policy=self.runtime.policy,
                channels=self.runtime.channels,
            )
            if outcome.status == "duplicate":
                return HookResponse(200, {"status": "duplicate", "delivery": delivery_id})
            # What fails to send here stays queued: the outbox_delivery job sends it within the minute.
            report = self.runtime.deliver(session, outcome.keys, now=now)
        logger.info("GitHub %s %s (%s): %s", event, delivery_id, outcome.status, outcome.detail)
        return HookResponse(
            200,
            {
                "status": outcome.status,
                "detail": outcome.detail,
                "messages": len(outcome.keys),
                "sent": report.sent,
            },
        )
