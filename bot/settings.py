"""Settings read from the environment and `.env`, with one-line errors for bad values; secrets held masked."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_serializer, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_GITHUB_API_URL = "https://api.github.com/"
GITHUB_WEB_URL = "https://github.com"
# GitHub Enterprise Cloud with data residency: the API of SUBDOMAIN.ghe.com is api.SUBDOMAIN.ghe.com.
GHE_CLOUD_API_HOST = re.compile(r"api\.([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.ghe\.com")
GITHUB_TARGET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}(?:/[A-Za-z0-9._-]{1,100})?$")
DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DURATION = re.compile(r"^(?:(?P<h>\d+(?:\.\d+)?)h)?\s*(?:(?P<m>\d+)m)?$")
BUSINESS_DURATION = re.compile(r"^(?:(?P<d>\d+)d)?\s*(?:(?P<h>\d+(?:\.\d+)?)h)?\s*(?:(?P<m>\d+)m)?$")
# Where the public page goes: ORG/REPO:PATH (PATH a folder in the repository, `.` for its root).
PUBLISH_TARGET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}:[A-Za-z0-9._/-]{1,200}$")


def github_web_url(api_url: str) -> str:
    """Return the web address whose pull request links match a REST API base URL.

    `https://api.github.com` is github.com's; `https://api.SUBDOMAIN.ghe.com` is GitHub Enterprise Cloud's
    (`https://SUBDOMAIN.ghe.com`); `https://HOST/api/v3` is GitHub Enterprise Server's (`https://HOST`).
    Anything else (a stand-in) keeps github.com. Credentials in the URL never reach a link.
    """
    parts = urlsplit(api_url.strip())
    host = (parts.hostname or "").lower()
    where = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
    path = parts.path.rstrip("/")
    cloud = GHE_CLOUD_API_HOST.fullmatch(host)
    if cloud and path == "":
        return f"{parts.scheme}://{cloud.group(1)}.ghe.com"
    if host != "api.github.com" and path == "/api/v3":
        return where
    return GITHUB_WEB_URL


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


def display_url(url: str) -> str:
    """Return `url` as it may be shown or logged: without its user-info (`user:password@`)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"//[^/?#]*@", "//", url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,20}://)[^\s/?#]{1,500}@")


def without_userinfo(text: str) -> str:
    """Return `text` with the user-info of every URL in it dropped (`https://u:p@host/` -> `https://host/`)."""
    return _USERINFO.sub(r"\1", text)


# The database URLs ccbot runs on: SQLite, and PostgreSQL through psycopg 3 (postgres:// and postgresql:// mean it).
SUPPORTED_DATABASE_SCHEMES = frozenset(
    {"sqlite", "sqlite+pysqlite", "postgres", "postgresql", "postgresql+psycopg"}
)
SUPPORTED_DATABASES = (
    "use sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB (postgresql+psycopg:// is the same)"
)


def database_url_problem(url: str) -> str | None:
    """Return why ccbot cannot open a database at `url` (naming its scheme, never the rest), or None when it can."""
    scheme, separator, _rest = url.partition("://")
    if not separator or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+.-]{0,40}", scheme):
        return f"not a database URL: {SUPPORTED_DATABASES}"
    if scheme.lower() in SUPPORTED_DATABASE_SCHEMES:
        return None
    why = (
        " (ccbot talks to PostgreSQL through psycopg 3, not psycopg2)" if "psycopg2" in scheme.lower() else ""
    )
    return f"{scheme}:// databases are not supported{why}: {SUPPORTED_DATABASES}"


class DatabaseUrl(SecretStr):
    """CCBOT_DATABASE_URL: shown without its user-info, so its password never is; `get_secret_value()` is whole."""

    def _display(self) -> str:
        return display_url(self.get_secret_value())


class Settings(BaseSettings):
    """Every environment variable ccbot reads; names are fixed by the product contract."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # Secrets are SecretStr: repr(), str() and dumps show them masked; `.get_secret_value()` where each is used.
    slack_bot_token: SecretStr | None = Field(
        default=None, alias="SLACK_BOT_TOKEN", description="bot token (`xoxb-…`); required by `serve`"
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        alias="SLACK_SIGNING_SECRET",
        description="verifies that requests come from Slack; required by `serve` over HTTP",
    )
    slack_app_token: SecretStr | None = Field(
        default=None,
        alias="SLACK_APP_TOKEN",
        description="app-level token (`xapp-…`); required by `serve --socket`",
    )
    slack_api_url: str = Field(
        default=DEFAULT_SLACK_API_URL,
        alias="SLACK_API_URL",
        description="Web API base URL (the tests and the console point it at a stand-in)",
    )
    database_url: DatabaseUrl = Field(
        default=DatabaseUrl("sqlite:///ccbot.db"),
        alias="CCBOT_DATABASE_URL",
        description="SQLite file or PostgreSQL (`postgresql://user@host/db`, psycopg 3)",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        alias="CCBOT_WEBHOOK_SECRET",
        description="HMAC secret of the deployment-pipeline webhook",
    )
    coordination_channel: str | None = Field(
        default=None,
        alias="CCBOT_COORDINATION_CHANNEL",
        description="channel id where champions and committers coordinate (questions, intros)",
    )
    management_channel: str | None = Field(
        default=None, alias="CCBOT_MANAGEMENT_CHANNEL", description="channel id for escalations to management"
    )
    digest_channel: str | None = Field(
        default=None, alias="CCBOT_DIGEST_CHANNEL", description="channel id for the weekly digest"
    )
    admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        alias="CCBOT_ADMINS",
        description="comma-separated Slack user ids treated as admins, beside those the roster names",
    )
    port: int = Field(
        default=3000, ge=1, le=65535, alias="CCBOT_PORT", description="HTTP port of `ccbot serve`"
    )
    working_hours: Annotated[tuple[dt.time, dt.time], NoDecode] = Field(
        default=(dt.time(9), dt.time(17)),
        alias="CCBOT_WORKING_HOURS",
        description="local working day used by the SLA ladder and reminders (each person's time zone)",
    )
    working_days: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(range(5)),
        alias="CCBOT_WORKING_DAYS",
        description="working weekdays, as a range or a list (`sun-thu`, `mon,tue,thu`)",
    )
    sla_normal: Annotated[dt.timedelta, NoDecode] = Field(
        default=dt.timedelta(hours=4),
        alias="CCBOT_SLA_NORMAL",
        description="working time a normal question waits before each ladder step (`90m`, `1h30m`)",
    )
    sla_urgent: Annotated[dt.timedelta, NoDecode] = Field(
        default=dt.timedelta(minutes=30),
        alias="CCBOT_SLA_URGENT",
        description="the same for urgent questions",
    )
    # Business time: `1d` is one working day (CCBOT_WORKING_HOURS long), `4h` four working hours.
    response_target: Annotated[dt.timedelta, NoDecode] = Field(
        default=dt.timedelta(days=1),
        alias="CCBOT_RESPONSE_TARGET",
        description="target for the 75th percentile of time to first response, in business time "
        "(`d` is one working day: `1d4h`, `6h`)",
    )
    nudge_daily_cap: int = Field(
        default=5,
        ge=1,
        le=100,
        alias="CCBOT_NUDGE_DAILY_CAP",
        description="nudge DMs one person gets per day at most; the rest are skipped (the thread note still posts)",
    )

    escalation_ack_normal: Annotated[dt.timedelta, NoDecode] = Field(
        default=dt.timedelta(hours=4),
        alias="CCBOT_ESCALATION_ACK_NORMAL",
        description="working time before an unacknowledged normal escalation climbs the ladder",
    )
    escalation_ack_urgent: Annotated[dt.timedelta, NoDecode] = Field(
        default=dt.timedelta(minutes=15),
        alias="CCBOT_ESCALATION_ACK_URGENT",
        description="wall-clock time before an unacknowledged urgent escalation climbs",
    )
    escalation_renotify_limit: int = Field(
        default=3,
        ge=1,
        le=20,
        alias="CCBOT_ESCALATION_RENOTIFY_LIMIT",
        description="re-notifications before an escalation is reported overdue",
    )
    escalation_resolve_days: int = Field(
        default=3,
        ge=1,
        le=90,
        alias="CCBOT_ESCALATION_RESOLVE_DAYS",
        description="days an acknowledged escalation may stay unresolved before its owner is reminded",
    )

    nomination_days: int = Field(
        default=14,
        ge=1,
        le=90,
        alias="CCBOT_NOMINATION_DAYS",
        description="comment period of a nomination, in days",
    )
    nomination_min_yes: int = Field(
        default=5,
        ge=1,
        le=100,
        alias="CCBOT_NOMINATION_MIN_YES",
        description="yes votes a nomination needs (and no `no`, and one yes from outside the nominee's organisation)",
    )
    digest_timezone: str = Field(
        default="UTC",
        alias="CCBOT_DIGEST_TIMEZONE",
        description="time zone of the weekly digest's Monday 09:00 and the inactivity review",
    )
    expiry_reminder_days: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(30, 14, 7, 1),
        alias="CCBOT_EXPIRY_REMINDER_DAYS",
        description="days before an agreement ends when the committer is reminded",
    )
    expansion_days: int = Field(
        default=7,
        ge=1,
        le=90,
        alias="CCBOT_EXPANSION_DAYS",
        description="comment period of a proposal of more repositories for an existing committer",
    )
    inactive_days: int = Field(
        default=183,
        ge=30,
        le=3650,
        alias="CCBOT_INACTIVE_DAYS",
        description="days without recorded activity before a committer is proposed to the admins as inactive",
    )
    renewal_days: int = Field(
        default=30,
        ge=7,
        le=120,
        alias="CCBOT_RENEWAL_DAYS",
        description="days a recommitment round stays open when `--closes` is not given",
    )
    # Month and day on which a yearly recommitment round opens by itself; unset: only `ccbot renewal open`.
    renewal_individuals: Annotated[tuple[int, int] | None, NoDecode] = Field(
        default=None,
        alias="CCBOT_RENEWAL_INDIVIDUALS",
        description="month-day (`01-05`) on which the individuals' round opens by itself each year; unset: only by hand",
    )
    renewal_organizations: Annotated[tuple[int, int] | None, NoDecode] = Field(
        default=None,
        alias="CCBOT_RENEWAL_ORGANIZATIONS",
        description="month-day (`12-01`) on which the organisations' round opens by itself each year; unset: only by hand",
    )
    # None: text when stderr is a terminal, JSON lines otherwise (decided when logging is configured).
    log_format: Literal["text", "json"] | None = Field(
        default=None,
        alias="CCBOT_LOG_FORMAT",
        description="`json` (one object per line) or `text`; unset: text on a terminal, JSON otherwise",
    )

    @field_validator("log_format", mode="before")
    @classmethod
    def _parse_log_format(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower() or None
            if value not in (None, "text", "json"):
                raise ValueError("must be text or json")
        return value

    github_webhook_secret: SecretStr | None = Field(
        default=None,
        alias="CCBOT_GITHUB_WEBHOOK_SECRET",
        description="the GitHub webhook's secret; `/hooks/github` answers 503 until it is set",
    )
    github_token: SecretStr | None = Field(
        default=None,
        alias="CCBOT_GITHUB_TOKEN",
        description="a GitHub token for the API (or use the three GitHub App settings)",
    )
    github_app_id: str | None = Field(
        default=None,
        alias="CCBOT_GITHUB_APP_ID",
        description="the GitHub App's id (used when no token is set)",
    )
    github_private_key: SecretStr | None = Field(
        default=None,
        alias="CCBOT_GITHUB_PRIVATE_KEY",
        description="the App's private key: a path to the `.pem` file, or the PEM text",
    )
    github_installation_id: int | None = Field(
        default=None,
        ge=1,
        alias="CCBOT_GITHUB_INSTALLATION_ID",
        description="the App's installation on the organisation",
    )
    github_api_url: str = Field(
        default=DEFAULT_GITHUB_API_URL,
        alias="GITHUB_API_URL",
        description="REST base URL; GitHub Enterprise: `https://HOST/api/v3/` (links then point at `https://HOST`)",
    )
    review_label: str = Field(
        default="cc-review-please",
        min_length=1,
        max_length=50,
        alias="CCBOT_REVIEW_LABEL",
        description="the label that asks a committer to review a pull request",
    )
    github_owners: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        alias="CCBOT_GITHUB_OWNERS",
        description="comma-separated organisations and `org/repo` whose owners `github_owners_sync` refreshes daily",
    )
    access_config: str = Field(
        default="access.yaml",
        min_length=1,
        alias="CCBOT_ACCESS_CONFIG",
        description="the mapping of commit grants to GitHub teams",
    )
    access_auto_apply: bool = Field(
        default=False,
        alias="CCBOT_ACCESS_AUTO_APPLY",
        description="`true`: the `access_drift` job applies the plan itself instead of only reporting it",
    )
    access_max_removals: int = Field(
        default=5,
        ge=0,
        le=10_000,
        alias="CCBOT_ACCESS_MAX_REMOVALS",
        description="default of `access apply --max-removals` and the limit of an automatic apply",
    )
    access_max_additions: int = Field(
        default=10,
        ge=0,
        le=10_000,
        alias="CCBOT_ACCESS_MAX_ADDITIONS",
        description="default of `access apply --max-additions` and the limit of an automatic apply",
    )
    access_notice_days: int = Field(
        default=7,
        ge=0,
        le=365,
        alias="CCBOT_ACCESS_NOTICE_DAYS",
        description="days between the notice of a removal (agreement ended, inactivity) and the removal",
    )
    cc_label: str = Field(
        default="core contributor",
        min_length=1,
        max_length=50,
        alias="CCBOT_CC_LABEL",
        description="the label added to pull requests active committers open or reopen on repositories they hold a grant for",
    )
    publish_target: str | None = Field(
        default=None,
        alias="CCBOT_PUBLISH_TARGET",
        description="`ORG/REPO:PATH` the weekly `public_page` job keeps the program's page current in, by pull request; unset: off",
    )
    publish_about: str = Field(
        default="publish/about.md",
        min_length=1,
        alias="CCBOT_PUBLISH_ABOUT",
        description="the admins' Markdown on how to become a core contributor, put on the public page",
    )

    @field_validator("publish_target", mode="before")
    @classmethod
    def _check_publish_target(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip() or None
            if value is not None and (not PUBLISH_TARGET.fullmatch(value) or ".." in value.split(":", 1)[1]):
                raise ValueError("must be ORG/REPO:PATH, like openedx/community:core-contributors")
        return value

    @field_validator("digest_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (like Europe/Paris or UTC)") from None
        return value

    @field_validator("expiry_reminder_days", mode="before")
    @classmethod
    def _parse_days(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            days = sorted({int(part) for part in value.split(",") if part.strip()}, reverse=True)
        except ValueError:
            raise ValueError("must be whole days before expiry, like 30,14,7,1") from None
        if not days or days[-1] < 1:
            raise ValueError("must be whole days before expiry, each at least 1, like 30,14,7,1")
        return tuple(days)

    @field_validator("renewal_individuals", "renewal_organizations", mode="before")
    @classmethod
    def _parse_month_day(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip().lower()
        if text in {"", "off", "none"}:
            return None
        match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", text)
        if not match:
            raise ValueError("must be a month and day like 01-05 (or off)")
        month, day = int(match[1]), int(match[2])
        try:
            dt.date(2028, month, day)  # a leap year, so 02-29 is accepted (it opens on 02-28 in other years)
        except ValueError:
            raise ValueError(f"{value.strip()!r} is not a month and day like 01-05") from None
        return (month, day)

    @field_validator("working_hours", mode="before")
    @classmethod
    def _parse_working_hours(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
        if not match:
            raise ValueError("must look like 09:00-17:00")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        try:
            start, end = dt.time(h1, m1), dt.time(h2, m2)
        except ValueError:
            raise ValueError("must hold two times of day, like 09:00-17:00") from None
        if start >= end:
            raise ValueError("the day must end after it starts, like 09:00-17:00")
        return (start, end)

    @field_validator("working_days", mode="before")
    @classmethod
    def _parse_working_days(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        days: set[int] = set()
        for part in value.lower().replace(" ", "").split(","):
            first, _, last = part.partition("-")
            if first not in DAY_NAMES or (last and last not in DAY_NAMES):
                raise ValueError("must name days like mon-fri or mon,tue,thu")
            start, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
            days.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)])
        return frozenset(days)

    @field_validator(
        "sla_normal", "sla_urgent", "escalation_ack_normal", "escalation_ack_urgent", mode="before"
    )
    @classmethod
    def _parse_duration(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        match = DURATION.fullmatch(value.strip())
        if not value.strip() or not match or not any(match.groupdict().values()):
            raise ValueError("must be a duration like 4h, 30m or 1h30m")
        return dt.timedelta(hours=float(match["h"] or 0), minutes=int(match["m"] or 0))

    @field_validator("response_target", mode="before")
    @classmethod
    def _parse_business_duration(cls, value: object) -> object:
        # Days are business days: kept as whole days here, made working days long by the policy.
        if not isinstance(value, str):
            return value
        match = BUSINESS_DURATION.fullmatch(value.strip())
        if not value.strip() or not match or not any(match.groupdict().values()):
            raise ValueError("must be a business duration like 1d, 4h, 30m or 1d4h")
        return dt.timedelta(
            days=int(match["d"] or 0), hours=float(match["h"] or 0), minutes=int(match["m"] or 0)
        )

    @field_validator(
        "sla_normal", "sla_urgent", "escalation_ack_normal", "escalation_ack_urgent", "response_target"
    )
    @classmethod
    def _check_duration(cls, value: dt.timedelta) -> dt.timedelta:
        if value <= dt.timedelta(0):
            raise ValueError("must be longer than zero")
        return value

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("admins")
    @classmethod
    def _check_admin_ids(cls, value: list[str]) -> list[str]:
        for user_id in value:
            if not SLACK_USER_ID.match(user_id):
                raise ValueError(f"{user_id!r} is not a Slack user id (like U012ABCDEF)")
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _check_bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _check_app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("github_owners", mode="before")
    @classmethod
    def _split_targets(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        targets = tuple(part.strip() for part in value.split(",") if part.strip())
        for target in targets:
            if not GITHUB_TARGET.match(target):
                raise ValueError(
                    f"{target!r} is not an organisation or org/repo (like openedx or openedx/XBlock)"
                )
        return targets

    @field_validator("github_app_id")
    @classmethod
    def _check_app_id(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().isdigit():
            raise ValueError("must be the GitHub App's numeric id")
        return value.strip() if value else value

    @field_validator("slack_api_url", "github_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url", mode="before")
    @classmethod
    def _check_database_url(cls, value: object) -> object:
        url = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(url, str):
            raise ValueError(f"not a database URL: {SUPPORTED_DATABASES}")
        problem = database_url_problem(url)
        if problem:
            raise ValueError(problem)
        return DatabaseUrl(url)

    @field_validator("coordination_channel", "management_channel", "digest_channel")
    @classmethod
    def _check_channel(cls, value: str | None) -> str | None:
        if value is not None and not SLACK_CHANNEL_ID.match(value):
            raise ValueError(f"{value!r} is not a Slack channel id (like C012ABCDEF)")
        return value

    @field_serializer("slack_api_url", "github_api_url")
    def _show_api_url(self, value: str) -> str:
        return display_url(value)

    @field_serializer("database_url", when_used="json")
    def _show_database_url(self, value: DatabaseUrl) -> str:
        return str(value)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # The API URLs are not secrets, but may carry a proxy's user-info: shown without it, like everywhere.
        for name, value in super().__repr_args__():
            yield name, display_url(value) if name in {"slack_api_url", "github_api_url"} else value

    def require(self, *fields: str) -> None:
        """Raise ConfigError naming the first of `fields` (attribute names) that is unset."""
        for name in fields:
            if not getattr(self, name):
                alias = type(self).model_fields[name].alias
                raise ConfigError(f"{alias} is not set: it is required for this command")

    @property
    def github_configured(self) -> bool:
        """Whether a GitHub token or GitHub App credentials are set, so ccbot may call GitHub's API."""
        return bool(self.github_token or self.github_app_id)

    @property
    def github_web_url(self) -> str:
        """Return the web address matching GITHUB_API_URL: github.com, GHE Cloud's or GHE Server's."""
        return github_web_url(self.github_api_url)

    @property
    def slack_configured(self) -> bool:
        """Whether a bot token is set, so ccbot may call Slack's Web API."""
        return bool(self.slack_bot_token)


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into a one-line ConfigError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "settings"
        alias = Settings.model_fields[field].alias if field in Settings.model_fields else field
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{alias}: {message}") from None


def shown_default(value: object) -> str:
    """Return a setting's default as it would be written in the environment (`—` for none)."""
    if value is None or value == () or value == []:
        return "—"
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.timedelta):
        # Whole days appear only in business durations (CCBOT_RESPONSE_TARGET), where a day is a working day.
        hours, rest = divmod(value.seconds // 60, 60)
        return f"{value.days}d" * bool(value.days) + f"{hours}h" * bool(hours) + f"{rest}m" * bool(rest)
    if isinstance(value, frozenset):
        days = sorted(value)
        if days == list(range(days[0], days[-1] + 1)):
            return f"{DAY_NAMES[days[0]]}-{DAY_NAMES[days[-1]]}"
        return ",".join(DAY_NAMES[day] for day in days)
    if isinstance(value, tuple) and all(isinstance(part, dt.time) for part in value):
        return "-".join(f"{part:%H:%M}" for part in value)
    if isinstance(value, tuple):
        return ",".join(str(part) for part in value)
    return str(value)


def environment_table() -> str:
    """Return the Markdown table of every environment variable: name, default and meaning, as the README has it."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for info in Settings.model_fields.values():
        default = info.get_default(call_default_factory=True)
        shown = shown_default(default)
        rows.append(f"| `{info.alias}` | {shown if shown == '—' else f'`{shown}`'} | {info.description} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python -m bot.settings --markdown  (prints the README's environment table)")
    sys.stdout.write(environment_table())
