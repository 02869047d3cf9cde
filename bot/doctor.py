"""`ccbot doctor`: checks a deployment end to end and says, one line per check, what to fix."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.assembly import open_database, probe_client
from bot.services.github.api import GitHubApi
from bot.settings import ConfigError, Settings, without_userinfo
from storage.db import describe_error

MANIFEST_NAME = "app_manifest.yml"
# Errors with which Slack refuses the token itself, rather than one call.
TOKEN_ERRORS = {
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "token_expired",
    "account_inactive",
    "no_permission",
    "org_login_required",
    "ekm_access_denied",
}
# Classic (ghp_, gho_, ghu_, ghs_, ghr_), fine-grained (github_pat_) and 40-hex legacy tokens.
GITHUB_TOKEN = re.compile(r"^(?:gh[pousr]_[A-Za-z0-9]{30,251}|github_pat_[A-Za-z0-9_]{22,244}|[0-9a-f]{40})$")
MIN_SECRET_LENGTH = 16
# Seconds the GitHub check waits for a rate limit to reset before reporting it instead.
GITHUB_MAX_WAIT = 5.0
CHANNEL_SETTINGS = {
    "coordination_channel": "questions and phase announcements cannot be posted",
    "management_channel": "escalations cannot be posted",
    "digest_channel": "the weekly digest goes to the managers by DM only",
}
OPTIONAL_CHANNELS = {"digest_channel"}


class Status(StrEnum):
    """What a check found."""

    OK = "ok"
    PROBLEM = "problem"
    SKIPPED = "skipped"


MARKS = {Status.OK: "✔", Status.PROBLEM: "✘", Status.SKIPPED: "·"}


@dataclass(frozen=True)
class CheckResult:
    """One line of the doctor's report: what was found and, for a problem, what to do."""

    status: Status
    what: str
    todo: str = ""

    def line(self) -> str:
        """Return the result as the one line the doctor prints (URLs in it without their user-info)."""
        return without_userinfo(
            f"{MARKS[self.status]} {self.what}" + (f" → {self.todo}" if self.todo else "")
        )


def ok(what: str) -> CheckResult:
    """Return a passed check."""
    return CheckResult(Status.OK, what)


def problem(what: str, todo: str) -> CheckResult:
    """Return a failed check with what to do about it."""
    return CheckResult(Status.PROBLEM, what, todo)


def skipped(what: str, why: str = "") -> CheckResult:
    """Return a check that could not, or need not, run."""
    return CheckResult(Status.SKIPPED, what, why)


class ManifestError(Exception):
    """app_manifest.yml cannot be read; the message is one line naming file:line."""


@dataclass
class Deployment:
    """What the checks look at: the settings, a Slack client (None without a token) and the manifest."""

    settings: Settings
    client: WebClient | None
    manifest: Path | None
    _auth: SlackResponse | Exception | None = field(default=None, repr=False)

    def auth_test(self) -> SlackResponse:
        """Return Slack's answer to auth.test (asked once), raising what the call raised."""
        if self.client is None:
            raise ConfigError("SLACK_BOT_TOKEN is not set")
        if self._auth is None:
            try:
                self._auth = self.client.auth_test()
            except (SlackClientError, OSError) as exc:
                self._auth = exc
        if isinstance(self._auth, Exception):
            raise self._auth
        return self._auth


Check = Callable[[Deployment], Iterable[CheckResult]]


def slack_problem(exc: BaseException, settings: Settings) -> tuple[str, str]:
    """Return (what happened, what to do) for a failed Slack call: a refused token or an unreachable Slack."""
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error") or "")
        status = exc.response.status_code
        if error in TOKEN_ERRORS:
            return (
                f"Slack refused SLACK_BOT_TOKEN ({error})",
                "check the token: copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions "
                "page, reinstalling the app to the workspace if it was revoked",
            )
        if status >= 500 or error in {"internal_error", "fatal_error", "service_unavailable"}:
            return (
                f"Slack answered HTTP {status} ({error or 'no error code'}) at {settings.slack_api_url}",
                "Slack is having trouble: try again in a few minutes (https://slack-status.com)",
            )
        return (
            f"Slack refused auth.test ({error or f'HTTP {status}'})",
            f"check SLACK_API_URL ({settings.slack_api_url}) and SLACK_BOT_TOKEN",
        )
    reason = str(getattr(exc, "reason", "") or exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return (
        f"cannot reach Slack at {settings.slack_api_url} ({reason})",
        "check SLACK_API_URL, the network and any proxy between this host and Slack",
    )


def verify_slack(settings: Settings) -> SlackResponse:
    """Ask Slack whether the bot token works; raise ConfigError with one line saying which failure and what to check."""
    try:
        return probe_client(settings).auth_test()
    except (SlackClientError, OSError) as exc:
        what, todo = slack_problem(exc, settings)
        raise ConfigError(f"{what}: {todo}") from None


def startup_warnings(settings: Settings, *, hooks: bool = True) -> list[str]:
    """Return one warning per setting whose absence disables part of the bot (channels, webhook secret)."""
    warnings = []
    for name, consequence in CHANNEL_SETTINGS.items():
        if not getattr(settings, name):
            alias = Settings.model_fields[name].alias
            warnings.append(f"{alias} is not set: {consequence}")
    if hooks and not settings.webhook_secret:
        warnings.append(
            "CCBOT_WEBHOOK_SECRET is not set: /hooks/deployments refuses every deployment notice (503)"
        )
    return warnings


def find_manifest(explicit: Path | None = None) -> Path | None:
    """Return the manifest to compare scopes with: the given path, else ./app_manifest.yml, else the checkout's."""
    if explicit is not None:
        return explicit
    for base in (Path.cwd(), Path(__file__).resolve().parents[1]):
        candidate = base / MANIFEST_NAME
        if candidate.is_file():
            return candidate
    return None


def manifest_scopes(path: Path) -> set[str]:
    """Return the bot scopes the manifest asks for (`oauth_config.scopes.bot`)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read it ({exc.strerror or exc.__class__.__name__})") from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise ManifestError(f"{path}:{line}: not valid YAML ({exc.problem})") from None
    scopes: Any = document
    for key in ("oauth_config", "scopes", "bot"):
        scopes = scopes.get(key) if isinstance(scopes, dict) else None
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise ManifestError(f"{path}: oauth_config.scopes.bot is not a list of scopes")
    return set(scopes)


def _header(response: SlackResponse, name: str) -> str | None:
    return next((str(v) for k, v in (response.headers or {}).items() if k.lower() == name), None)


def check_slack_token(deployment: Deployment) -> Iterable[CheckResult]:
    """The bot token is set and Slack accepts it (auth.test)."""
    if deployment.client is None:
        yield problem(
            "Slack token: SLACK_BOT_TOKEN is not set",
            "set it to the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page",
        )
        return
    try:
        auth = deployment.auth_test()
    except (SlackClientError, OSError) as exc:
        what, todo = slack_problem(exc, deployment.settings)
        yield problem(f"Slack token: {what}", todo)
        return
    yield ok(
        f"Slack token: works for @{auth.get('user')} ({auth.get('user_id')}) "
        f"in {auth.get('team')} ({auth.get('team_id')})"
    )


def check_scopes(deployment: Deployment) -> Iterable[CheckResult]:
    """The token holds every bot scope app_manifest.yml asks for (Slack's `x-oauth-scopes` header)."""
    if deployment.manifest is None:
        yield skipped(
            f"Slack scopes: no {MANIFEST_NAME} here to compare with",
            "run from the checkout or pass --manifest",
        )
        return
    try:
        wanted = manifest_scopes(deployment.manifest)
    except ManifestError as exc:
        yield problem(f"Slack scopes: {exc}", f"fix {MANIFEST_NAME} or pass --manifest")
        return
    try:
        auth = deployment.auth_test()
    except (ConfigError, SlackClientError, OSError):
        yield skipped("Slack scopes: not checked", "the bot token does not work (see above)")
        return
    header = _header(auth, "x-oauth-scopes")
    if header is None:
        yield skipped(
            "Slack scopes: Slack did not say which scopes the token holds (no x-oauth-scopes header)",
            f"compare OAuth & Permissions with {MANIFEST_NAME} by hand",
        )
        return
    granted = {scope.strip() for scope in header.split(",") if scope.strip()}
    missing = sorted(wanted - granted)
    if missing:
        yield problem(
            f"Slack scopes: the token lacks {', '.join(missing)}",
            f"add {'it' if len(missing) == 1 else 'them'} under OAuth & Permissions (or update the app from "
            f"{MANIFEST_NAME}), reinstall the app "
            "to the workspace, and update SLACK_BOT_TOKEN if it changed",
        )
        return
    yield ok(f"Slack scopes: the token holds all {len(wanted)} scopes {MANIFEST_NAME} asks for")


def check_channels(deployment: Deployment) -> Iterable[CheckResult]:
    """Each configured channel exists and the bot is in it (conversations.info → is_member)."""
    working = True
    try:
        deployment.auth_test()
    except (ConfigError, SlackClientError, OSError):
        working = False
    for name, consequence in CHANNEL_SETTINGS.items():
        alias = str(Settings.model_fields[name].alias)
        channel = getattr(deployment.settings, name)
        if not channel:
            if name in OPTIONAL_CHANNELS:
                yield skipped(f"{alias} is not set", consequence)
            else:
                yield problem(
                    f"{alias} is not set: {consequence}", "set it to the channel's id (like C012ABCDEF)"
                )
            continue
        if not working or deployment.client is None:
            yield skipped(f"{alias} {channel}: not checked", "the bot token does not work (see above)")
            continue
        yield _check_channel(deployment.client, alias, channel)


def _check_channel(client: WebClient, alias: str, channel: str) -> CheckResult:
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as exc:
        error = str(exc.response.get("error") or exc.response.status_code)
        if error == "channel_not_found":
            return problem(
                f"{alias} {channel}: no such channel the bot can see",
                "check the id (channel details → About, at the bottom); for a private channel, "
                "invite the bot first (/invite @ccbot)",
            )
        if error == "missing_scope":
            return problem(
                f"{alias} {channel}: the token may not look channels up ({error})",
                f"grant channels:read and groups:read (they are in {MANIFEST_NAME}) and reinstall the app",
            )
        return problem(f"{alias} {channel}: Slack refused conversations.info ({error})", "try again later")
    except (SlackClientError, OSError) as exc:
        return problem(f"{alias} {channel}: cannot reach Slack ({exc.__class__.__name__})", "try again later")
    shown = f"{alias} {channel} (#{info.get('name')})"
    if info.get("is_archived"):
        return problem(f"{shown} is archived", "unarchive it, or set the setting to a live channel")
    if not info.get("is_member"):
        return problem(
            f"{shown}: the bot is not a member", f"invite it: /invite @ccbot in #{info.get('name')}"
        )
    return ok(f"{shown}: exists and the bot is a member")


def check_secrets(deployment: Deployment) -> Iterable[CheckResult]:
    """The signing secret (or, in Socket Mode, the app token) and the webhook secret are set."""
    settings = deployment.settings
    if settings.slack_signing_secret:
        yield ok("SLACK_SIGNING_SECRET is set")
    elif settings.slack_app_token:
        yield ok("SLACK_SIGNING_SECRET is not set, which Socket Mode (SLACK_APP_TOKEN) does not need")
    else:
        yield problem(
            "SLACK_SIGNING_SECRET is not set: requests from Slack cannot be verified",
            "copy the Signing Secret from the app's Basic Information → App Credentials",
        )
    yield shared_secret(
        "CCBOT_WEBHOOK_SECRET",
        settings.webhook_secret,
        unset=problem(
            "CCBOT_WEBHOOK_SECRET is not set: /hooks/deployments refuses every deployment notice",
            "set a long random value (`openssl rand -hex 32`) and give the same to the deployment pipeline",
        ),
    )


def shared_secret(alias: str, secret: SecretStr | None, *, unset: CheckResult) -> CheckResult:
    """Return `unset` for a webhook secret not set, a problem for one easy to guess, else ok."""
    if not secret:
        return unset
    if len(secret.get_secret_value()) < MIN_SECRET_LENGTH:
        return problem(
            f"{alias} is only {len(secret)} characters: easy to guess",
            f"use at least {MIN_SECRET_LENGTH} random characters (`openssl rand -hex 32`)",
        )
    return ok(f"{alias} is set")


def check_database(deployment: Deployment) -> Iterable[CheckResult]:
    """The database answers and is at the newest migration."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from storage.db import alembic_config, current_revision, sqlite_file

    url = deployment.settings.database_url
    path = sqlite_file(url)
    if path is not None and not path.exists():
        # Opening it would create an empty file: the doctor looks, it never creates.
        yield problem(
            f"database: {path} does not exist",
            "point CCBOT_DATABASE_URL at the bot's database, or create it with `ccbot db upgrade`",
        )
        return
    try:
        database = open_database(url)
    except ConfigError as exc:
        yield problem(f"database: {exc}", "fix CCBOT_DATABASE_URL")
        return
    engine = database.engine
    try:
        try:
            current = current_revision(engine)
        except Exception as exc:
            yield problem(
                f"database: cannot reach it ({describe_error(exc)})",
                "check CCBOT_DATABASE_URL and that the server is up",
            )
            return
        script = ScriptDirectory.from_config(alembic_config(engine))
        head = script.get_current_head()
        if current == head:
            yield ok(f"database: answers and is at the newest migration ({head})")
        elif current is None:
            yield problem("database: answers but was never migrated", "run `ccbot db upgrade`")
        else:
            try:
                script.get_revision(current)
            except CommandError:
                yield problem(
                    f"database: at revision {current}, which this code does not know (newer code migrated it)",
                    "run the release that migrated it, or a newer one",
                )
                return
            yield problem(f"database: at revision {current}, the code needs {head}", "run `ccbot db upgrade`")
    finally:
        database.close()


def check_github(deployment: Deployment) -> Iterable[CheckResult]:
    """GitHub's webhook secret is set, and the token or GitHub App works against GITHUB_API_URL."""
    settings = deployment.settings
    yield shared_secret(
        "CCBOT_GITHUB_WEBHOOK_SECRET",
        settings.github_webhook_secret,
        unset=skipped(
            "CCBOT_GITHUB_WEBHOOK_SECRET is not set: /hooks/github refuses GitHub's deliveries (503)",
            "to see merges and review requests, set a long random value and give the same to the GitHub webhook",
        ),
    )
    token = settings.github_token
    if not settings.github_configured:
        yield skipped("GitHub: not configured (CCBOT_GITHUB_TOKEN is not set)")
        return
    if token and not GITHUB_TOKEN.match(token.get_secret_value().strip()):
        yield problem(
            "GitHub: CCBOT_GITHUB_TOKEN does not look like a GitHub token",
            "use a fine-grained (github_pat_...) or classic (ghp_...) token, or an installation token (ghs_...)",
        )
        return
    from bot.github import make_github
    from bot.services.github.api import GitHubError

    what = "CCBOT_GITHUB_TOKEN" if token else f"the GitHub App {settings.github_app_id}"
    identities: list[CheckResult] = []
    try:
        # A rate limit is reported, not waited out: the doctor answers in seconds.
        with make_github(settings, max_wait=GITHUB_MAX_WAIT) as client:
            who = client.whoami()
            identities = _check_identities(settings, client)
    except (ConfigError, GitHubError) as exc:
        yield problem(
            f"GitHub: {exc}",
            f"check {what} and GITHUB_API_URL ({settings.github_api_url}); the README's GitHub section "
            "lists the permissions",
        )
        return
    yield ok(f"GitHub: {what} works at {settings.github_api_url} as {who}")
    yield from identities


# People whose GitHub accounts one doctor run confirms; the rest wait for the next run (or a plan).
IDENTITY_CHECKS = 100


def _check_identities(settings: Settings, client: GitHubApi) -> list[CheckResult]:
    """Record the GitHub account ids of roster people who have none yet, and report logins GitHub does not know."""
    from bot.services.github.identity import confirm_accounts
    from bot.types.policy import Channels
    from storage.db import DatabaseNotReady, sqlite_file
    from storage.roster import list_people

    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():
        return []  # the database check says so; opening it would create it
    try:
        database = open_database(settings.database_url, ready=True)
    except (ConfigError, DatabaseNotReady, SQLAlchemyError):
        return []  # the database check says what to do
    with database, database.session() as session:
        people = [p for p in list_people(session) if p.removed_on is None and p.github_id is None]
        if not people:
            return [ok("GitHub identities: every current person's account id is recorded")]
        found = confirm_accounts(
            session,
            client,
            people,
            now=dt.datetime.now(dt.UTC),
            channels=Channels(admins=tuple(settings.admins)),
            limit=IDENTITY_CHECKS,
            where="ccbot doctor",
        )
    results = [
        ok(
            f"GitHub identities: recorded the account ids of {len(found.filled)} people"
            + (f"; {found.left} more on the next run" if found.left else "")
        )
    ]
    results += [
        problem(
            f"GitHub identities: no GitHub account holds the login {login}",
            "correct their GitHub handle on the roster (`/cc-admin` → Edit person, or the roster file)",
        )
        for login in found.missing
    ]
    results += [
        problem(
            f"GitHub identities: {issue.login} is GitHub account {issue.seen_id}, "
            f"not {issue.recorded_id or 'the one'} on record",
            "the login changed hands: put the person's new login on the roster",
        )
        for issue in found.issues
    ]
    return results


# The doctor runs these in order; a new integration adds its check here.
CHECKS: tuple[Check, ...] = (
    check_slack_token,
    check_scopes,
    check_channels,
    check_secrets,
    check_database,
    check_github,
)


def run_checks(deployment: Deployment, checks: Iterable[Check] = CHECKS) -> list[CheckResult]:
    """Run every check; a check that breaks is reported as a problem, never raised."""
    results: list[CheckResult] = []
    for check in checks:
        try:
            results.extend(check(deployment))
        except Exception as exc:
            name = getattr(check, "__name__", "check").removeprefix("check_")
            results.append(
                problem(
                    f"{name}: the check itself failed ({exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''})",
                    "report this to the ccbot maintainers",
                )
            )
    return results


def diagnose(
    settings: Settings, *, manifest: Path | None = None, checks: Iterable[Check] = CHECKS
) -> list[CheckResult]:
    """Check the deployment these settings describe."""
    client = probe_client(settings) if settings.slack_bot_token else None
    return run_checks(Deployment(settings=settings, client=client, manifest=find_manifest(manifest)), checks)
