"""The Slack directory's feature types: what Slack says of a user, a page of users.list, and what a background
resolution of roster people's Slack ids and time zones did."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

# users.list pages (Slack recommends 200 members a page) and each method's rate limit, per workspace.
PAGE_SIZE = 200
USERS_LIST_PER_MINUTE = 20  # Tier 2
LOOKUP_BY_EMAIL_PER_MINUTE = 50  # Tier 3
USERS_INFO_PER_MINUTE = 100  # Tier 4


@dataclass(frozen=True)
class SlackProfile:
    """What Slack knows of a user that the roster cares about (as Slack sent it: check before storing)."""

    user_id: str
    email: str | None
    timezone: str | None
    real_name: str | None = None
    deleted: bool = False
    bot: bool = False


@dataclass(frozen=True)
class UserPage:
    """One page of users.list: its members and the cursor of the next page ("" after the last)."""

    members: tuple[SlackProfile, ...]
    next_cursor: str


class Miss(enum.StrEnum):
    """Why a person's Slack id or time zone could not be filled in."""

    NO_EMAIL = "no-email"  # no Slack id and no e-mail to find one by
    NO_USER = "no-user"  # no Slack member has the person's e-mail
    SHARED_EMAIL = "shared-email"  # several people on the roster have that e-mail
    TAKEN = "taken"  # the Slack member with that e-mail is linked to someone else
    NO_TIMEZONE = "no-timezone"  # the Slack id is not in the workspace, or Slack gives no usable time zone


@dataclass(frozen=True)
class NotFound:
    """One person a resolution could not complete: their handle, why, and what it looked for."""

    github: str
    miss: Miss
    detail: str = ""


@dataclass
class ResolutionReport:
    """What one run of the background resolution did (`busy` when another process holds it)."""

    request_id: int | None = None
    mode: str = ""
    calls: int = 0
    ids_found: int = 0
    timezones_found: int = 0
    finished: bool = False
    busy: bool = False
    not_found: list[NotFound] = field(default_factory=list)

    def __str__(self) -> str:
        if self.request_id is None:
            return "nothing to resolve"
        if self.busy:
            return f"resolution #{self.request_id} is being worked on by another process"
        state = "finished" if self.finished else "stopped"
        return (
            f"resolution #{self.request_id} {state} ({self.mode}, {self.calls} Slack call(s)): "
            f"{self.ids_found} Slack id(s) and {self.timezones_found} time zone(s) found, "
            f"{len(self.not_found)} not found"
        )
