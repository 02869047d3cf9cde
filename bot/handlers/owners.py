"""Technical owners: `/cc-owners org/repo [path]` and its Request an intro button."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from sqlmodel import Session

from bot.handlers.answer import Deliver, answer, answer_command, reply_privately
from bot.ids import Action, Command
from bot.services.errors import UserError
from bot.services.outbox import posting_of
from bot.services.owners import check_repo_name, find_owners, request_intro
from bot.types.policy import Channels
from bot.views.owners import intro_confirmation, owners_blocks
from bot.views.text import blocks_to_text
from storage.models import Person


def answer_owners_command(ack: Callable[..., None], command: dict[str, Any], session: Session) -> None:
    """Answer `/cc-owners org/repo [path]` with the owners and an intro button."""
    repo, path = check_repo_name(command.get("text") or "")
    blocks = owners_blocks(find_owners(session, repo, path))
    answer_command(ack, blocks_to_text(blocks), blocks)


def handle_request_intro_action(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Callable[..., Any],
    session: Session,
    person: Person | None,
    now: dt.datetime,
    channels: Channels,
    deliver: Deliver,
) -> None:
    """Post an intro to the owners in the coordination channel (once a week at most) and tell the committer where."""
    try:
        target = json.loads(action.get("value") or "{}")
    except ValueError:
        target = {}
    if not isinstance(target, dict) or not target.get("repo"):
        raise UserError("This button no longer points at a repository. Run `/cc-owners` again.")
    repo, path = str(target["repo"]), str(target.get("path") or "")
    decided = answer(
        ack, deliver, body, lambda: request_intro(session, person, repo, path, now=now, channels=channels)
    )
    if decided is not None:
        # Read after delivery: the permalink when the post went out, else the intro is still queued.
        posting = posting_of(session, decided.card.subject)
        reply_privately(respond, intro_confirmation(decided.card, posting), replace_original=False)


def register(app: App) -> None:
    """Register everything of the owners feature."""
    app.command(Command.OWNERS.value)(answer_owners_command)
    app.action(Action.REQUEST_INTRO.value)(handle_request_intro_action)
