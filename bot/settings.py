"""Settings read from the environment and `.env`, with one-line errors for bad values."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


class Settings(BaseSettings):
    """Every environment variable ccbot reads; names are fixed by the product contract."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default=DEFAULT_SLACK_API_URL, alias="SLACK_API_URL")
    database_url: str = Field(default="sqlite:///ccbot.db", alias="CCBOT_DATABASE_URL")
    webhook_secret: str | None = Field(default=None, alias="CCBOT_WEBHOOK_SECRET")
    coordination_channel: str | None = Field(default=None, alias="CCBOT_COORDINATION_CHANNEL")
    management_channel: str | None = Field(default=None, alias="CCBOT_MANAGEMENT_CHANNEL")
    digest_channel: str | None = Field(default=None, alias="CCBOT_DIGEST_CHANNEL")
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="CCBOT_ADMINS")
    port: int = Field(default=3000, ge=1, le=65535, alias="CCBOT_PORT")

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
    def _check_bot_token(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _check_app_token(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgres(ql)?)(\+\w+)?://", value):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("coordination_channel", "management_channel", "digest_channel")
    @classmethod
    def _check_channel(cls, value: str | None) -> str | None:
        if value is not None and not SLACK_CHANNEL_ID.match(value):
            raise ValueError(f"{value!r} is not a Slack channel id (like C012ABCDEF)")
        return value

    def require(self, *fields: str) -> None:
        """Raise ConfigError naming the first of `fields` (attribute names) that is unset."""
        for name in fields:
            if not getattr(self, name):
                alias = type(self).model_fields[name].alias
                raise ConfigError(f"{alias} is not set: it is required for this command")

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
