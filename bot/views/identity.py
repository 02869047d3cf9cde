"""Messages about who a GitHub account is: a login now held by another account."""

from __future__ import annotations

from bot.types.access import IdentityIssue
from bot.views.text import Mrkdwn, mrkdwn


def impostor_text(issue: IdentityIssue) -> Mrkdwn:
    """Return the admins' warning about a login that arrived with another GitHub account id than on record."""
    return mrkdwn(
        ":warning: *The GitHub login `{login}` now belongs to another account.* On record it is "
        "{recorded}; {where} showed account {seen}. ccbot treats it as "
        "a stranger: nothing is credited to it and no team access is given. If the person renamed their "
        "account, edit their GitHub handle on the roster (`/cc-admin` → Edit person) to their new login.",
        login=issue.login,
        recorded=_recorded(issue),
        where=issue.where,
        seen=issue.seen_id,
    )


def _recorded(issue: IdentityIssue) -> str:
    if issue.recorded_id is None:
        return "someone else on the roster (that account is on record under another login)"
    return f"account {issue.recorded_id}"
