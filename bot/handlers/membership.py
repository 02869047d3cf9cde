"""Membership in Slack: the admins' one-click Keep / Move to alumni on a committer proposed as inactive."""

from __future__ import annotations

from slack_bolt import App

from bot.handlers.answer import Decide, register_admin_decisions
from bot.ids import Action
from bot.services.membership import decide_inactive
from storage.models import InactivityDecision

# The admins' one-click buttons on an inactive committer: Keep, or Move to alumni.
INACTIVITY_DECISIONS: dict[str, tuple[str, Decide]] = {
    Action.INACTIVE_KEEP.value: (
        "an inactivity proposal",
        lambda session, target, actor, now, policy, channels: decide_inactive(
            session,
            target,
            actor,
            decision=InactivityDecision.KEPT,
            now=now,
            policy=policy.lifecycle,
            channels=channels,
        ),
    ),
    Action.INACTIVE_MOVE.value: (
        "an inactivity proposal",
        lambda session, target, actor, now, policy, channels: decide_inactive(
            session,
            target,
            actor,
            decision=InactivityDecision.MOVED,
            now=now,
            policy=policy.lifecycle,
            channels=channels,
        ),
    ),
}


def register(app: App) -> None:
    """Register the admins' decisions on inactive committers."""
    register_admin_decisions(app, INACTIVITY_DECISIONS)
