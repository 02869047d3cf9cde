"""Small mrkdwn helpers: escaping user text, mentions, dates."""

from __future__ import annotations

import datetime as dt

from storage.models import Person


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
