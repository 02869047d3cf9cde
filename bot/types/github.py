"""GitHub as values: pull request references, and what the webhooks and the review asks show."""

from __future__ import annotations

import re

PR_URL = re.compile(
    r"^https://github\.com/(?P<org>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?P<repo>[A-Za-z0-9._-]{1,100})"
    r"/pull/(?P<number>[1-9]\d{0,8})(?:/[A-Za-z0-9/._-]*)?/?(?:[?#]\S*)?$"
)
PR_REF = re.compile(
    r"^(?P<org>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?P<repo>[A-Za-z0-9._-]{1,100})#(?P<number>[1-9]\d{0,8})$"
)


def parse_pr_url(url: str) -> tuple[str, int] | None:
    """Return (`org/repo`, number) for a GitHub pull request URL or an `org/repo#N` reference, or None."""
    text = url.strip()
    match = PR_URL.match(text) or PR_REF.match(text)
    if not match:
        return None
    return f"{match['org']}/{match['repo']}", int(match["number"])


def canonical_pr_url(repo: str, number: int) -> str:
    """Return the one form of a pull request link the bot ever posts: no query, fragment or extra path."""
    return f"https://github.com/{repo}/pull/{number}"
