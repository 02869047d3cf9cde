"""The text helpers every view shares: the one builder of notification text, escaping user text, mentions,
dates and spans, agreement names, gaps, signs of activity, and a message's notification text.

Every message's notification `text` (what phones, screen readers and the console show) is `Mrkdwn`: text the
bot vouches for. It is made only here, by `mrkdwn(template, **parts)`: the template is the bot's own literal
text, and each part is escaped unless it is `Mrkdwn` already (a mention, a date, a link the bot built). The
outbox and every reply path take `Mrkdwn`, so a raw `str` (a field someone typed) is a type error, not a
`<!channel>` in a notification. Plain-text contexts (modal titles, field errors, file contents, the console's
terminal) take plain `str` and are never escaped: there `&lt;` would show as typed.

Block Kit builders (a section, a context line, modals, input fields) live in bot/views/blocks.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, LiteralString

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.types.mrkdwn import Mrkdwn
from bot.types.outbox import PERMALINK
from storage.models import Activity as Sign
from storage.models import ActivityKind, AgreementKind, Person

if TYPE_CHECKING:
    from bot.types.standing import Gap

SECTION_MAX = 3000  # Slack's limit on a section's text


def escape(text: str) -> Mrkdwn:
    """Escape &, < and > so user text cannot become a mention, link or `<!channel>`."""
    return Mrkdwn(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _part(value: object) -> Mrkdwn:
    return value if isinstance(value, Mrkdwn) else escape(str(value))


def mrkdwn(template: LiteralString, /, **parts: object) -> Mrkdwn:
    """Return the template with each `{name}` filled in: `Mrkdwn` parts as they are, any other part escaped.

    `mrkdwn("Nomination #{n}: {who} for {repos}", n=7, who=handle, repos=names)` can carry `<!channel>` in
    `handle` only as the text `&lt;!channel&gt;`.
    """
    return Mrkdwn(template.format_map({name: _part(value) for name, value in parts.items()}))


def join(separator: LiteralString, parts: Iterable[object]) -> Mrkdwn:
    """Return the parts joined by the separator, each escaped unless it is `Mrkdwn` already."""
    return Mrkdwn(separator.join(_part(part) for part in parts))


def join_some(separator: LiteralString, parts: Sequence[object], *, limit: int = 40) -> Mrkdwn:
    """Return at most `limit` parts joined as `join` does, then "and N more" for the rest (a list of people
    in a message stays readable, and within Slack's 40,000 characters, however many there are)."""
    shown = join(separator, parts[:limit])
    more = len(parts) - limit
    return mrkdwn("{shown} and {more} more", shown=shown, more=more) if more > 0 else shown


def clip(text: Mrkdwn, limit: int) -> Mrkdwn:
    """Return mrkdwn cut to at most `limit` characters (an ellipsis marks a cut), never inside an entity or a
    `<...>` token the bot made."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    entity, token = cut.rfind("&"), cut.rfind("<")
    if entity != -1 and ";" not in cut[entity:]:
        cut = cut[:entity]
    if token != -1 and ">" not in cut[token:]:
        cut = cut[:token]
    return Mrkdwn(cut + "…")


def cut_lines(text: Mrkdwn, limit: int, more: Mrkdwn) -> Mrkdwn:
    """Return mrkdwn cut at a line break so it fits in `limit` characters, `more` saying what was left out."""
    if len(text) <= limit:
        return text
    return Mrkdwn(text[: text.rfind("\n", 0, max(limit - len(more) - 1, 0))] + "\n" + more)


def link(url: str, label: object) -> Mrkdwn:
    """Return a link to `url` shown as `label` (escaped unless `Mrkdwn`); the URL cannot end the token early."""
    safe_url = escape(url).replace("|", "%7C")
    return Mrkdwn(f"<{safe_url}|{_part(label)}>")


def link_to_posting(label: object) -> Mrkdwn:
    """Return mrkdwn linking to the posting a message waits for (plain `label` when Slack gives no link)."""
    return link(PERMALINK, label)


def mention(slack_user_id: str) -> Mrkdwn:
    """Return a mention of a Slack user by id (the id is the bot's own record, never typed text)."""
    return Mrkdwn(f"<@{''.join(c for c in slack_user_id if c.isascii() and c.isalnum())}>")


def channel_ref(channel_id: str) -> Mrkdwn:
    """Return a reference to a channel by id, as Slack links it."""
    return Mrkdwn(f"<#{''.join(c for c in channel_id if c.isascii() and c.isalnum())}>")


def stored(text: str) -> Mrkdwn:
    """Return notification text read back from the outbox, which only ever holds `Mrkdwn` (a fallback, a retry)."""
    return Mrkdwn(text)


class TextSection(SectionBlock):
    """A section whose text is `Mrkdwn`: the one block whose text can also be a message's notification text."""

    def __init__(self, text: Mrkdwn, **others: object) -> None:
        self.mrkdwn = clip(text, SECTION_MAX)
        super().__init__(text=MarkdownTextObject(text=self.mrkdwn), **others)  # type: ignore[arg-type]


def notification_of(blocks: Iterable[Block], fallback: Mrkdwn) -> Mrkdwn:
    """Return a message's notification text: its first section's when that is a `TextSection`, else `fallback`."""
    for block in blocks:
        if isinstance(block, SectionBlock):
            return block.mrkdwn if isinstance(block, TextSection) else fallback
    return fallback


def escape_clipped(text: str, limit: int) -> Mrkdwn:
    """Escape `text`, then cut it to at most `limit` characters (an ellipsis marks a cut; never inside an entity).

    Escaping lengthens text (`&` becomes `&amp;`), so cutting first could still overflow Slack's limits.
    """
    return clip(escape(text), limit)


def person_ref(person: Person) -> Mrkdwn:
    """Return a Slack mention when the person is linked, else their name and handle."""
    if person.slack_user_id:
        return mention(person.slack_user_id)
    return mrkdwn("{name} (`{github}`)", name=person.name or person.github, github=person.github)


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


def slack_date(when: dt.datetime) -> Mrkdwn:
    """Return an instant that Slack shows in each reader's own time zone (UTC in the fallback)."""
    fallback = when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return Mrkdwn(f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>")


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


def blocks_to_text(blocks: Sequence[Block]) -> Mrkdwn:
    """Return the notification text of an answer made of blocks: the first section's text."""
    return notification_of(blocks, mrkdwn("ccbot"))


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
