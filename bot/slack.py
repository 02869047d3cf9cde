"""Slack Web API plumbing: the instrumented WebClient (built by bot.assembly), directory lookups, the messenger."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from bot import metrics
from bot.logs import slack_request_shape
from bot.services.directory import DirectoryBusy
from bot.services.outbox import DeliveryFailed, Posted
from bot.types.directory import SlackProfile, UserPage

logger = logging.getLogger(__name__)

OUTBOX_EVENT = "ccbot_outbox"
NOT_FOUND_ERRORS = {"users_not_found", "user_not_found", "account_inactive"}
# Errors that the same message will meet again however often it is retried.
PERMANENT_POST_ERRORS = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "user_not_found",
    "account_inactive",
    "cannot_dm_bot",
    "user_disabled",
    "restricted_action",
    "msg_too_long",
    "invalid_blocks",
    "no_text",
    "thread_not_found",
    "message_not_found",
    "cant_update_message",
    "edit_window_closed",
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "missing_scope",
}


class InstrumentedWebClient(WebClient):
    """A WebClient that counts and times every API call, and counts errors by method and code."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        """Make the call, recording it in the metrics."""
        started = time.monotonic()
        try:
            return super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            metrics.SLACK_ERRORS.labels(api_method, error).inc()
            expected = api_method.startswith("users.") and error in NOT_FOUND_ERRORS
            # The payload's shape (keys, block count, lengths) says what went wrong; its content is people's words.
            logger.log(
                logging.INFO if expected else logging.WARNING,
                "Slack refused %s: %s",
                api_method,
                error,
                extra=slack_error_details(exc, api_method, kwargs),
            )
            raise
        except (SlackClientError, OSError) as exc:
            metrics.SLACK_ERRORS.labels(api_method, exc.__class__.__name__).inc()
            raise
        finally:
            metrics.SLACK_CALLS.labels(api_method).inc()
            metrics.SLACK_SECONDS.labels(api_method).observe(time.monotonic() - started)


def slack_error_details(
    exc: SlackApiError, api_method: str | None = None, request: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Return log extras describing a refused call: method, error, Slack's hints, the payload's shape only."""
    response = exc.response
    if request is None:
        request = response.req_args if isinstance(getattr(response, "req_args", None), dict) else {}
    method = api_method or str(getattr(response, "api_url", "")).rsplit("/", 1)[-1]
    details: dict[str, Any] = {
        "slack_method": method,
        "slack_error": str(response.get("error") or response.status_code),
        "shape": slack_request_shape(request),
    }
    hints = (response.get("response_metadata") or {}).get("messages")
    if hints:
        details["slack_hints"] = [str(hint)[:300] for hint in hints][:10]
    return details


def instrument(client: WebClient) -> WebClient:
    """Return the same client as an InstrumentedWebClient (Bolt builds a plain one per request)."""
    if isinstance(client, InstrumentedWebClient):
        return client
    return InstrumentedWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=client.retry_handlers,
    )


class SlackDirectory:
    """The roster's view of Slack users, over users.list, users.info and users.lookupByEmail.

    The client's retry handlers wait out 429s (Retry-After); one that outlasts them is DirectoryBusy.
    """

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def lookup_by_email(self, email: str) -> SlackProfile | None:
        """Return the Slack user with this e-mail, or None when Slack has none."""
        return self._user(self.client.users_lookupByEmail, email=email)

    def user_info(self, user_id: str) -> SlackProfile | None:
        """Return the Slack user with this id, or None when Slack has none."""
        return self._user(self.client.users_info, user=user_id)

    def list_users(self, cursor: str, limit: int) -> UserPage:
        """Return one page of users.list from `cursor` ("" for the first page)."""
        try:
            response = self.client.users_list(cursor=cursor or None, limit=limit)
        except SlackApiError as exc:
            _raise_if_busy(exc)
            raise
        members = response.get("members") or []
        metadata = response.get("response_metadata") or {}
        next_cursor = metadata.get("next_cursor") if isinstance(metadata, dict) else None
        profiles = (profile_of(member) for member in members if isinstance(member, dict))
        return UserPage(
            members=tuple(p for p in profiles if p is not None),
            next_cursor=next_cursor if isinstance(next_cursor, str) else "",
        )

    def _user(self, method: Callable[..., SlackResponse], **kwargs: str) -> SlackProfile | None:
        try:
            response = method(**kwargs)
        except SlackApiError as exc:
            if exc.response.get("error") in NOT_FOUND_ERRORS:
                return None
            _raise_if_busy(exc)
            raise
        user = response.get("user")
        return profile_of(user) if isinstance(user, dict) else None


def _raise_if_busy(exc: SlackApiError) -> None:
    if exc.response.status_code == 429 or exc.response.get("error") == "ratelimited":
        headers = exc.response.headers or {}
        raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        value = raw[0] if isinstance(raw, list) and raw else raw
        try:
            retry_after = min(max(float(str(value)), 1.0), 300.0)
        except ValueError:
            retry_after = 30.0
        raise DirectoryBusy(retry_after) from None


def profile_of(user: dict[str, Any]) -> SlackProfile | None:
    """Return what the roster needs of a Slack user object (users.list, users.info, user_change), or None when it
    has no id. Values are passed on as Slack sent them, typed: the services check them before storing."""
    user_id = user.get("id")
    if not isinstance(user_id, str):
        return None
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    assert isinstance(profile, dict)
    email = profile.get("email")
    timezone = user.get("tz")
    real_name = profile.get("real_name") or user.get("real_name")
    return SlackProfile(
        user_id=user_id,
        email=email if isinstance(email, str) else None,
        timezone=timezone if isinstance(timezone, str) else None,
        real_name=real_name if isinstance(real_name, str) else None,
        deleted=user.get("deleted") is True,
        bot=user.get("is_bot") is True or user_id == "USLACKBOT",
    )


def _refusal(exc: SlackApiError) -> DeliveryFailed:
    error = str(exc.response.get("error") or f"http_{exc.response.status_code}")
    retry_after = None
    if exc.response.status_code == 429:
        # The outbox keeps Retry-After in the budget every instance shares, and waits it out there.
        headers = {str(k).lower(): v for k, v in (exc.response.headers or {}).items()}
        value = headers.get("retry-after")
        value = value[0] if isinstance(value, list) else value
        try:
            retry_after = max(0.0, float(value)) if value is not None else 1.0
        except ValueError:
            retry_after = 1.0
    return DeliveryFailed(error, permanent=error in PERMANENT_POST_ERRORS, retry_after=retry_after)


def _unreachable(exc: Exception, *, sending: bool) -> DeliveryFailed:
    # A timeout while posting may mean Slack has the message: the next try looks before posting again.
    return DeliveryFailed(f"connection: {exc.__class__.__name__}", permanent=False, uncertain=sending)


class SlackMessenger:
    """The outbox's Slack: chat.postMessage, chat.update, files.uploadV2. Its client does not wait out 429s
    itself: the outbox records Retry-After in the budget every instance shares (bot.services.outbox.Budget)."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post(
        self, *, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str | None, key: str
    ) -> Posted:
        """Post one message, tagged with its outbox key in Slack's message metadata; return where it landed."""
        try:
            response = self.client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks or None,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                metadata={"event_type": OUTBOX_EVENT, "event_payload": {"key": key}},
            )
        except SlackApiError as exc:
            raise _refusal(exc) from None
        except (SlackClientError, OSError) as exc:
            raise _unreachable(exc, sending=True) from None
        return Posted(channel=str(response.get("channel") or channel), ts=str(response.get("ts") or ""))

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        """Replace a posted message's text and blocks."""
        try:
            self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks or None)
        except SlackApiError as exc:
            raise _refusal(exc) from None
        except (SlackClientError, OSError) as exc:
            raise _unreachable(exc, sending=False) from None

    def permalink(self, *, channel: str, ts: str) -> str | None:
        """Return a message's permalink, or None when Slack will not give one."""
        try:
            response = self.client.chat_getPermalink(channel=channel, message_ts=ts)
        except (SlackApiError, SlackClientError, OSError) as exc:
            logger.info("no permalink for %s/%s: %s", channel, ts, exc.__class__.__name__)
            return None
        return str(response.get("permalink") or "") or None

    def find_sent(
        self, *, channel: str, key: str, thread_ts: str | None, since: dt.datetime
    ) -> Posted | None:
        """Return where a message already posted under `key` is (found by its metadata), or None."""
        try:
            if channel[:1] in "UW":
                channel = str(self.client.conversations_open(users=channel)["channel"]["id"])
            # A day of margin: clocks differ, and a DM channel holds few messages.
            oldest = f"{since.timestamp() - 86400:.6f}"
            if thread_ts:
                response = self.client.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=oldest, include_all_metadata=True, limit=200
                )
            else:
                response = self.client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True, limit=200
                )
        except (SlackApiError, SlackClientError, OSError) as exc:
            # Without history access the message is sent again: a rare duplicate rather than a loss.
            logger.warning("cannot look for outbox message %s: %s", key, exc.__class__.__name__)
            return None
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == OUTBOX_EVENT
                and (metadata.get("event_payload") or {}).get("key") == key
            ):
                return Posted(channel=channel, ts=str(message.get("ts")))
        return None

    def upload(
        self, *, channel: str, file_name: str, content: str | bytes, comment: str, alt_text: str = ""
    ) -> str:
        """Upload `content` (text, or a picture's bytes with its alt text) as a file shared in `channel`; return
        the file id. files_upload_v2 is files.getUploadURLExternal + files.completeUploadExternal (files.upload
        is retired)."""
        try:
            response = self.client.files_upload_v2(
                channel=channel,
                filename=file_name,
                content=content,
                title=file_name,
                initial_comment=comment or None,
                # Slack caps alt text at 1,000 characters.
                alt_txt=alt_text[:1000] or None,
            )
        except SlackApiError as exc:
            raise _refusal(exc) from None
        except (SlackClientError, OSError) as exc:
            raise _unreachable(exc, sending=False) from None
        file = response.get("file") or {}
        return str(file.get("id") or "") if isinstance(file, dict) else ""
