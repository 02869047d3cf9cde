"""The webhooks' front door, and POST /hooks/deployments: the deployment pipeline's signed notices, verified,
recorded with their messages, delivered.

Every webhook (this one and bot/github_hook.py) goes through `SignedHook.handle`: its secret must be set, its body
is read capped, and its signature verified before anything parses it; a malformed delivery is a 400. Here the
nesting is bounded before JSON is decoded, and a delivery is recorded once (by delivery id and signed body),
together with its notices and messages.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import SecretStr

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


def sign(secret: str, body: bytes) -> str:
    """Return the X-Hub-Signature-256 value GitHub (or a pipeline signing like it) sends with `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def hub_signature_problem(secret: str, headers: dict[str, str], body: bytes) -> str | None:
    """Return why a delivery's X-Hub-Signature-256 is missing or wrong, or None when it is right."""
    hub = headers.get("x-hub-signature-256")
    if not hub:
        return "missing X-Hub-Signature-256"
    return None if hmac.compare_digest(hub, sign(secret, body)) else "X-Hub-Signature-256 does not match"


def signature_problem(
    secret: str, headers: dict[str, str], body: bytes, *, now: float | None = None
) -> str | None:
    """Return why a deployment notice's signature is not acceptable, or None when it is (GitHub-style, or
    timestamped)."""
    now = time.time() if now is None else now
    if headers.get("x-hub-signature-256"):
        return hub_signature_problem(secret, headers, body)
    timestamp, signature = headers.get("x-ccbot-timestamp"), headers.get("x-ccbot-signature")
    if not timestamp or not signature:
        return "missing X-Ccbot-Timestamp and X-Ccbot-Signature (or X-Hub-Signature-256)"
    if not timestamp.isdigit() or abs(now - int(timestamp)) > WINDOW_SECONDS:
        return "X-Ccbot-Timestamp is not within 5 minutes of now"
    expected = sign(secret, timestamp.encode() + b"." + body)
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


class SignedHook(ABC):
    """A webhook's front door (runs in a worker thread): the secret is set, the body is not too large, the signature
    is right; only then does `accept` read the delivery. Subclasses name the secret and the signature scheme."""

    name: ClassVar[str]  # as logs call it
    setting: ClassVar[str]  # the setting holding the secret
    max_body: ClassVar[int]

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @abstractmethod
    def secret(self) -> SecretStr | None:
        """Return the shared secret deliveries are signed with (None: not configured)."""

    @abstractmethod
    def signature_problem(self, secret: str, headers: dict[str, str], body: bytes) -> str | None:
        """Return why the delivery's signature is not acceptable, or None when it is."""

    @abstractmethod
    def accept(self, headers: dict[str, str], body: bytes) -> HookResponse:
        """Answer a delivery whose signature is verified."""

    @in_request
    def handle(self, headers: dict[str, str], body: bytes) -> HookResponse:
        """Answer one delivery: 503 no secret set, 413 too large, 401 bad signature, else what `accept` says."""
        secret = self.secret()
        if not secret:
            return HookResponse(503, {"error": f"{self.setting} is not set on this server"})
        if len(body) > self.max_body:
            return HookResponse(413, {"error": f"body larger than {self.max_body} bytes"})
        # Nothing parses the body before its signature is verified: unsigned junk is refused unread.
        problem = self.signature_problem(secret.get_secret_value(), headers, body)
        if problem is not None:
            logger.warning("%s refused: %s", self.name, problem)
            return HookResponse(401, {"error": problem})
        return self.accept(headers, body)

    def refused(self, problem: str) -> HookResponse:
        """Return the 400 answering a signed delivery that is malformed, logging it once, as a warning."""
        logger.warning("%s refused a malformed delivery: %s", self.name, problem)
        return HookResponse(400, {"error": problem})


class DeploymentHook(SignedHook):
    """Verifies deployment notices, records each with its messages, then delivers them."""

    name = "deployment hook"
    setting = "CCBOT_WEBHOOK_SECRET"
    max_body = MAX_BODY

    def secret(self) -> SecretStr | None:
        """Return CCBOT_WEBHOOK_SECRET."""
        return self.runtime.settings.webhook_secret

    def signature_problem(self, secret: str, headers: dict[str, str], body: bytes) -> str | None:
        """Accept a GitHub-style signature or a timestamped one (see `signature_problem`)."""
        return signature_problem(secret, headers, body)

    def accept(self, headers: dict[str, str], body: bytes) -> HookResponse:
        """Answer a verified delivery: 400 bad body, 200 accepted or duplicate, 500 not recorded."""
        data, problem = decode(body)
        if problem is not None:
            return self.refused(problem)
        try:
            payload = parse_payload(data)
        except PayloadError as exc:
            return self.refused(str(exc))
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
            # Counted before delivery, which commits as it sends, so the answer never reads after it.
            answer = {
                "status": "accepted",
                "event_id": outcome.event_id,
                "notices": len(outcome.new),
                "notified": len(outcome.to_notify),
                "unmatched": len(outcome.unmatched),
                "duplicates": outcome.duplicates,
                "reverted": outcome.reverted,
            }
            # What fails to send here stays queued: the outbox_delivery job sends it within the minute.
            self.runtime.deliver(session, outcome.keys, now=now)
        return HookResponse(200, answer)
