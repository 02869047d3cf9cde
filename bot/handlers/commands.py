"""Slash commands: `/cc` (status and help), `/cc-ask` and `/cc-escalate` (open their modals), `/cc-owners`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.ids import Command
from bot.services.activity import get_activity
from bot.services.admin import check_admin
from bot.services.escalations import escalation_form
from bot.services.nominations import check_can_nominate
from bot.services.owners import check_repo_name, find_owners
from bot.services.policy import current_policy
from bot.services.questions import ask_refusal, split_ask_text
from bot.services.retros import feedback_form
from bot.services.roster import get_profile, list_admins
from bot.settings import Settings
from bot.views.admin import admin_menu_blocks
from bot.views.escalations import escalate_modal
from bot.views.nominations import nominate_modal
from bot.views.owners import owners_blocks
from bot.views.questions import NO_CHANNEL, ask_modal, refusal_text
from bot.views.retros import retro_modal
from bot.views.status import admin_refs, blocks_to_text, help_blocks, not_on_roster_blocks, status_blocks
from storage.models import Person

STATUS_WORDS = {"", "status", "me"}


def answer_cc_command(
    ack: Callable[..., None],
    command: dict[str, Any],
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Answer `/cc` with the caller's status, `/cc help` with the command list, anything else with help."""
    text = (command.get("text") or "").strip()
    word = text.split()[0].lower() if text else ""
    if word == "help":
        blocks = help_blocks()
    elif word not in STATUS_WORDS:
        blocks = help_blocks(unknown=text)
    elif person is None or person.id is None:
        blocks = not_on_roster_blocks(admin_refs(list_admins(session), settings.admins))
    else:
        profile = get_profile(session, person.id, today=now.date())
        blocks = status_blocks(profile, today=now.date(), activity=get_activity(session, person.id, now=now))
    ack(text=blocks_to_text(blocks), blocks=blocks)


def open_ask_modal(
    ack: Callable[..., None],
    command: dict[str, Any],
    respond: Callable[..., Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
    settings: Settings,
) -> None:
    """Ack at once, then open the question modal pre-filled from `/cc-ask <url> <question>`, or say why not."""
    # The standing check reads the whole profile: it runs after the ack, which stays as cheap as Bolt's own.
    ack()
    refusal = ask_refusal(session, person, today=now.date())
    if refusal is not None or not settings.coordination_channel:
        respond(text=refusal_text(refusal) if refusal else NO_CHANNEL, response_type="ephemeral")
        return
    pr_url, question = split_ask_text(command.get("text") or "")
    client.views_open(trigger_id=command["trigger_id"], view=ask_modal(pr_url=pr_url, question=question))


def answer_owners_command(ack: Callable[..., None], command: dict[str, Any], session: Session) -> None:
    """Answer `/cc-owners org/repo [path]` with the owners and an intro button."""
    repo, path = check_repo_name(command.get("text") or "")
    blocks = owners_blocks(find_owners(session, repo, path))
    ack(text=blocks_to_text(blocks), blocks=blocks)


def open_escalate_modal(
    ack: Callable[..., None],
    command: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
) -> None:
    """Open the escalate modal; a person who may not escalate is told why (before the ack)."""
    form = escalation_form(session, person)
    ack()
    client.views_open(trigger_id=command["trigger_id"], view=escalate_modal(form))


def open_retro_modal(
    ack: Callable[..., None],
    command: dict[str, Any],
    client: WebClient,
    session: Session,
    person: Person | None,
    now: dt.datetime,
) -> None:
    """Open the open retro's 4Ls modal, pre-filled with the person's answers so far."""
    retro, feedback = feedback_form(session, person, now=now)
    ack()
    client.views_open(trigger_id=command["trigger_id"], view=retro_modal(retro, feedback))


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
) -> None:
    """Open the nomination modal (establish phase on), pre-filled from the command's text."""
    check_can_nominate(session, person)
    ack()
    user_id, repos, reason = split_nominate_text(command.get("text") or "")
    view = nominate_modal(slack_user=user_id, repos=repos, reason=reason)
    client.views_open(trigger_id=command["trigger_id"], view=view)


def answer_admin_command(
    ack: Callable[..., None], session: Session, person: Person | None, settings: Settings
) -> None:
    """Show admins the menu of changes; refuse everyone else."""
    check_admin(session, person, settings.admins)
    blocks = admin_menu_blocks(current_policy(session))
    ack(text="Program admin", blocks=blocks, response_type="ephemeral")


def register(app: App) -> None:
    """Register the slash commands."""
    app.command(Command.CC.value)(answer_cc_command)
    app.command(Command.ASK.value)(open_ask_modal)
    app.command(Command.OWNERS.value)(answer_owners_command)
    app.command(Command.ESCALATE.value)(open_escalate_modal)
    app.command(Command.RETRO.value)(open_retro_modal)
    app.command(Command.NOMINATE.value)(open_nominate_modal)
    app.command(Command.ADMIN.value)(answer_admin_command)
