"""An in-process stand-in for GitHub's REST API over real HTTP, for the console, the tests and the benchmarks.

It answers the calls ccbot makes (teams, memberships and invitations, accounts by login and by id,
repositories and their files, pull requests found by the search API and their reviews, GitHub App
installation tokens, who the credentials are) like GitHub does: paginated with Link headers, and with GitHub's
rate-limit answers (403/429 with Retry-After, or x-ratelimit-remaining: 0 and x-ratelimit-reset) when told to.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlparse

from bot.standin_server import StandInServer

STANDIN_TOKEN = "ghp-standin-token"  # noqa: S105 - the stand-in's own credential, not a secret
STANDIN_LOGIN = "ccbot-standin"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


def app_key_pair() -> tuple[str, str]:
    """Return a fresh GitHub App key as (private PEM for ccbot, public PEM for `enable_app`)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


@dataclass
class GitHubCall:
    """One request the stand-in received."""

    method: str
    path: str
    query: dict[str, str]


@dataclass
class Limit:
    """A rate-limit answer to give instead of the real one, `count` times, to requests whose path matches."""

    pattern: str
    count: int
    status: int = 403
    retry_after: int | None = None
    reset_in: int | None = None


@dataclass
class FakeTeam:
    """A team: members and pending invitations, keyed by lower-cased login."""

    slug: str
    members: dict[str, str] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeRepo:
    """A repository with its default branch and files (by branch and path)."""

    full_name: str
    default_branch: str = "main"
    archived: bool = False
    files: dict[tuple[str, str], str | bytes] = field(default_factory=dict)
    # Contents served as they are, not encoded (by branch and path): GitHub's answer when something broke.
    raw: dict[tuple[str, str], str] = field(default_factory=dict)
    # Branches and the commit each points at; labels defined, and the labels on each issue or pull request.
    branches: dict[str, str] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)
    issue_labels: dict[int, list[str]] = field(default_factory=dict)
    commits: list[tuple[str, str, str]] = field(default_factory=list)  # (branch, path, message)


@dataclass
class FakeOpenPull:
    """A pull request opened through the API: from `head` into `base`, open until merged or closed."""

    number: int
    head: str
    base: str
    title: str
    body: str
    state: str = "open"


@dataclass
class FakePull:
    """A pull request: who opened it, when it was merged (if it was), last updated, and its reviews."""

    repo: str
    number: int
    author: str
    updated_at: dt.datetime
    merged_at: dt.datetime | None = None
    reviews: list[tuple[str, dt.datetime]] = field(default_factory=list)


@dataclass
class FakeOrg:
    """An organisation: its members (lower-cased logins) and teams."""

    name: str
    members: set[str] = field(default_factory=set)
    teams: dict[str, FakeTeam] = field(default_factory=dict)


class GitHubStandIn(StandInServer):
    """A fake GitHub REST API on 127.0.0.1 (port 0 by default) that answers like GitHub and records calls."""

    def __init__(self, *, token: str = STANDIN_TOKEN, host: str = "127.0.0.1", port: int = 0) -> None:
        self.tokens = {token}
        self.token = token
        self.orgs: dict[str, FakeOrg] = {}
        self.repos: dict[str, FakeRepo] = {}
        self.pulls: list[FakePull] = []
        self.opened: dict[str, list[FakeOpenPull]] = {}
        # Logins GitHub's search refuses (422), as it does for accounts that do not exist.
        self.unknown_users: set[str] = set()
        self.calls: list[GitHubCall] = []
        self.limits: list[Limit] = []
        self.app: tuple[str, str, int] | None = None
        self.lock = threading.RLock()
        self._counter = itertools.count(1)
        # Accounts by lower-cased login: (login, id). Ids are handed out on first sight and never reused.
        self.accounts: dict[str, tuple[str, int]] = {}
        self._ids = itertools.count(583231)
        # Every login has an account (made on first sight) except these, which GitHub answers 404 for.
        self.no_accounts: set[str] = set()
        self.stalls: list[tuple[str, str, threading.Event, threading.Event]] = []
        super().__init__(host, port, name="github-stand-in")

    @property
    def url(self) -> str:
        """Base URL to give ccbot (`GITHUB_API_URL`)."""
        return f"{self.origin}/"

    # -- arranging ----------------------------------------------------------------------------------

    def org(self, name: str) -> FakeOrg:
        """Return an organisation, creating it when new."""
        with self.lock:
            return self.orgs.setdefault(name.lower(), FakeOrg(name))

    def add_org_members(self, org: str, logins: list[str]) -> None:
        """Make people members of an organisation (so adding them to a team needs no invitation)."""
        with self.lock:
            self.org(org).members.update(login.lower() for login in logins)

    def account(self, login: str) -> tuple[str, int]:
        """Return (login, id) of the account holding a login, creating the account when new."""
        with self.lock:
            key = login.lower()
            if key not in self.accounts:
                self.accounts[key] = (login, next(self._ids))
            return self.accounts[key]

    def account_id(self, login: str) -> int:
        """Return the id of the account holding a login (created when new)."""
        return self.account(login)[1]

    def delete_account(self, login: str) -> None:
        """Make a login belong to no account (GET /users/LOGIN answers 404)."""
        with self.lock:
            self.accounts.pop(login.lower(), None)
            self.no_accounts.add(login.lower())

    def rename_account(self, old: str, new: str) -> int:
        """Rename an account as GitHub does: same id, new login, memberships follow; the old login is free."""
        with self.lock:
            _, account_id = self.account(old)
            del self.accounts[old.lower()]
            self.accounts[new.lower()] = (new, account_id)
            self.no_accounts.discard(new.lower())
            for org in self.orgs.values():
                if old.lower() in org.members:
                    org.members.discard(old.lower())
                    org.members.add(new.lower())
                for fake in org.teams.values():
                    for group in (fake.members, fake.pending):
                        if group.pop(old.lower(), None) is not None:
                            group[new.lower()] = new
            return account_id

    def stall(self, method: str, pattern: str) -> tuple[threading.Event, threading.Event]:
        """Hold the next `method` request whose path contains `pattern` after making its change.

        Returns (reached, release): `reached` is set once GitHub has made the change and holds the answer;
        the answer goes out when `release` is set (a test kills the caller in between).
        """
        reached, release = threading.Event(), threading.Event()
        with self.lock:
            self.stalls.append((method, pattern, reached, release))
        return reached, release

    def add_team(self, team: str, *, members: Iterable[str] = (), pending: Iterable[str] = ()) -> FakeTeam:
        """Create `org/slug` with members (who join the organisation too) and pending invitations."""
        org_name, _, slug = team.partition("/")
        with self.lock:
            org = self.org(org_name)
            fake = org.teams.setdefault(slug.lower(), FakeTeam(slug))
            for login in members:
                fake.members[login.lower()] = self.account(login)[0]
                org.members.add(login.lower())
            for login in pending:
                fake.pending[login.lower()] = self.account(login)[0]
            return fake

    def team(self, team: str) -> FakeTeam:
        """Return the team called `org/slug`."""
        org_name, _, slug = team.partition("/")
        with self.lock:
            return self.orgs[org_name.lower()].teams[slug.lower()]

    def members(self, team: str) -> set[str]:
        """Return the lower-cased logins of a team's members."""
        with self.lock:
            return set(self.team(team).members)

    def pending(self, team: str) -> set[str]:
        """Return the lower-cased logins invited to a team."""
        with self.lock:
            return set(self.team(team).pending)

    def add_repo(
        self,
        full_name: str,
        files: dict[str, str] | None = None,
        *,
        default_branch: str = "main",
        archived: bool = False,
    ) -> FakeRepo:
        """Create a repository with files on its default branch."""
        with self.lock:
            self.org(full_name.split("/")[0])
            repo = FakeRepo(full_name, default_branch=default_branch, archived=archived)
            repo.branches[default_branch] = self._sha()
            for path, text in (files or {}).items():
                repo.files[(default_branch, path)] = text
            self.repos[full_name.lower()] = repo
            return repo

    def serve_raw_content(self, full_name: str, path: str, content: str) -> None:
        """Answer a file of a repository with `content` as its base64 `content` field, unchecked."""
        with self.lock:
            repo = self.repos[full_name.lower()]
            repo.raw[(repo.default_branch, path)] = content

    def add_pull(
        self,
        repo: str,
        number: int,
        *,
        author: str,
        merged_at: dt.datetime | None = None,
        updated_at: dt.datetime | None = None,
        reviews: Iterable[tuple[str, dt.datetime]] = (),
    ) -> FakePull:
        """Create a pull request (updated when merged or last reviewed, unless told) with its reviews."""
        reviewed = list(reviews)
        times = [t for t in (merged_at, *(at for _, at in reviewed)) if t is not None]
        updated = updated_at or (max(times) if times else dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        pull = FakePull(repo, number, author, updated, merged_at, reviewed)
        with self.lock:
            if repo.lower() not in self.repos:
                self.add_repo(repo)
            self.pulls.append(pull)
        return pull

    def _sha(self) -> str:
        return f"{next(self._counter):040x}"

    def file(self, full_name: str, path: str, branch: str | None = None) -> bytes | None:
        """Return a file's bytes on a branch (the default branch unless told), or None."""
        with self.lock:
            repo = self.repos[full_name.lower()]
            found = repo.files.get((branch or repo.default_branch, path))
        return found.encode() if isinstance(found, str) else found

    def open_pulls(self, full_name: str) -> list[FakeOpenPull]:
        """Return the pull requests opened through the API that are still open."""
        with self.lock:
            return [p for p in self.opened.get(full_name.lower(), []) if p.state == "open"]

    def merge_pull(self, full_name: str, number: int) -> None:
        """Merge an API-opened pull request: its branch's files land on its base, and it closes."""
        with self.lock:
            repo = self.repos[full_name.lower()]
            pull = next(p for p in self.opened[full_name.lower()] if p.number == number)
            for (branch, path), content in list(repo.files.items()):
                if branch == pull.head:
                    repo.files[(pull.base, path)] = content
            repo.branches[pull.base] = self._sha()
            pull.state = "closed"

    def enable_app(self, app_id: str, public_key_pem: str, installation_id: int) -> None:
        """Accept GitHub App JWTs signed by the key matching `public_key_pem`, for one installation."""
        self.app = (app_id, public_key_pem, installation_id)

    def rate_limit(
        self,
        pattern: str = "",
        *,
        count: int = 1,
        status: int = 403,
        retry_after: int | None = None,
        reset_in: int | None = None,
    ) -> None:
        """Answer the next `count` requests whose path contains `pattern` with a rate-limit refusal.

        With `retry_after`: GitHub's secondary limit (Retry-After). Otherwise the primary one:
        x-ratelimit-remaining: 0 and x-ratelimit-reset `reset_in` seconds from now.
        """
        with self.lock:
            self.limits.append(Limit(pattern, count, status, retry_after, reset_in))

    def writes(self) -> list[GitHubCall]:
        """Return the calls that changed something."""
        with self.lock:
            return [
                c
                for c in self.calls
                if c.method in {"PUT", "DELETE", "POST", "PATCH"} and not c.path.startswith("/app/")
            ]

    # -- answering ----------------------------------------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        """Answer one GitHub API call as GitHub would, recording it."""
        method = request.command
        parsed = urlparse(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        path = unquote(parsed.path)
        with self.lock:
            self.calls.append(GitHubCall(method, path, query))
            limit = self._next_limit(path)
        if limit is not None:
            self.reply(
                request, limit.status, {"message": "API rate limit exceeded"}, self._limit_headers(limit)
            )
            return
        auth = (request.headers.get("Authorization") or "").split(" ", 1)
        credential = auth[1].strip() if len(auth) == 2 else ""
        if method == "POST" and path.startswith("/app/installations/"):
            self._installation_token(request, path, credential)
            return
        if credential not in self.tokens:
            self.reply(request, 401, {"message": "Bad credentials"})
            return
        try:
            with self.lock:
                status, body, headers = self._route(method, path, query, raw, credential)
                stall = next((s for s in self.stalls if s[0] == method and s[1] in path), None)
                if stall is not None:
                    self.stalls.remove(stall)
        except KeyError:
            status, body, headers = 404, {"message": "Not Found"}, {}
            stall = None
        if stall is not None:
            stall[2].set()
            stall[3].wait(timeout=30)
        self.reply(request, status, body, headers)

    def _next_limit(self, path: str) -> Limit | None:
        for limit in self.limits:
            if limit.pattern in path and limit.count > 0:
                limit.count -= 1
                if limit.count == 0:
                    self.limits.remove(limit)
                return limit
        return None

    def _limit_headers(self, limit: Limit) -> dict[str, str]:
        if limit.retry_after is not None:
            return {"Retry-After": str(limit.retry_after)}
        reset = int(time.time()) + (limit.reset_in or 0)
        return {"x-ratelimit-remaining": "0", "x-ratelimit-limit": "5000", "x-ratelimit-reset": str(reset)}

    def _installation_token(self, request: BaseHTTPRequestHandler, path: str, credential: str) -> None:
        import jwt

        if self.app is None:
            self.reply(request, 404, {"message": "Not Found"})
            return
        app_id, public_key, installation_id = self.app
        try:
            claims = jwt.decode(credential, public_key, algorithms=["RS256"])
        except jwt.PyJWTError:
            self.reply(request, 401, {"message": "A JSON web token could not be decoded"})
            return
        if str(claims.get("iss")) != app_id or path != f"/app/installations/{installation_id}/access_tokens":
            self.reply(request, 404, {"message": "Not Found"})
            return
        token = f"ghs_installation{next(self._counter)}"
        with self.lock:
            self.tokens.add(token)
        expires = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.reply(request, 201, {"token": token, "expires_at": expires, "permissions": {}})

    def _route(
        self, method: str, path: str, query: dict[str, str], raw: bytes, credential: str = ""
    ) -> tuple[int, Any, dict[str, str]]:
        parts = [p for p in path.split("/") if p]
        installation = credential.startswith("ghs_")
        if path == "/user" and method == "GET":
            if installation:
                return 403, {"message": "Resource not accessible by integration"}, {}
            return 200, {"login": STANDIN_LOGIN, "type": "User"}, {}
        if parts[:1] == ["users"] and len(parts) == 2 and method == "GET":
            if parts[1].lower() in self.no_accounts:
                raise KeyError(path)
            login, account_id = self.account(parts[1])
            return 200, {"login": login, "id": account_id, "type": "User"}, {}
        if parts[:1] == ["user"] and len(parts) == 2 and method == "GET":
            wanted = int(parts[1]) if parts[1].isdigit() else -1
            found = next((a for a in self.accounts.values() if a[1] == wanted), None)
            if found is None:
                raise KeyError(path)
            login, account_id = found
            return 200, {"login": login, "id": account_id, "type": "User"}, {}
        if path == "/installation/repositories" and method == "GET":
            if not installation:
                return 403, {"message": "You must authenticate with an installation access token"}, {}
            listed = [self._repo_json(r) for _, r in sorted(self.repos.items())]
            status, page, headers = self._page(path, query, listed)
            return status, {"total_count": len(listed), "repositories": page}, headers
        if path == "/search/issues" and method == "GET":
            return self._search(path, query)
        if parts[:1] == ["orgs"] and len(parts) >= 3:
            org = self.orgs[parts[1].lower()]
            if parts[2] == "repos" and len(parts) == 3 and method == "GET":
                repos = [r for key, r in sorted(self.repos.items()) if key.split("/")[0] == org.name.lower()]
                return self._page(path, query, [self._repo_json(r) for r in repos])
            if parts[2] == "teams":
                return self._teams(method, org, parts[3:], path, query)
        if parts[:1] == ["repos"] and len(parts) >= 3:
            repo = self.repos[f"{parts[1]}/{parts[2]}".lower()]
            if len(parts) == 3 and method == "GET":
                return 200, self._repo_json(repo), {}
            if len(parts) == 6 and parts[3:4] == ["pulls"] and parts[5] == "reviews" and method == "GET":
                pulls = [p for p in self.pulls if p.repo.lower() == repo.full_name.lower()]
                pull = {f"{p.number}": p for p in pulls}[parts[4]]
                reviews = [
                    {"user": {"login": login}, "state": "APPROVED", "submitted_at": _stamp(at)}
                    for login, at in sorted(pull.reviews, key=lambda r: r[1])
                ]
                return self._page(path, query, reviews)
            if len(parts) > 4 and parts[3] == "contents" and method == "GET":
                file_path = "/".join(parts[4:])
                where = (query.get("ref") or repo.default_branch, file_path)
                if where in repo.raw:
                    content = repo.raw[where]
                else:
                    content = base64.b64encode(_bytes(repo.files[where])).decode()
                sha = _blob_sha(_bytes(repo.files[where])) if where in repo.files else "0" * 40
                return (
                    200,
                    {"type": "file", "encoding": "base64", "path": file_path, "content": content, "sha": sha},
                    {},
                )
            return self._repo_writes(method, repo, parts[3:], path, query, raw)
        raise KeyError(path)

    def _repo_writes(
        self, method: str, repo: FakeRepo, rest: list[str], path: str, query: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        """Labels, branches, commits through the contents API, and pull requests opened through the API."""
        body = json.loads(raw) if raw else {}
        if len(rest) == 3 and rest[0] == "issues" and rest[2] == "labels" and method == "POST":
            number = int(rest[1])
            wanted = [str(label) for label in body.get("labels") or []]
            repo.labels.update(wanted)
            on = repo.issue_labels.setdefault(number, [])
            on += [label for label in wanted if label not in on]
            return 200, [{"name": label} for label in on], {}
        if rest[:3] == ["git", "ref", "heads"] and method == "GET":
            branch = "/".join(rest[3:])
            return 200, {"ref": f"refs/heads/{branch}", "object": {"sha": repo.branches[branch]}}, {}
        if rest == ["git", "refs"] and method == "POST":
            branch = str(body["ref"]).removeprefix("refs/heads/")
            if branch in repo.branches:
                return 422, {"message": "Reference already exists"}, {}
            self._point(repo, branch, str(body["sha"]))
            return 201, {"ref": body["ref"], "object": {"sha": body["sha"]}}, {}
        if rest[:3] == ["git", "refs", "heads"] and method == "PATCH":
            branch = "/".join(rest[3:])
            if branch not in repo.branches:
                raise KeyError(branch)
            self._point(repo, branch, str(body["sha"]))
            return 200, {"ref": f"refs/heads/{branch}", "object": {"sha": body["sha"]}}, {}
        if len(rest) > 1 and rest[0] == "contents" and method == "PUT":
            file_path = "/".join(rest[1:])
            branch = str(body.get("branch") or repo.default_branch)
            if branch not in repo.branches:
                return 404, {"message": "Branch not found"}, {}
            current = repo.files.get((branch, file_path))
            if current is not None and body.get("sha") != _blob_sha(_bytes(current)):
                return 409, {"message": f"{file_path} does not match the sha given"}, {}
            if current is None and body.get("sha"):
                return 422, {"message": "sha given for a file that does not exist"}, {}
            repo.files[(branch, file_path)] = base64.b64decode(str(body["content"]))
            repo.branches[branch] = self._sha()
            repo.commits.append((branch, file_path, str(body.get("message") or "")))
            return 200, {"commit": {"sha": repo.branches[branch]}}, {}
        pulls = self.opened.setdefault(repo.full_name.lower(), [])
        if rest == ["pulls"] and method == "GET":
            owner = repo.full_name.split("/")[0].lower()
            head = query.get("head", "")
            found = [
                p
                for p in pulls
                if p.state == (query.get("state") or "open")
                and (not head or head.lower() == f"{owner}:{p.head.lower()}")
                and (not query.get("base") or query["base"] == p.base)
            ]
            return self._page(path, query, [self._opened_json(repo, p) for p in found])
        if rest == ["pulls"] and method == "POST":
            head, base = str(body["head"]), str(body["base"])
            if head not in repo.branches or base not in repo.branches:
                return 422, {"message": "Validation Failed"}, {}
            if any(p.head == head and p.base == base for p in pulls if p.state == "open"):
                return 422, {"message": f"A pull request already exists for {head}."}, {}
            pull = FakeOpenPull(
                next(self._counter), head, base, str(body["title"]), str(body.get("body") or "")
            )
            pulls.append(pull)
            return 201, self._opened_json(repo, pull), {}
        if len(rest) == 2 and rest[0] == "pulls" and method == "PATCH":
            pull = next(p for p in pulls if str(p.number) == rest[1])
            pull.title, pull.body = str(body.get("title", pull.title)), str(body.get("body", pull.body))
            return 200, self._opened_json(repo, pull), {}
        raise KeyError(path)

    def _point(self, repo: FakeRepo, branch: str, sha: str) -> None:
        source = next((name for name, at in repo.branches.items() if at == sha), None)
        if source is None:
            raise KeyError(sha)
        for key in [k for k in repo.files if k[0] == branch]:
            del repo.files[key]
        for (name, file_path), content in list(repo.files.items()):
            if name == source:
                repo.files[(branch, file_path)] = content
        repo.branches[branch] = sha

    def _opened_json(self, repo: FakeRepo, pull: FakeOpenPull) -> dict[str, Any]:
        return {
            "number": pull.number,
            "state": pull.state,
            "title": pull.title,
            "body": pull.body,
            "html_url": f"https://github.com/{repo.full_name}/pull/{pull.number}",
            "head": {"ref": pull.head},
            "base": {"ref": pull.base},
        }

    def _search(self, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        """GitHub's issue search over pull requests: is:pr, is:merged, author:, -author:, reviewed-by:, org:, repo:."""
        terms = query.get("q", "").split()
        wanted: dict[str, list[str]] = {}
        for term in terms:
            name, _, value = term.partition(":")
            wanted.setdefault(name.lower(), []).append(value.lower())
        users = [*wanted.get("author", []), *wanted.get("-author", []), *wanted.get("reviewed-by", [])]
        if any(user in self.unknown_users for user in users):
            message = "The listed users cannot be searched either because the users do not exist or you do not have permission to view the users."
            return 422, {"message": "Validation Failed", "errors": [{"message": message}]}, {}

        def matches(pull: FakePull) -> bool:
            repo = pull.repo.lower()
            orgs, repos = wanted.get("org", []), wanted.get("repo", [])
            reviewers = {login.lower() for login, _ in pull.reviews}
            return (
                ((not orgs and not repos) or repo.split("/")[0] in orgs or repo in repos)
                and ("merged" not in wanted.get("is", []) or pull.merged_at is not None)
                and all(pull.author.lower() == a for a in wanted.get("author", []))
                and all(pull.author.lower() != a for a in wanted.get("-author", []))
                and all(r in reviewers for r in wanted.get("reviewed-by", []))
            )

        found = [p for p in self.pulls if matches(p)]
        found.sort(key=lambda p: p.updated_at, reverse=query.get("order", "desc") != "asc")
        items = [self._pull_json(p) for p in found]
        status, page, headers = self._page(path, query, items)
        return status, {"total_count": len(items), "incomplete_results": False, "items": page}, headers

    def _pull_json(self, pull: FakePull) -> dict[str, Any]:
        return {
            "number": pull.number,
            "repository_url": f"{self.url.rstrip('/')}/repos/{pull.repo}",
            "html_url": f"https://github.com/{pull.repo}/pull/{pull.number}",
            "user": {"login": pull.author},
            "state": "closed" if pull.merged_at else "open",
            "updated_at": _stamp(pull.updated_at),
            "pull_request": {"merged_at": _stamp(pull.merged_at) if pull.merged_at else None},
        }

    def _teams(
        self, method: str, org: FakeOrg, rest: list[str], path: str, query: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        if not rest and method == "GET":
            teams = [{"slug": t.slug, "name": t.slug} for _, t in sorted(org.teams.items())]
            return self._page(path, query, teams)
        team = org.teams[rest[0].lower()]
        if len(rest) == 1 and method == "GET":
            return 200, {"slug": team.slug, "name": team.slug, "members_count": len(team.members)}, {}
        if rest[1:] == ["members"] and method == "GET":
            members = [
                {"login": login, "id": self.account_id(login), "type": "User"}
                for _, login in sorted(team.members.items())
            ]
            return self._page(path, query, members)
        if rest[1:] == ["invitations"] and method == "GET":
            invites = [
                {"login": login, "id": self.account_id(login), "role": "direct_member"}
                for _, login in sorted(team.pending.items())
            ]
            return self._page(path, query, invites)
        if len(rest) == 3 and rest[1] == "memberships":
            key = rest[2].lower()
            if method == "PUT":
                login = self.account(rest[2])[0]
                if key in team.members:
                    state = "active"
                elif key in org.members:
                    team.members[key] = login
                    state = "active"
                else:
                    team.pending[key] = login
                    state = "pending"
                return 200, {"role": "member", "state": state}, {}
            if method == "DELETE":
                if team.members.pop(key, None) is None and team.pending.pop(key, None) is None:
                    raise KeyError(key)
                return 204, None, {}
        raise KeyError(path)

    def _page(self, path: str, query: dict[str, str], items: list[Any]) -> tuple[int, Any, dict[str, str]]:
        per_page = min(MAX_PER_PAGE, max(1, int(query.get("per_page") or DEFAULT_PER_PAGE)))
        page = max(1, int(query.get("page") or 1))
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        keep = {k: v for k, v in query.items() if k not in {"page", "per_page"}}
        for rel, number in (("next", page + 1), ("last", last)):
            if rel == "next" and page >= last:
                continue
            target = urlencode({**keep, "per_page": per_page, "page": number})
            links.append(f'<{self.url.rstrip("/")}{path}?{target}>; rel="{rel}"')
        return 200, chunk, {"Link": ", ".join(links)} if links else {}

    def _repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        owner, name = repo.full_name.split("/")
        return {
            "full_name": repo.full_name,
            "name": name,
            "owner": {"login": owner},
            "default_branch": repo.default_branch,
            "archived": repo.archived,
        }


def _bytes(content: str | bytes) -> bytes:
    return content.encode() if isinstance(content, str) else content


def _blob_sha(content: bytes) -> str:
    """Return git's blob id of a file's content, as GitHub's contents API gives it."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
