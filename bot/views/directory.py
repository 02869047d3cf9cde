"""Messages about the Slack directory: whom a background resolution of Slack ids and time zones did not find."""

from __future__ import annotations

from bot.types.directory import Miss, NotFound, ResolutionReport
from bot.views.text import Mrkdwn, join, mrkdwn

SHOWN = 20


def miss_text(entry: NotFound) -> Mrkdwn:
    """Say why one person's Slack id or time zone is still missing (every part from Slack or the file escaped)."""
    if entry.miss is Miss.NO_EMAIL:
        return mrkdwn("`{github}`: no Slack id and no e-mail on the roster", github=entry.github)
    if entry.miss is Miss.NO_USER:
        return mrkdwn(
            "`{github}`: no Slack member has the e-mail {email}", github=entry.github, email=entry.detail
        )
    if entry.miss is Miss.SHARED_EMAIL:
        return mrkdwn(
            "`{github}`: others on the roster have the same e-mail {email}",
            github=entry.github,
            email=entry.detail,
        )
    if entry.miss is Miss.TAKEN:
        user_id, _, holder = entry.detail.partition(" ")
        return mrkdwn(
            "`{github}`: the Slack member with their e-mail ({user_id}) is linked to `{holder}`",
            github=entry.github,
            user_id=user_id,
            holder=holder,
        )
    return mrkdwn(
        "`{github}`: Slack id {user_id} is not in the workspace or has no time zone",
        github=entry.github,
        user_id=entry.detail,
    )


def not_found_notice(report: ResolutionReport) -> Mrkdwn:
    """Tell the admins whom the resolution did not find, and how to fix it."""
    missing = report.not_found
    lines = join("\n", [mrkdwn("• {line}", line=miss_text(entry)) for entry in missing[:SHOWN]])
    more = mrkdwn("\n…and {count} more", count=len(missing) - SHOWN) if len(missing) > SHOWN else ""
    return mrkdwn(
        ":mag: Looking people up in Slack: {ids} Slack id(s) and {zones} time zone(s) filled in; "
        "{count} could not be:\n{lines}{more}\n"
        "Add their Slack id (`slack:`) or e-mail to the roster file and import it again; "
        "`ccbot roster resolve --status` lists them all.",
        ids=report.ids_found,
        zones=report.timezones_found,
        count=len(missing),
        lines=lines,
        more=more,
    )
