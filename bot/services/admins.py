"""The program's admins as recipients: everyone with the admin role on the roster, and the bootstrap CCBOT_ADMINS."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from bot.services.keys import Kind
from bot.services.outbox import Outgoing, dm
from bot.services.policy import Channels
from bot.services.roster import list_admins
from bot.views.text import Mrkdwn


def admin_ids(session: Session, channels: Channels) -> list[str]:
    """Return the Slack ids of every admin: the roster's current admins, then CCBOT_ADMINS not among them."""
    recipients = [p.slack_user_id for p in list_admins(session) if p.slack_user_id]
    return recipients + [user_id for user_id in channels.admins if user_id not in recipients]


def admin_messages(
    session: Session,
    channels: Channels,
    kind: Kind,
    parts: Sequence[object],
    text: Mrkdwn,
    *,
    blocks: Sequence[Any] | None = None,
) -> list[Outgoing | None]:
    """Return one DM per admin, each under its own key (kind, parts, admin)."""
    return [
        dm(kind, [*parts, user_id], user_id, text, blocks=blocks) for user_id in admin_ids(session, channels)
    ]
