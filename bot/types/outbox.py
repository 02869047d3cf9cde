"""What a message's text may hold for the outbox to fill in at delivery: the link to a posting, a failure's reason."""

from __future__ import annotations

import re
from dataclasses import dataclass

# In the text or blocks of a message with `after`: replaced by the posting's permalink at delivery.
# User text is escaped before it meets mrkdwn, so a raw `<` never comes from anyone but the bot.
PERMALINK = "ccbot:permalink"
LINK_TO_POSTING = re.compile(r"<ccbot:permalink\|([^>]*)>")
# In a fallback's text: replaced by the reason its message failed.
REASON = "ccbot:reason"


@dataclass(frozen=True)
class Rate:
    """A Slack rate limit: `per_minute` calls on average, at most `burst` of them at once."""

    per_minute: float
    burst: int

    @property
    def per_second(self) -> float:
        """Calls per second on average."""
        return self.per_minute / 60


# Slack's tiers, per method, per app and workspace (shared/slack FACTS: Tier 2 ~20/min, 3 ~50/min, 4 ~100/min).
# Slack allows "occasional bursts" without a number: these bursts are the stand-in's, and the bot's budget
# never counts on more.
TIERS: dict[int, Rate] = {
    1: Rate(per_minute=1, burst=1),
    2: Rate(per_minute=20, burst=3),
    3: Rate(per_minute=50, burst=5),
    4: Rate(per_minute=100, burst=10),
}
METHOD_TIERS: dict[str, int] = {
    "users.list": 2,
    "conversations.list": 2,
    "users.lookupByEmail": 3,
    "conversations.open": 3,
    "conversations.info": 3,
    "conversations.history": 3,
    "conversations.replies": 3,
    "chat.update": 3,
    "views.open": 4,
    "views.update": 4,
    "views.push": 4,
    "views.publish": 4,
    "users.info": 4,
    "chat.postEphemeral": 4,
    "chat.getPermalink": 4,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
}
POST_METHOD = "chat.postMessage"
# chat.postMessage: about one message per second per channel, short bursts allowed...
POST_PER_CHANNEL = Rate(per_minute=60, burst=3)
# ...and a workspace-wide limit Slack keeps without publishing a number: an assumption ("several hundred a minute").
POST_PER_WORKSPACE = Rate(per_minute=300, burst=20)


def method_rate(method: str) -> Rate | None:
    """Return the per-workspace rate of a Web API method (None: no tier the bot need respect)."""
    if method == POST_METHOD:
        return POST_PER_WORKSPACE
    tier = METHOD_TIERS.get(method)
    return TIERS[tier] if tier is not None else None
