"""GitHub team access in Slack: the admins' "Apply this plan" button on the daily access check's plan.

The button acks first (applying calls GitHub, which takes longer than Slack's 3 s), then applies the plan by the
digest it carries; a refusal (not an admin, the plan moved, already applied) is answered through response_url.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from slack_bolt import App
from sqlmodel import Session

from bot.handlers.answer import decides
from bot.ids import Action
from bot.middleware import acks_first
from bot.services.access import Applied, apply_posted_plan
from bot.services.errors import UserError
from bot.services.github.api import GitHubConnect
from bot.types.policy import Channels, Policy
from storage.models import Person

DIGEST = re.compile(r"^[0-9a-f]{64}$")


def handle_apply_plan_action(
    action: dict[str, Any],
    body: dict[str, Any],
    session: Session,
    person: Person | None,
    now: dt.datetime,
    policy: Policy,
    channels: Channels,
    github: GitHubConnect | None,
) -> Applied:
    """An admin applies the posted plan: exactly the plan by its digest, or a refusal saying what moved."""
    digest = str(action.get("value") or "")
    if not DIGEST.match(digest):
        raise UserError("This button no longer points at a plan. The next daily check posts a fresh one.")
    user_id = str((body.get("user") or {}).get("id") or "")
    return apply_posted_plan(
        session, github, policy.github, digest, person, user_id=user_id, now=now, channels=channels
    )


def register(app: App) -> None:
    """Register the access plan's button."""
    app.action(Action.APPLY_ACCESS_PLAN.value)(acks_first(decides(handle_apply_plan_action)))
