"""GitHub as values: pull request references, and what the webhooks and the review asks show."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from storage.models import Person, ReviewAsk

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


@dataclass(frozen=True)
class PullRequest:
    """A pull request as ccbot shows it: the link is always rebuilt from the repository and number."""

    repo: str
    number: int
    title: str
    author: str | None
    web_url: str = "https://github.com"

    @property
    def url(self) -> str:
        """Return the canonical link, `https://github.com/org/repo/pull/N`."""
        return f"{self.web_url}/{self.repo}/pull/{self.number}"


@dataclass
class MergeNotice:
    """A committer's PR merged: who hears of it, where (its question's thread or a channel), whether off hours."""

    pr: PullRequest
    committer: Person
    merged_by: str | None
    champions: list[Person]
    channel: str | None = None
    question_id: int | None = None
    off_hours: bool = False
    merged_at: dt.datetime | None = None
    area: str | None = None


@dataclass
class ReviewAskCard:
    """A review ask with the people around it."""

    ask: ReviewAsk
    pr: PullRequest
    reviewer: Person | None
    passed_by: Person | None = None

    @property
    def id(self) -> int:
        """The ask's id."""
        assert self.ask.id is not None
        return self.ask.id


@dataclass(frozen=True)
class ReviewRequest:
    """Someone asked a committer, on GitHub, to review a pull request."""

    pr: PullRequest
    reviewer: Person
    requested_by: str | None
    delivery_id: str


@dataclass(frozen=True)
class LabelToAdd:
    """A label ccbot adds to a pull request (an active committer's, on a repository they hold a grant for)."""

    repo: str
    number: int
    label: str


@dataclass
class GitHubOutcome:
    """What one delivery decided, and the keys of the messages committed with it."""

    status: str
    detail: str = ""
    merge: MergeNotice | None = None
    asks: list[ReviewAskCard] = field(default_factory=list)
    unassigned: list[ReviewAskCard] = field(default_factory=list)
    requests: list[ReviewRequest] = field(default_factory=list)
    reviewed: list[ReviewAskCard] = field(default_factory=list)
    labels: list[LabelToAdd] = field(default_factory=list)
    activity: int = 0
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class GitHubWork:
    """A committer's recent work on GitHub, for `/cc` and App Home."""

    merged: int
    authored: int
    reviewed: int
    open_asks: list[ReviewAskCard]
