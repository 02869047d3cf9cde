"""What a message's text may hold for the outbox to fill in at delivery: the link to a posting, a failure's reason."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.types.keys import Kind
from storage.models import OutboxLane

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


# Which lane each kind of message waits in. Interactive: what a person is waiting for (a thread root, a reply,
# a redraw after a click, a DM their action caused, a notice of an event that just happened). Bulk: campaigns
# and scheduled rounds (reminders, renewal rounds, digests, expiry and status notices), which never delay the
# first.
INTERACTIVE, BULK = OutboxLane.INTERACTIVE, OutboxLane.BULK
LANES: dict[Kind, OutboxLane] = {
    Kind.QUESTION_ROOT: INTERACTIVE,
    Kind.QUESTION_CONFIRM: INTERACTIVE,
    Kind.QUESTION_URGENT: INTERACTIVE,
    Kind.QUESTION_DELAYED: INTERACTIVE,
    Kind.QUESTION_REPEATED: INTERACTIVE,
    Kind.QUESTION_HANDOFF: INTERACTIVE,
    Kind.QUESTION_NUDGE: BULK,
    Kind.ESCALATION_ROOT: INTERACTIVE,
    Kind.ESCALATION_OPENED: INTERACTIVE,
    Kind.ESCALATION_REPEATED: INTERACTIVE,
    Kind.ESCALATION_CHANGE: INTERACTIVE,
    Kind.ESCALATION_OWNER: INTERACTIVE,
    Kind.ESCALATION_STEP: INTERACTIVE,
    Kind.NOTICE_DM: INTERACTIVE,
    Kind.NOTICE_THREAD: INTERACTIVE,
    Kind.NOTICE_UNMATCHED: INTERACTIVE,
    Kind.NOTICE_ANSWER: INTERACTIVE,
    Kind.INTRO: INTERACTIVE,
    Kind.INTRO_DELAYED: INTERACTIVE,
    Kind.NOMINATION_ROOT: INTERACTIVE,
    Kind.NOMINATION_DELAYED: INTERACTIVE,
    Kind.NOMINATION_RESULT: INTERACTIVE,
    Kind.NOMINATION_CHECKLIST: INTERACTIVE,
    Kind.PHASE: BULK,
    Kind.LAPSED: BULK,
    Kind.ACTIVE_AGAIN: BULK,
    Kind.NOW_ACTIVE: BULK,
    Kind.EXPIRY: BULK,
    Kind.ONBOARDING: BULK,
    Kind.RETRO: BULK,
    Kind.RETRO_REPORT: BULK,
    Kind.DIGEST: BULK,
    Kind.DIGEST_CSV: BULK,
    Kind.DELIVERY_FAILED: INTERACTIVE,
    Kind.SLACK_NOT_FOUND: BULK,
    Kind.TOLD: INTERACTIVE,
    Kind.REDRAW: INTERACTIVE,
    Kind.DM_HELP: INTERACTIVE,
    Kind.GITHUB_MERGED: BULK,
    Kind.GITHUB_REVIEW_ASK: INTERACTIVE,
    Kind.GITHUB_REVIEW_NONE: INTERACTIVE,
    Kind.GITHUB_REVIEW_REQUESTED: INTERACTIVE,
    Kind.ACCESS_DRIFT: BULK,
    Kind.ACCESS_APPLY: INTERACTIVE,
    Kind.ACCESS_PLAN: INTERACTIVE,
    Kind.ACCESS_NOTICE: BULK,
    Kind.ACCESS_INTERRUPTED: INTERACTIVE,
    Kind.IDENTITY: INTERACTIVE,
    Kind.SNOOZED: INTERACTIVE,
    Kind.RENEWAL_INVITE: BULK,
    Kind.RENEWAL_REMINDER: BULK,
    Kind.RENEWAL_EXTENDED: INTERACTIVE,
    Kind.RENEWAL_FOLLOWUP: BULK,
    Kind.RENEWAL_THANKS: INTERACTIVE,
    Kind.RENEWAL_ENDED: BULK,
    Kind.RENEWAL_CONTACT: BULK,
    Kind.INACTIVE_REVIEW: BULK,
    Kind.ALUMNI: BULK,
    Kind.REINSTATED: INTERACTIVE,
    Kind.EXPANSION_GRANTED: INTERACTIVE,
    Kind.QUESTION_TURN: INTERACTIVE,
}


def lane_of(kind: str) -> OutboxLane:
    """Return the lane of a message kind (a kind this table does not know is taken as interactive)."""
    try:
        return LANES.get(Kind(kind), INTERACTIVE)
    except ValueError:
        return INTERACTIVE
