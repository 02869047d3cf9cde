"""Nominations: `/cc-nominate`, its modal, and the Yes / No vote buttons."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.handlers.answer import decides
from bot.handlers.state import button_id, selected_user, text_value
from bot.ids import Action, Command, Input, ViewId
from bot.services.nominations import cast_vote, check_can_nominate, expansion_candidate, open_nomination
from bot.types.decided import Decided
from bot.types.policy import Channels, Policy
from bot.views.nominations import expansion_modal, nominate_modal
from storage.models import Person

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def split_nominate_text(text: str) -> tuple[str | None, str, str]:
    """Split `/cc-nominate @user org/repo... reason` into (Slack user id, repos, reason)."""
    user_id: str | None = None
    repos: list[str] = []
    rest: list[str] = []
    for token in text.split():
        mention = MENTION.match(token)
        if mention and user_id is None and not repos and not rest:
            user_id = mention.group(1)
        elif "/" in token and not rest:
            repos.append(token.strip(","))
        else:
            rest.append(token)
    return user_id, " ".join(repos), " ".join(rest)


def open_nominate_modal(
    ack: Callable[..., None],
    command: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    channels: Channels,
) -> None:
    """Open the nomination modal (establish phase on), pre-filled from the command's text; naming an active
    committer opens a proposal of more repositories for them instead."""
    check_can_nominate(session, person, channels=channels)
    ack()
    user_id, repos, reason = split_nominate_text(command.get("text") or "")
    committer = expansion_candidate(session, user_id)
    if committer is not None:
        view = expansion_modal(committer, repos=repos, reason=reason)
    else:
        view = nominate_modal(slack_user=user_id, repos=repos, reason=reason)
    client.views_open(trigger_id=command["trigger_id"], view=view)


def handle_nominate_submission(
    view: dict[str, Any],
    session: Session,
    person: Person | None,
    now: dt.datetime,
    policy: Policy,
    channels: Channels,
) -> Decided:
    """Open the nomination (field errors in the ack), then deliver its post for voting."""
    return open_nomination(
        session,
        person,
        github=text_value(view, Input.GITHUB),
        name=text_value(view, Input.NAME),
        slack_user_id=selected_user(view, Input.SLACK_USER),
        organization=text_value(view, Input.ORGANIZATION),
        repos=text_value(view, Input.REPOS).replace(",", " ").split(),
        reason=text_value(view, Input.REASON),
        now=now,
        rules=policy.nomination,
        channels=channels,
    )


def handle_vote_action(
    action: dict[str, Any], session: Session, person: Person | None, now: dt.datetime, policy: Policy
) -> Decided:
    """Record an active committer's vote (changeable until close) and redraw the tally."""
    yes = action.get("action_id") == Action.VOTE_YES.value
    nomination_id = button_id(action, "a nomination")
    return cast_vote(session, nomination_id, person, yes=yes, now=now, rules=policy.nomination)


def register(app: App) -> None:
    """Register everything of the nominations feature."""
    app.command(Command.NOMINATE.value)(open_nominate_modal)
    app.view(ViewId.NOMINATE.value)(decides(handle_nominate_submission))
    vote = decides(handle_vote_action)
    app.action(Action.VOTE_YES.value)(vote)
    app.action(Action.VOTE_NO.value)(vote)
