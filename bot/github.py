"""The GitHubApi of bot/services/github/api.py over githubkit: a token or a GitHub App, pagination, rate limits."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from githubkit import AppInstallationAuthStrategy, GitHub, TokenAuthStrategy
from githubkit.exception import (
    AuthCredentialError,
    GitHubException,
    RateLimitExceeded,
    RequestError,
    RequestFailed,
)
from githubkit.retry import RetryOption

from bot.services.github.api import (
    GITHUB_REQUIRED,
    GitHubAccount,
    GitHubBadContent,
    GitHubError,
    GitHubNotFound,
    PullRef,
    RepoInfo,
    WorkSeen,
)
from bot.services.logins import LOGIN_RULE, login_problem
from bot.settings import ConfigError, Settings
from storage.models import ActivityKind

logger = logging.getLogger(__name__)

# The oldest REST version GitHub.com and GitHub Enterprise Server both accept; the endpoints used here
# have not changed since.
API_VERSION = "2022-11-28"
HEADERS = {"X-GitHub-Api-Version": API_VERSION}
PER_PAGE = 100
# A rate limit resetting further away than this is reported instead of waited for.
MAX_RATE_LIMIT_WAIT = 900.0
MAX_RETRIES = 5
# A repository's name or a team's slug: what GitHub allows in either, never `.` or `..` (which a URL resolves).
NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
NAME_RULE = "names are 1 to 100 letters, digits, '.', '-' or '_', and not '.' or '..'"
# Search results read per person (one page), and pull requests whose reviews are read at most.
SEARCH_PAGE = 10
REVIEWS_READ = 5
LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass
class RateLimitRetry:
    """githubkit's retry decision: wait out Retry-After / x-ratelimit-reset (up to a bound), retry 5xx."""

    sleep: Callable[[float], None] = time.sleep
    max_wait: float = MAX_RATE_LIMIT_WAIT
    max_retries: int = MAX_RETRIES
    waits: list[float] = field(default_factory=list)

    def __call__(self, exc: GitHubException, retry_count: int) -> RetryOption:
        """Decide whether to retry the failed request; the waiting happens here, through `sleep`."""
        if retry_count >= self.max_retries:
            return RetryOption(False)
        wait: float | None = None
        if isinstance(exc, RateLimitExceeded):
            wait = exc.retry_after.total_seconds()
        elif isinstance(exc, RequestFailed) and exc.response.status_code == 429:
            wait = 60.0
        elif isinstance(exc, RequestFailed) and exc.response.status_code >= 500:
            wait = float((retry_count + 1) ** 2)
        if wait is None or wait > self.max_wait:
            return RetryOption(False)
        logger.info("GitHub asked to wait %.0fs (attempt %d); waiting", wait, retry_count + 1)
        self.waits.append(wait)
        self.sleep(wait)
        # githubkit sleeps `retry_after` itself (60 s when it is zero): the wait already happened above.
        return RetryOption(True, dt.timedelta(microseconds=1))


def _refused(what: str, value: str, problem: str) -> GitHubError:
    return GitHubError(f"not calling GitHub: {what} {value[:100]!r} is refused: {problem}")


def account_segment(value: str, what: str = "GitHub account") -> str:
    """Return a login or organisation as one URL path segment; GitHubError (before any request) when it is not one."""
    problem = login_problem(value)
    if problem is not None:
        raise _refused(what, value, f"{problem} ({LOGIN_RULE})")
    return quote(value, safe="")


def name_segment(value: str, what: str) -> str:
    """Return a repository name or team slug as one URL path segment; GitHubError (before any request) when not one."""
    if value in {".", ".."} or not NAME.fullmatch(value):
        raise _refused(what, value, NAME_RULE)
    return quote(value, safe="")


def path_segments(path: str) -> str:
    """Return a file's path in a repository with each piece quoted; GitHubError when a piece is empty, `.` or `..`."""
    pieces = path.split("/")
    if any(piece in {"", ".", ".."} or not piece.isprintable() for piece in pieces):
        raise _refused("file path", path, "a path's pieces are names, not empty, '.' or '..'")
    return "/".join(quote(piece, safe="") for piece in pieces)


def _repo_segments(full_name: str) -> tuple[str, str]:
    owner, slash, name = full_name.partition("/")
    if not slash:
        raise _refused("repository", full_name, "a repository is named owner/name")
    return account_segment(owner, "repository owner"), name_segment(name, "repository name")


def private_key_text(value: str) -> str:
    """Return PEM text from CCBOT_GITHUB_PRIVATE_KEY, which holds either the PEM or a path to it."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text.replace("\\n", "\n") + "\n"
    path = Path(text).expanduser()
    try:
        content = path.read_text(encoding="utf-8")
    except OSError:
        raise ConfigError(
            "CCBOT_GITHUB_PRIVATE_KEY: neither a PEM key nor a readable file (give the .pem path or its text)"
        ) from None
    if "-----BEGIN" not in content:
        raise ConfigError(f"CCBOT_GITHUB_PRIVATE_KEY: {path} holds no PEM private key")
    return content


def make_github(
    settings: Settings, *, sleep: Callable[[float], None] = time.sleep, max_wait: float = MAX_RATE_LIMIT_WAIT
) -> GitHubClient:
    """Return a client for GITHUB_API_URL with the token or GitHub App credentials; ConfigError when unset."""
    auth: TokenAuthStrategy | AppInstallationAuthStrategy
    if settings.github_token:
        auth = TokenAuthStrategy(settings.github_token.get_secret_value())
    elif settings.github_app_id:
        settings.require("github_private_key", "github_installation_id")
        assert settings.github_private_key is not None
        assert settings.github_installation_id is not None
        auth = AppInstallationAuthStrategy(
            app_id=settings.github_app_id,
            private_key=private_key_text(settings.github_private_key.get_secret_value()),
            installation_id=settings.github_installation_id,
        )
    else:
        raise ConfigError(GITHUB_REQUIRED)
    return GitHubClient(auth, base_url=settings.github_api_url, retry=RateLimitRetry(sleep, max_wait))


class GitHubClient:
    """The GitHubApi over githubkit: pagination by Link headers, rate limits waited out, errors in one line."""

    def __init__(
        self,
        auth: TokenAuthStrategy | AppInstallationAuthStrategy,
        *,
        base_url: str,
        retry: RateLimitRetry | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url
        self.auth = auth
        self.retry = retry or RateLimitRetry()
        self.github: GitHub[Any] = GitHub(
            auth,
            base_url=base_url,
            user_agent="ccbot",
            timeout=timeout,
            http_cache=False,
            auto_retry=self.retry,
            rest_api_validate_body=False,
        )
        self._open = False

    def __enter__(self) -> GitHubClient:
        # One HTTP connection for the whole run instead of one per request.
        self.github.__enter__()
        self._open = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._open = False
        self.github.__exit__()

    @contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        try:
            yield
        except RateLimitExceeded as exc:
            reset = dt.datetime.now(dt.UTC) + exc.retry_after
            raise GitHubError(
                f"GitHub's rate limit is spent ({what}) until {reset:%H:%M:%S} UTC; run again after that"
            ) from None
        except RequestFailed as exc:
            raise self._refusal(exc, what) from None
        except AuthCredentialError as exc:
            raise GitHubError(f"GitHub App credentials are not usable ({what}): {exc}") from None
        except RequestError as exc:
            if isinstance(exc.exc, RequestFailed):
                # The GitHub App's installation token was refused before the call itself was made.
                status = exc.exc.response.status_code
                raise GitHubError(
                    f"GitHub refused the GitHub App an installation token ({status}; {what}): check "
                    "CCBOT_GITHUB_APP_ID, CCBOT_GITHUB_INSTALLATION_ID and CCBOT_GITHUB_PRIVATE_KEY"
                ) from None
            raise GitHubError(
                f"cannot reach GitHub at {self.base_url} ({what}): {exc.exc.__class__.__name__}"
            ) from None

    def _refusal(self, exc: RequestFailed, what: str) -> GitHubError:
        status = exc.response.status_code
        try:
            body = exc.response.json()
            message = str(body.get("message") or "") if isinstance(body, dict) else ""
        except ValueError:
            message = ""
        detail = f": {message[:200]}" if message else ""
        if status == 404:
            return GitHubNotFound(f"{what}: not found on GitHub, or the credentials cannot see it")
        if status == 401:
            return GitHubError(
                f"GitHub refused the credentials ({what}){detail}: check CCBOT_GITHUB_TOKEN or the GitHub App settings"
            )
        if status == 403:
            return GitHubError(
                f"GitHub refused {what} (403){detail}: the token or App lacks a permission "
                "(organisation members: read, and write for `access apply`; contents: read)"
            )
        return GitHubError(f"GitHub refused {what} ({status}){detail}")

    def _pages(self, method: Callable[..., Any], what: str, **kwargs: Any) -> list[dict[str, Any]]:
        with self._calling(what):
            items = list(
                self.github.rest.paginate(
                    method, map_func=_json_list, per_page=PER_PAGE, headers=HEADERS, **kwargs
                )
            )
        return [item for item in items if isinstance(item, dict)]

    def whoami(self) -> str:
        """Return whom the credentials act for: `@login` for a person's token, else the App installation."""
        token = self.auth.token if isinstance(self.auth, TokenAuthStrategy) else None
        if token is not None and not token.startswith("ghs_"):
            with self._calling("the token's account (GET /user)"):
                user: Any = self.github.rest.users.get_authenticated(headers=HEADERS).json()
            return f"@{user.get('login')}" if isinstance(user, dict) else "an unnamed account"
        # An installation (an App's, or its ghs_ token) is no user: it names the repositories it may read.
        with self._calling("the installation's repositories (GET /installation/repositories)"):
            body = self.github.rest.apps.list_repos_accessible_to_installation(
                per_page=1, headers=HEADERS
            ).json()
        count = body.get("total_count") if isinstance(body, dict) else None
        where = (
            f"installation {self.auth.installation_id}"
            if isinstance(self.auth, AppInstallationAuthStrategy)
            else "an installation token"
        )
        return f"the GitHub App's {where} ({count} repositories)"

    def list_teams(self, org: str) -> list[str]:
        """Return the slugs of an organisation's teams."""
        teams = self._pages(
            self.github.rest.teams.list, f"teams of {org}", org=account_segment(org, "organisation")
        )
        return [str(team["slug"]) for team in teams if team.get("slug")]

    def team_members(self, org: str, slug: str) -> list[GitHubAccount]:
        """Return a team's members."""
        members = self._pages(
            self.github.rest.teams.list_members_in_org, f"team {org}/{slug}", **_team_segments(org, slug)
        )
        return [account for account in map(_account, members) if account is not None]

    def team_invitations(self, org: str, slug: str) -> list[GitHubAccount]:
        """Return the accounts with a pending invitation to a team (e-mail invitations have none)."""
        invitations = self._pages(
            self.github.rest.teams.list_pending_invitations_in_org,
            f"invitations of {org}/{slug}",
            **_team_segments(org, slug),
        )
        return [account for account in map(_account, invitations) if account is not None]

    def get_user(self, login: str) -> GitHubAccount | None:
        """Return the account that holds a login now, or None when no account does."""
        try:
            with self._calling(f"the account {login}"):
                body = self.github.rest.users.get_by_username(
                    account_segment(login, "login"), headers=HEADERS
                ).json()
        except GitHubNotFound:
            return None
        return _account(body)

    def get_user_by_id(self, account_id: int) -> GitHubAccount | None:
        """Return an account by its id (GET /user/{id}), or None when it no longer exists."""
        try:
            with self._calling(f"the account with id {account_id}"):
                response = self.github.request("GET", f"/user/{int(account_id)}", headers=HEADERS)
        except GitHubNotFound:
            return None
        return _account(response.json())

    def add_team_member(self, org: str, slug: str, login: str) -> str:
        """Add someone to a team; return `active`, or `pending` when GitHub sent an invitation."""
        team = _team_segments(org, slug)
        username = account_segment(login, "login")
        with self._calling(f"adding {login} to {org}/{slug}"):
            response = self.github.rest.teams.add_or_update_membership_for_user_in_org(
                team["org"], team["team_slug"], username, role="member", headers=HEADERS
            )
        body = response.json()
        return str(body.get("state") or "active") if isinstance(body, dict) else "active"

    def remove_team_member(self, org: str, slug: str, login: str) -> None:
        """Remove someone's membership of a team, or cancel their pending invitation."""
        team = _team_segments(org, slug)
        username = account_segment(login, "login")
        with self._calling(f"removing {login} from {org}/{slug}"):
            self.github.rest.teams.remove_membership_for_user_in_org(
                team["org"], team["team_slug"], username, headers=HEADERS
            )

    def get_repo(self, full_name: str) -> RepoInfo:
        """Return one repository."""
        owner, name = _repo_segments(full_name)
        with self._calling(f"repository {full_name}"):
            body = self.github.rest.repos.get(owner, name, headers=HEADERS).json()
        return _repo(body, full_name)

    def list_org_repos(self, org: str) -> list[RepoInfo]:
        """Return every repository of an organisation."""
        repos = self._pages(
            self.github.rest.repos.list_for_org,
            f"repositories of {org}",
            org=account_segment(org, "organisation"),
        )
        return [_repo(r, f"{org}/{r.get('name')}") for r in repos if r.get("name")]

    def read_file(self, full_name: str, path: str, ref: str) -> str | None:
        """Return a file's text at `ref`, or None when there is no such file."""
        owner, name = _repo_segments(full_name)
        pieces = path_segments(path)
        try:
            with self._calling(f"{full_name}:{path}"):
                body = self.github.rest.repos.get_content(
                    owner, name, pieces, ref=ref, headers=HEADERS
                ).json()
        except GitHubNotFound:
            return None
        if not isinstance(body, dict) or body.get("type") != "file":
            return None
        content = str(body.get("content") or "")
        if body.get("encoding") == "base64":
            try:
                # GitHub wraps the base64 at 60 characters; anything else outside the alphabet is damage.
                raw = base64.b64decode("".join(content.split()), validate=True)
            except (binascii.Error, ValueError):
                raise GitHubBadContent(
                    f"{full_name}: {path}: GitHub sent the file's content as malformed base64"
                ) from None
            return raw.decode("utf-8", errors="replace")
        return content

    def add_labels(self, full_name: str, number: int, labels: Sequence[str]) -> None:
        """Add labels to a pull request in one call (POST .../issues/N/labels, which creates a missing label)."""
        owner, name = _repo_segments(full_name)
        with self._calling(f"labelling {full_name}#{number}"):
            self.github.request(
                "POST",
                f"/repos/{owner}/{name}/issues/{int(number)}/labels",
                json={"labels": list(labels)},
                headers=HEADERS,
            )

    def read_bytes(self, full_name: str, path: str, ref: str) -> bytes | None:
        """Return a file's bytes at `ref`, or None when there is no such file (nor branch)."""
        owner, name = _repo_segments(full_name)
        pieces = path_segments(path)
        try:
            with self._calling(f"{full_name}:{path}"):
                body: Any = self.github.request(
                    "GET", f"/repos/{owner}/{name}/contents/{pieces}", params={"ref": ref}, headers=HEADERS
                ).json()
        except GitHubNotFound:
            return None
        if not isinstance(body, dict) or body.get("type") != "file":
            return None
        try:
            return base64.b64decode("".join(str(body.get("content") or "").split()), validate=True)
        except (binascii.Error, ValueError):
            raise GitHubBadContent(
                f"{full_name}: {path}: GitHub sent the file's content as malformed base64"
            ) from None

    def _file_sha(self, owner: str, name: str, pieces: str, branch: str) -> str | None:
        try:
            with self._calling(f"{owner}/{name}:{pieces}"):
                body: Any = self.github.request(
                    "GET", f"/repos/{owner}/{name}/contents/{pieces}", params={"ref": branch}, headers=HEADERS
                ).json()
        except GitHubNotFound:
            return None
        return str(body.get("sha")) if isinstance(body, dict) and body.get("sha") else None

    def branch_sha(self, full_name: str, branch: str) -> str | None:
        """Return the commit a branch points at, or None when there is no such branch."""
        owner, name = _repo_segments(full_name)
        ref = path_segments(branch)
        try:
            with self._calling(f"branch {branch} of {full_name}"):
                body: Any = self.github.request(
                    "GET", f"/repos/{owner}/{name}/git/ref/heads/{ref}", headers=HEADERS
                ).json()
        except GitHubNotFound:
            return None
        target = body.get("object") if isinstance(body, dict) else None
        return str(target.get("sha")) if isinstance(target, dict) and target.get("sha") else None

    def set_branch(self, full_name: str, branch: str, sha: str) -> None:
        """Point a branch at a commit, creating the branch when new (moving it even when that loses commits)."""
        owner, name = _repo_segments(full_name)
        ref = path_segments(branch)
        if self.branch_sha(full_name, branch) is None:
            with self._calling(f"creating branch {branch} in {full_name}"):
                self.github.request(
                    "POST",
                    f"/repos/{owner}/{name}/git/refs",
                    json={"ref": f"refs/heads/{branch}", "sha": sha},
                    headers=HEADERS,
                )
            return
        with self._calling(f"moving branch {branch} in {full_name}"):
            self.github.request(
                "PATCH",
                f"/repos/{owner}/{name}/git/refs/heads/{ref}",
                json={"sha": sha, "force": True},
                headers=HEADERS,
            )

    def write_file(self, full_name: str, path: str, branch: str, content: bytes, message: str) -> None:
        """Commit a file's new content on a branch (creating or replacing it), through the contents API."""
        owner, name = _repo_segments(full_name)
        pieces = path_segments(path)
        body: dict[str, Any] = {
            "message": message,
            "content": base64.b64encode(content).decode(),
            "branch": branch,
        }
        sha = self._file_sha(owner, name, pieces, branch)
        if sha is not None:
            body["sha"] = sha
        with self._calling(f"writing {full_name}:{path} on {branch}"):
            self.github.request("PUT", f"/repos/{owner}/{name}/contents/{pieces}", json=body, headers=HEADERS)

    def find_pull(self, full_name: str, head: str, base: str) -> PullRef | None:
        """Return the open pull request from branch `head` into `base`, or None."""
        owner, name = _repo_segments(full_name)
        pulls = self._pages(
            self.github.rest.pulls.list,
            f"pull requests of {full_name}",
            owner=owner,
            repo=name,
            state="open",
            head=f"{owner}:{head}",
            base=base,
        )
        for pull in pulls:
            if isinstance(pull.get("number"), int):
                return PullRef(int(pull["number"]), str(pull.get("html_url") or ""))
        return None

    def open_pull(self, full_name: str, head: str, base: str, title: str, body: str) -> PullRef:
        """Open a pull request from branch `head` into `base`."""
        owner, name = _repo_segments(full_name)
        with self._calling(f"opening a pull request in {full_name}"):
            answer: Any = self.github.request(
                "POST",
                f"/repos/{owner}/{name}/pulls",
                json={"title": title, "head": head, "base": base, "body": body},
                headers=HEADERS,
            ).json()
        if not isinstance(answer, dict) or not isinstance(answer.get("number"), int):
            raise GitHubError(f"GitHub answered something unexpected opening a pull request in {full_name}")
        return PullRef(int(answer["number"]), str(answer.get("html_url") or ""))

    def update_pull(self, full_name: str, number: int, title: str, body: str) -> None:
        """Change an open pull request's title and description."""
        owner, name = _repo_segments(full_name)
        with self._calling(f"updating {full_name}#{number}"):
            self.github.request(
                "PATCH",
                f"/repos/{owner}/{name}/pulls/{int(number)}",
                json={"title": title, "body": body},
                headers=HEADERS,
            )

    def latest_work(self, login: str, orgs: Sequence[str]) -> list[WorkSeen]:
        """Return someone's latest merged pull request and latest review of another's, in these organisations.

        The search API sorts by last update, never by merge or review time: each search reads one page
        and stops at the first pull request updated before the best time found so far (none after it can
        beat that time); a review's time is read from the pull request's reviews.
        """
        if not LOGIN.fullmatch(login):
            raise GitHubNotFound(f"{login!r} is not a GitHub login")
        if not orgs or not all(LOGIN.fullmatch(org) for org in orgs):
            raise GitHubError(
                f"work is searched in GitHub organisations (given: {', '.join(orgs) or 'none'})"
            )
        scope = " ".join(f"org:{org}" for org in orgs)
        found = [self._latest_merged(login, scope), self._latest_review(login, scope)]
        return [work for work in found if work is not None]

    def _latest_merged(self, login: str, scope: str) -> WorkSeen | None:
        best: WorkSeen | None = None
        query = f"is:pr is:merged author:{login} {scope}"
        for item in self._search_pulls(query, f"{login}'s merged pull requests"):
            if best is not None and _instant(item.get("updated_at")) <= best.at:
                break
            at = _instant((item.get("pull_request") or {}).get("merged_at"))
            if at > EPOCH and (best is None or at > best.at):
                best = WorkSeen(ActivityKind.AUTHORED, _repo_of(item), int(item["number"]), at)
        return best

    def _latest_review(self, login: str, scope: str) -> WorkSeen | None:
        best: WorkSeen | None = None
        query = f"is:pr reviewed-by:{login} -author:{login} {scope}"
        for item in self._search_pulls(query, f"pull requests {login} reviewed")[:REVIEWS_READ]:
            if best is not None and _instant(item.get("updated_at")) <= best.at:
                break
            repo, number = _repo_of(item), int(item["number"])
            owner, _, name = repo.partition("/")
            reviews = self._pages(
                self.github.rest.pulls.list_reviews,
                f"reviews of {repo}#{number}",
                owner=owner,
                repo=name,
                pull_number=number,
            )
            theirs = [
                _instant(review.get("submitted_at"))
                for review in reviews
                if str((review.get("user") or {}).get("login") or "").lower() == login.lower()
            ]
            at = max(theirs, default=EPOCH)
            if at > EPOCH and (best is None or at > best.at):
                best = WorkSeen(ActivityKind.REVIEWED, repo, number, at)
        return best

    def _search_pulls(self, query: str, what: str) -> list[dict[str, Any]]:
        with self._calling(what):
            try:
                body: Any = self.github.rest.search.issues_and_pull_requests(
                    q=query, sort="updated", order="desc", per_page=SEARCH_PAGE, headers=HEADERS
                ).json()
            except RequestFailed as exc:
                if exc.response.status_code == 422:
                    # GitHub's answer for a login it has no user for.
                    raise GitHubNotFound(f"{what}: GitHub has no such user to search for") from None
                raise
        items = body.get("items") if isinstance(body, dict) else None
        return [i for i in items or [] if isinstance(i, dict) and isinstance(i.get("number"), int)]


def _instant(value: Any) -> dt.datetime:
    try:
        at = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return EPOCH
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _repo_of(item: dict[str, Any]) -> str:
    """Return `org/repo` from a search result's `repository_url` (`.../repos/org/repo`)."""
    return "/".join(str(item.get("repository_url") or "").rstrip("/").split("/")[-2:])


def _account(body: Any) -> GitHubAccount | None:
    """Return the account a user object describes, or None for one without a login or a numeric id."""
    if not isinstance(body, dict):
        return None
    login, account_id = body.get("login"), body.get("id")
    if (
        not isinstance(login, str)
        or not login
        or isinstance(account_id, bool)
        or not isinstance(account_id, int)
    ):
        return None
    return GitHubAccount(login=login, id=account_id)


def _team_segments(org: str, slug: str) -> dict[str, str]:
    return {"org": account_segment(org, "organisation"), "team_slug": name_segment(slug, "team slug")}


def _json_list(response: Any) -> list[Any]:
    data = response.json()
    return data if isinstance(data, list) else []


def _repo(body: Any, fallback: str) -> RepoInfo:
    if not isinstance(body, dict):
        raise GitHubError(f"GitHub answered something unexpected for {fallback}")
    return RepoInfo(
        full_name=str(body.get("full_name") or fallback),
        default_branch=str(body.get("default_branch") or "main"),
        archived=bool(body.get("archived")),
    )
