"""The text helpers every view shares: escaping user text, mentions, dates and spans, agreement names, gaps,
signs of activity, and a notification's fallback text.

Block Kit builders (a section, a context line, modals, input fields) live in bot/views/blocks.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Block, SectionBlock

from storage.models import Activity as Sign
from storage.models import ActivityKind, AgreementKind, Person

if TYPE_CHECKING:
    from bot.types.standing import Gap


def escape(text: str) -> str:
    """Escape &, < and > so user text cannot become a mention, link or `<!channel>`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_clipped(text: str, limit: int) -> str:
    """Escape `text`, then cut it to at most `limit` characters (an ellipsis marks a cut; never inside an entity).

    Escaping lengthens text (`&` becomes `&amp;`), so cutting first could still overflow Slack's limits.
    """
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(limit - 1, 0)]
    entity = cut.rfind("&")
    if entity != -1 and ";" not in cut[entity:]:
        cut = cut[:entity]
    return cut + "…"


def person_ref(person: Person) -> str:
    """Return a Slack mention when the person is linked, else their name and handle."""
    if person.slack_user_id:
        return f"<@{person.slack_user_id}>"
    return f"{escape(person.name or person.github)} (`{escape(person.github)}`)"


def day(value: dt.date | None) -> str:
    """Return a date as YYYY-MM-DD, or a dash."""
    return value.isoformat() if value else "—"


def relative_days(value: dt.date, today: dt.date) -> str:
    """Return 'in 3 days', 'today' or '5 days ago'."""
    delta = (value - today).days
    if delta == 0:
        return "today"
    if delta > 0:
        return f"in {delta} day{'s' if delta != 1 else ''}"
    return f"{-delta} day{'s' if delta != -1 else ''} ago"


def slack_date(when: dt.datetime) -> str:
    """Return an instant that Slack shows in each reader's own time zone (UTC in the fallback)."""
    fallback = when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


# A cell starting with one of these is a formula to a spreadsheet (OWASP's CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(value: str) -> str:
    """Return a CSV cell a spreadsheet shows as text: a leading formula character is quoted with `'`."""
    return "'" + value if value.startswith(FORMULA_STARTS) and not _is_number(value) else value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


AGREEMENT_NAMES = {
    AgreementKind.INDIVIDUAL: "Individual contributor agreement",
    AgreementKind.ENTITY: "Entity contributor agreement",
    AgreementKind.NDA: "NDA / program agreement",
}


def gap_text(gap: Gap, *, for_admin: bool = False) -> str:
    """Say what one gap is and what to do about it; an admin reader is told how to fix it, not whom to ask."""
    if gap.agreement is not None:
        name = AGREEMENT_NAMES[gap.agreement]
        if gap.expired_on is not None:
            if for_admin:
                return f"{name}: expired on {day(gap.expired_on)}. Record the renewal with `/cc-admin` → Record an agreement."
            return f"{name}: expired on {day(gap.expired_on)}. Renew it with the program coordinator."
        if for_admin:
            return f"{name}: not signed yet. Once it is signed, record it with `/cc-admin` → Record an agreement."
        return f"{name}: not signed yet. Ask the program coordinator for it."
    plural = "s" if gap.champions_missing != 1 else ""
    if for_admin:
        return (
            f"{gap.champions_missing} more champion{plural}: assign them with `/cc-admin` → Assign champions."
        )
    return f"{gap.champions_missing} more champion{plural}: an admin assigns champions."


ACTIVITY_WORDS = {
    ActivityKind.QUESTION: "asked a question",
    ActivityKind.VOTE: "voted on a nomination",
    ActivityKind.RETRO: "answered a retro",
    ActivityKind.RECOMMITTED: "recommitted",
    ActivityKind.REINSTATED: "was reinstated",
}
GITHUB_WORDS = {
    ActivityKind.MERGED: "merged {ref}",
    ActivityKind.AUTHORED: "had {ref} merged",
    ActivityKind.REVIEWED: "reviewed {ref}",
}


def activity_text(sign: Sign) -> str:
    """Say in plain words (not mrkdwn) what a sign of activity was: `merged openedx/edx-platform#12`."""
    try:
        kind = ActivityKind(sign.kind)
    except ValueError:
        return str(sign.kind)
    if kind in GITHUB_WORDS:
        return GITHUB_WORDS[kind].format(ref=sign.ref)
    return ACTIVITY_WORDS.get(kind, kind.value)


def blocks_to_text(blocks: Sequence[Block]) -> str:
    """Return a plain fallback text for notifications: the first section's text."""
    for block in blocks:
        if isinstance(block, SectionBlock) and block.text is not None:
            return str(block.text.text)[:3000]
    return "ccbot"


def duration(delta: dt.timedelta) -> str:
    """Return a span as '1h 20m', '3d 2h' or '45s'."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m" if minutes else f"{seconds}s"
