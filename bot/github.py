"""The GitHubApi of bot/services/github_api.py over githubkit: a token or a GitHub App, pagination, rate limits."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from githubkit import AppInstallationAuthStrategy, GitHub, TokenAuthStrategy
from githubkit.exception import (
    AuthCredentialError,
    GitHubException,
    RateLimitExceeded,
    RequestError,
    RequestFailed,
)
from githubkit.retry import RetryOption

from bot.services.github_api import GITHUB_REQUIRED, GitHubError, GitHubNotFound, RepoInfo
from bot.settings import ConfigError, Settings

logger = logging.getLogger(__name__)

# The oldest REST version GitHub.com and GitHub Enterprise Server both accept; the endpoints used here
# have not changed since.
API_VERSION = "2022-11-28"
HEADERS = {"X-GitHub-Api-Version": API_VERSION}
PER_PAGE = 100
# A rate limit resetting further away than this is reported instead of waited for.
MAX_RATE_LIMIT_WAIT = 900.0
MAX_RETRIES = 5


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
        teams = self._pages(self.github.rest.teams.list, f"teams of {org}", org=org)
        return [str(team["slug"]) for team in teams if team.get("slug")]

    def team_members(self, org: str, slug: str) -> list[str]:
        """Return the logins of a team's members."""
        members = self._pages(
            self.github.rest.teams.list_members_in_org, f"team {org}/{slug}", org=org, team_slug=slug
        )
        return [str(m["login"]) for m in members if m.get("login")]

    def team_invitations(self, org: str, slug: str) -> list[str]:
        """Return the logins with a pending invitation to a team (e-mail invitations have none)."""
        invitations = self._pages(
            self.github.rest.teams.list_pending_invitations_in_org,
            f"invitations of {org}/{slug}",
            org=org,
            team_slug=slug,
        )
        return [str(i["login"]) for i in invitations if i.get("login")]

    def add_team_member(self, org: str, slug: str, login: str) -> str:
        """Add someone to a team; return `active`, or `pending` when GitHub sent an invitation."""
        with self._calling(f"adding {login} to {org}/{slug}"):
            response = self.github.rest.teams.add_or_update_membership_for_user_in_org(
                org, slug, login, role="member", headers=HEADERS
            )
        body = response.json()
        return str(body.get("state") or "active") if isinstance(body, dict) else "active"

    def remove_team_member(self, org: str, slug: str, login: str) -> None:
        """Remove someone's membership of a team, or cancel their pending invitation."""
        with self._calling(f"removing {login} from {org}/{slug}"):
            self.github.rest.teams.remove_membership_for_user_in_org(org, slug, login, headers=HEADERS)

    def get_repo(self, full_name: str) -> RepoInfo:
        """Return one repository."""
        owner, _, name = full_name.partition("/")
        with self._calling(f"repository {full_name}"):
            body = self.github.rest.repos.get(owner, name, headers=HEADERS).json()
        return _repo(body, full_name)

    def list_org_repos(self, org: str) -> list[RepoInfo]:
        """Return every repository of an organisation."""
        repos = self._pages(self.github.rest.repos.list_for_org, f"repositories of {org}", org=org)
        return [_repo(r, f"{org}/{r.get('name')}") for r in repos if r.get("name")]

    def read_file(self, full_name: str, path: str, ref: str) -> str | None:
        """Return a file's text at `ref`, or None when there is no such file."""
        owner, _, name = full_name.partition("/")
        try:
            with self._calling(f"{full_name}:{path}"):
                body = self.github.rest.repos.get_content(owner, name, path, ref=ref, headers=HEADERS).json()
        except GitHubNotFound:
            return None
        if not isinstance(body, dict) or body.get("type") != "file":
            return None
        content = str(body.get("content") or "")
        if body.get("encoding") == "base64":
            return base64.b64decode(content).decode("utf-8", errors="replace")
        return content


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
