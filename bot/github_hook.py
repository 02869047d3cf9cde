"""POST /hooks/github: GitHub's webhook deliveries, verified, deduplicated by X-GitHub-Delivery and acted on."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any
from urllib.parse import parse_qs

from pydantic import SecretStr

# `sign` is how tools and tests sign a delivery as GitHub does.
from bot.hooks import HookResponse, SignedHook, hub_signature_problem
from bot.hooks import sign as sign
from bot.services.github.webhooks import (
    DELIVERY_ID,
    EVENT_NAME,
    PayloadError,
    act_on_delivery,
    add_decided_labels,
    is_used,
    parse_event,
)
from bot.services.input_text import clean_tree

logger = logging.getLogger(__name__)

# GitHub caps deliveries at 25 MB; the events ccbot uses are far smaller.
MAX_BODY = 2_000_000
ACTION_NAME = re.compile(r"[a-z0-9_]{1,40}")


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


class GitHubHook(SignedHook):
    """Answers GitHub's deliveries; the decisions and their messages commit together."""

    name = "GitHub hook"
    setting = "CCBOT_GITHUB_WEBHOOK_SECRET"
    max_body = MAX_BODY

    def secret(self) -> SecretStr | None:
        """Return CCBOT_GITHUB_WEBHOOK_SECRET."""
        return self.runtime.settings.github_webhook_secret

    def signature_problem(self, secret: str, headers: dict[str, str], body: bytes) -> str | None:
        """Accept GitHub's X-Hub-Signature-256 only."""
        return hub_signature_problem(secret, headers, body)

    def accept(self, headers: dict[str, str], body: bytes) -> HookResponse:
        """Answer a verified delivery: 400 bad input, 200 done, duplicate, pong or ignored."""
        event = headers.get("x-github-event") or ""
        delivery_id = headers.get("x-github-delivery") or ""
        if not EVENT_NAME.fullmatch(event):
            return self.refused("missing or malformed X-GitHub-Event")
        if not DELIVERY_ID.fullmatch(delivery_id):
            return self.refused("missing or malformed X-GitHub-Delivery")
        try:
            data = _decode(headers.get("content-type") or "application/json", body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return self.refused("body is not JSON (nor a form with a JSON payload)")
        if not isinstance(data, dict):
            return self.refused("body is not a JSON object")
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
            return self.refused(str(exc))
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
        problems = self._label(outcome.labels)
        logger.info("GitHub %s %s (%s): %s", event, delivery_id, outcome.status, outcome.detail)
        body: dict[str, Any] = {
            "status": outcome.status,
            "detail": outcome.detail,
            "messages": len(outcome.keys),
            "sent": report.sent,
        }
        if outcome.labels:
            body["labels"] = "failed: " + "; ".join(problems) if problems else "added"
        return HookResponse(200, body)

    def _label(self, labels: list[Any]) -> list[str]:
        """Add the decided labels on GitHub (after the delivery is recorded, so a redelivery adds nothing)."""
        if not labels:
            return []
        connect = self.runtime.github
        if connect is None:
            problems = add_decided_labels(None, labels)
        else:
            with connect() as github:
                problems = add_decided_labels(github, labels)
        for problem in problems:
            logger.warning("GitHub label not added: %s", problem)
        return problems
