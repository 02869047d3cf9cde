"""Builds Slack requests signed exactly as Slack signs them, and posts them over HTTP."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Return the headers Slack sends with `body`: timestamp and v0 signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def command_body(command: str, text: str = "", *, user_id: str, response_url: str = "", **extra: str) -> str:
    """Return the form body Slack posts for a slash command."""
    fields = {
        "token": "legacy-unused",
        "team_id": "T0CCBOT00",
        "team_domain": "ccbot",
        "channel_id": "C0GENERAL",
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0CCBOT00",
        "response_url": response_url,
        "trigger_id": "1337.42.abcdef",
        **extra,
    }
    return urlencode(fields)


def event_body(event: dict[str, Any], *, event_id: str) -> str:
    """Return the JSON body Slack posts for an Events API delivery."""
    return json.dumps(
        {
            "token": "legacy-unused",
            "team_id": "T0CCBOT00",
            "api_app_id": "A0CCBOT00",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": "T0CCBOT00", "user_id": "U0CCBOT00", "is_bot": True}],
        }
    )


def interaction_body(payload: dict[str, Any]) -> str:
    """Return the form body Slack posts for an interaction (button, shortcut, view submission)."""
    return urlencode({"payload": json.dumps(payload)})


class Answer:
    """What the bot answered an in-process request: status, body and headers, as httpx.Response names them."""

    def __init__(self, status: int, body: str, headers: dict[str, Any]) -> None:
        self.status_code = status
        self.text = body
        self.content = body.encode()
        self.headers = {
            key.lower(): value[0] if isinstance(value, list) else value for key, value in headers.items()
        }

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.text)


class SlackSender:
    """Posts signed requests to a running bot's /slack/events over HTTP, or dispatches them to its app in-process."""

    def __init__(self, base_url: str = "", secret: str = SIGNING_SECRET, *, app: App | None = None) -> None:
        self.url = base_url.rstrip("/") + "/slack/events"
        self.secret = secret
        self.app = app
        self.http = httpx.Client(timeout=10)

    def _dispatch(self, body: str, headers: dict[str, str]) -> Answer:
        assert self.app is not None
        response = self.app.dispatch(
            BoltRequest(body=body, headers={k.lower(): v for k, v in headers.items()})
        )
        return Answer(response.status, response.body, response.headers)

    def post(
        self,
        body: str,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        sign: bool = True,
        timestamp: int | None = None,
    ) -> httpx.Response:
        """Post a body, signed unless told otherwise."""
        all_headers = {"Content-Type": content_type}
        if sign:
            all_headers.update(signed_headers(body, secret=self.secret, timestamp=timestamp))
        all_headers.update(headers or {})
        if self.app is not None:
            return self._dispatch(body, all_headers)  # type: ignore[return-value]
        return self.http.post(self.url, content=body.encode(), headers=all_headers)

    def command(self, command: str, text: str = "", *, user_id: str, **kwargs: Any) -> httpx.Response:
        """Post a slash command."""
        body = command_body(command, text, user_id=user_id, response_url=kwargs.pop("response_url", ""))
        return self.post(body, content_type="application/x-www-form-urlencoded", **kwargs)

    def event(self, event: dict[str, Any], *, event_id: str, retry: int = 0, **kwargs: Any) -> httpx.Response:
        """Post an Events API delivery, as a retry when `retry` > 0."""
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return self.post(
            event_body(event, event_id=event_id), content_type="application/json", headers=headers, **kwargs
        )

    def interaction(self, payload: dict[str, Any], **kwargs: Any) -> httpx.Response:
        """Post an interaction payload."""
        return self.post(
            interaction_body(payload), content_type="application/x-www-form-urlencoded", **kwargs
        )


def view_submission(
    view: dict[str, Any], values: dict[str, dict[str, Any]], *, user_id: str
) -> dict[str, Any]:
    """Return the payload Slack posts when someone submits a modal with these input values."""
    state = {block_id: {block_id: value} for block_id, value in values.items()}
    return {
        "type": "view_submission",
        "team": {"id": "T0CCBOT00"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": "T0CCBOT00"},
        "api_app_id": "A0CCBOT00",
        "trigger_id": "1337.42.submit",
        "view": {**view, "state": {"values": state}},
    }


def block_action(
    action_id: str, value: str, *, user_id: str, message: dict[str, Any] | None = None, response_url: str = ""
) -> dict[str, Any]:
    """Return the payload Slack posts when someone clicks a button (in a message, when given)."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T0CCBOT00"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": "T0CCBOT00"},
        "api_app_id": "A0CCBOT00",
        "trigger_id": "1337.42.click",
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if message is not None:
        payload["container"] = {
            "type": "message",
            "channel_id": message["channel"],
            "message_ts": message["ts"],
        }
        payload["channel"] = {"id": message["channel"]}
        payload["message"] = message
    return payload


def text_input(value: str) -> dict[str, Any]:
    """Return a plain-text input's state value."""
    return {"type": "plain_text_input", "value": value}


def select_input(value: str) -> dict[str, Any]:
    """Return a static select's state value."""
    return {
        "type": "static_select",
        "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}},
    }


def user_input(user_id: str) -> dict[str, Any]:
    """Return a users select's state value."""
    return {"type": "users_select", "selected_user": user_id}
