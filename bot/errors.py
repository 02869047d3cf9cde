"""The one error handler: tells the user what went wrong in words they can act on, and logs it with an id."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, BoltResponse
from slack_sdk.errors import SlackApiError

from bot.handlers.answer import reply_privately
from bot.services.errors import UserError
from bot.slack import slack_error_details
from bot.views.text import Mrkdwn, escape, mrkdwn

logger = logging.getLogger("ccbot.errors")
# Interactive payloads answered with an empty 200; what went wrong goes to the response_url when there is one.
INTERACTIONS = {"block_actions", "shortcut", "message_action", "block_suggestion", "view_closed"}


def user_message(error: Exception) -> Mrkdwn:
    """Return what the user is told about an error (never the internals of an unexpected one)."""
    if isinstance(error, UserError):
        # Refusals are plain text and quote names and text people typed: escaped, they cannot mention or link.
        return escape(str(error))
    error_id = secrets.token_hex(4)
    extra = slack_error_details(error) if isinstance(error, SlackApiError) else {}
    logger.error("error %s: %s", error_id, error.__class__.__name__, exc_info=error, extra=extra)
    return mrkdwn(
        "Sorry, something went wrong on my side (error id `{error_id}`). Nothing was changed. "
        "Try again in a minute; if it keeps happening, give the error id to a program admin.",
        error_id=error_id,
    )


def handle_error(
    error: Exception,
    body: dict[str, Any],
    response: BoltResponse | None,
    respond: Callable[..., Any] | None,
    context: BoltContext | None = None,
) -> BoltResponse | None:
    """Answer a failed request: in the HTTP response if not yet acknowledged, else via response_url.

    A modal submission that failed after its ack (the modal is closed, and there is no response_url) is told
    to its submitter in a direct message.
    """
    message = user_message(error)
    payload_type = body.get("type")
    if response is not None:
        if payload_type == "view_submission":
            view = {
                "type": "modal",
                "title": {"type": "plain_text", "text": "Not saved"},
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": message}}],
            }
            return BoltResponse(
                status=200,
                body=json.dumps({"response_action": "update", "view": view}),
                headers={"content-type": "application/json"},
            )
        if payload_type in INTERACTIONS:
            # Slack is answered either way: a 500 would only show the user a warning sign with no words.
            if respond is not None and body.get("response_url"):
                _respond(respond, message)
            else:
                logger.info("refused %s without a response_url: %s", payload_type, error.__class__.__name__)
            return BoltResponse(status=200, body="")
        if payload_type is None and body.get("command"):
            return BoltResponse(
                status=200,
                body=json.dumps({"response_type": "ephemeral", "text": message}),
                headers={"content-type": "application/json"},
            )
    if respond is not None and (body.get("response_url") or body.get("response_urls")):
        _respond(respond, message)
    elif payload_type == "view_submission" and context is not None and callable(context.get("tell")):
        _tell_submitter(context["tell"], str((body.get("user") or {}).get("id") or ""), message)
    return None


def _tell_submitter(tell: Callable[[str, Mrkdwn], None], user_id: str, message: Mrkdwn) -> None:
    if not user_id:
        return
    try:
        tell(user_id, message)
    except Exception:
        logger.exception("could not tell the submitter about an error")


def _respond(respond: Callable[..., Any], message: Mrkdwn) -> None:
    try:
        reply_privately(respond, message, replace_original=False)
    except Exception:
        logger.exception("could not tell the user about an error")
