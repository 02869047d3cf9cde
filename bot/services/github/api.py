"""GitHub as services see it: teams, memberships, files, people's latest work, and how a run opens a client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from bot.services.errors import UserError
from storage.models import ActivityKind


class GitHubError(UserError):
    """GitHub refused or could not be reached; the message is one line saying what to do."""


class GitHubNotFound(GitHubError):
    """The team, repository or file does not exist (or the credentials cannot see it)."""


class GitHubBadContent(GitHubError):
    """GitHub answered, but with a body ccbot cannot read (a file's malformed base64); the message names it."""


@dataclass(frozen=True)
class GitHubAccount:
    """A GitHub account: its login, which can change hands, and its id, which never does."""

    login: str
    id: int


@dataclass(frozen=True)
class RepoInfo:
    """A repository as GitHub describes it."""

    full_name: str
    default_branch: str
    archived: bool = False


@dataclass(frozen=True)
class WorkSeen:
    """A person's pull request work as GitHub's API shows it: their PR merged, or their review."""

    kind: ActivityKind
    repo: str
    number: int
    at: dt.datetime


@dataclass(frozen=True)
class PullRef:
    """An open pull request: its number and web address."""

    number: int
    url: str


class GitHubApi(Protocol):
    """What ccbot asks of GitHub; services receive plain values from it, never HTTP."""

    def list_teams(self, org: str) -> list[str]:
        """Return the slugs of an organisation's teams."""
        ...

    def team_members(self, org: str, slug: str) -> list[GitHubAccount]:
        """Return a team's members."""
        ...

    def team_invitations(self, org: str, slug: str) -> list[GitHubAccount]:
        """Return the accounts with a pending invitation to a team."""
        ...

    def get_user(self, login: str) -> GitHubAccount | None:
        """Return the account that holds a login now, or None when no account does."""
        ...

    def get_user_by_id(self, account_id: int) -> GitHubAccount | None:
        """Return an account by its id (its login as of now), or None when it no longer exists."""
        ...

    def add_team_member(self, org: str, slug: str, login: str) -> str:
        """Add someone to a team; return `active`, or `pending` when GitHub sent an invitation."""
        ...

    def remove_team_member(self, org: str, slug: str, login: str) -> None:
        """Remove someone's membership of a team, or cancel their pending invitation."""
        ...

    def get_repo(self, full_name: str) -> RepoInfo:
        """Return one repository."""
        ...

    def list_org_repos(self, org: str) -> list[RepoInfo]:
        """Return every repository of an organisation."""
        ...

    def read_file(self, full_name: str, path: str, ref: str) -> str | None:
        """Return a file's text at `ref`, or None when there is no such file."""
        ...

    def add_labels(self, full_name: str, number: int, labels: Sequence[str]) -> None:
        """Add labels to a pull request (GitHub creates a label the repository does not have yet)."""
        ...

    def read_bytes(self, full_name: str, path: str, ref: str) -> bytes | None:
        """Return a file's bytes at `ref`, or None when there is no such file (nor branch)."""
        ...

    def branch_sha(self, full_name: str, branch: str) -> str | None:
        """Return the commit a branch points at, or None when there is no such branch."""
        ...

    def set_branch(self, full_name: str, branch: str, sha: str) -> None:
        """Point a branch at a commit, creating the branch when new (moving it even when that loses commits)."""
        ...

    def write_file(self, full_name: str, path: str, branch: str, content: bytes, message: str) -> None:
        """Commit a file's new content on a branch (creating or replacing it)."""
        ...

    def find_pull(self, full_name: str, head: str, base: str) -> PullRef | None:
        """Return the open pull request from branch `head` into `base`, or None."""
        ...

    def open_pull(self, full_name: str, head: str, base: str, title: str, body: str) -> PullRef:
        """Open a pull request from branch `head` into `base`."""
        ...

    def update_pull(self, full_name: str, number: int, title: str, body: str) -> None:
        """Change an open pull request's title and description."""
        ...

    def latest_work(self, login: str, orgs: Sequence[str]) -> list[WorkSeen]:
        """Return someone's latest merged pull request and latest review of another's, in these organisations.

        Each is there when there is one (`authored`, then `reviewed`); GitHubNotFound when GitHub has no
        such user to search for.
        """
        ...


# Opens a client for one run (one HTTP connection); None where no token nor GitHub App is configured.
GitHubConnect = Callable[[], AbstractContextManager[GitHubApi]]
NOT_CONFIGURED = "GitHub is not configured (CCBOT_GITHUB_TOKEN, or the GitHub App settings)"
GITHUB_REQUIRED = "CCBOT_GITHUB_TOKEN is not set (nor CCBOT_GITHUB_APP_ID): it is required to call GitHub"
