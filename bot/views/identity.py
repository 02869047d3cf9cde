"""Messages about who a GitHub account is: a login now held by another account."""

from __future__ import annotations

from bot.types.access import IdentityIssue
from bot.views.text import escape


def impostor_text(issue: IdentityIssue) -> str:
    """Return the admins' warning about a login that arrived with another GitHub account id than on record."""
    return (
        f":warning: *The GitHub login `{escape(issue.login)}` now belongs to another account.* On record it is "
        f"{_recorded(issue)}; {escape(issue.where)} showed account {issue.seen_id}. ccbot treats it as "
        "a stranger: nothing is credited to it and no team access is given. If the person renamed their "
        "account, edit their GitHub handle on the roster (`/cc-admin` → Edit person) to their new login."
    )


def _recorded(issue: IdentityIssue) -> str:
    if issue.recorded_id is None:
        return "someone else on the roster (that account is on record under another login)"
    return f"account {issue.recorded_id}"
