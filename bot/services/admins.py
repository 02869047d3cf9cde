"""The program's admins as recipients: everyone with the admin role on the roster, and the bootstrap CCBOT_ADMINS.

Whatever tells "the admins" asks here, so no list of them leaves either kind out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from bot.services.outbox import Outgoing, dm
from bot.types.keys import Kind
from bot.types.policy import Channels
from bot.views.text import Mrkdwn
from storage import roster as roster_store
from storage.models import Role


def admin_ids(session: Session, channels: Channels) -> list[str]:
    """Return the Slack ids of every admin, the roster's current admins and CCBOT_ADMINS, once each and sorted."""
    return sorted(
        {p.slack_user_id for p in roster_store.list_people_with_role(session, Role.ADMIN) if p.slack_user_id}
        | set(channels.admins)
    )


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
