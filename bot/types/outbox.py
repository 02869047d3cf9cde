"""What a message's text may hold for the outbox to fill in at delivery: the link to a posting, a failure's reason."""

from __future__ import annotations

import re

# In the text or blocks of a message with `after`: replaced by the posting's permalink at delivery.
# User text is escaped before it meets mrkdwn, so a raw `<` never comes from anyone but the bot.
PERMALINK = "ccbot:permalink"
LINK_TO_POSTING = re.compile(r"<ccbot:permalink\|([^>]*)>")
# In a fallback's text: replaced by the reason its message failed.
REASON = "ccbot:reason"
