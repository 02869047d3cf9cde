"""Settings: secrets are held masked (printing the settings never shows one), and the GitHub web address
that PR links use, from GITHUB_API_URL."""

from __future__ import annotations

import pytest

from bot.settings import ConfigError, display_url, load_settings

# Each secret ccbot reads, with a value no other text holds.
SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-settings-Sekr1t-bot",
    "SLACK_SIGNING_SECRET": "signing-Sekr1t-0f9e8d",
    "SLACK_APP_TOKEN": "xapp-settings-Sekr1t-app",
    "CCBOT_WEBHOOK_SECRET": "webhook-Sekr1t-7a6b5c",
    "CCBOT_GITHUB_WEBHOOK_SECRET": "gh-webhook-Sekr1t-4d3c",
    "CCBOT_GITHUB_TOKEN": "ghp_settingsSekr1ttoken0123456789abcdef",
    "CCBOT_GITHUB_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nPrivate-Sekr1t-key\n-----END RSA PRIVATE KEY-----",
}
DATABASE_URL = "postgresql://ccbot:Db-Sekr1t-pw@db.internal:5432/ccbot"
GITHUB_API_URL = "https://proxy-user:Url-Sekr1t-pw@ghe.example.org/api/v3/"


def test_printing_the_settings_shows_no_secret_and_no_password() -> None:
    settings = load_settings(**SECRETS, CCBOT_DATABASE_URL=DATABASE_URL, GITHUB_API_URL=GITHUB_API_URL)
    for shown in (repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump())):
        assert "Sekr1t" not in shown, shown
        assert "proxy-user" not in shown, shown
    # What the operator needs to recognise the deployment stays readable.
    assert "db.internal:5432/ccbot" in repr(settings)
    assert "ghe.example.org/api/v3/" in repr(settings)


def test_each_secret_is_read_where_it_is_used() -> None:
    settings = load_settings(**SECRETS, CCBOT_DATABASE_URL=DATABASE_URL)
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == SECRETS["SLACK_BOT_TOKEN"]
    assert settings.github_private_key is not None
    assert settings.github_private_key.get_secret_value() == SECRETS["CCBOT_GITHUB_PRIVATE_KEY"]
    assert settings.database_url.get_secret_value() == DATABASE_URL
    assert str(settings.database_url) == "postgresql://db.internal:5432/ccbot"
    assert load_settings().database_url.get_secret_value() == "sqlite:///ccbot.db"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-Sekr1t", "SLACK_BOT_TOKEN: must be a bot token starting with xoxb-"),
        ("SLACK_APP_TOKEN", "xoxb-Sekr1t", "SLACK_APP_TOKEN: must be an app-level token starting with xapp-"),
        (
            "CCBOT_DATABASE_URL",
            "mysql://root:Sekr1t@db/ccbot",
            "CCBOT_DATABASE_URL: mysql:// databases are not supported: use sqlite:///PATH or "
            "postgresql://USER:PASSWORD@HOST/DB (postgresql+psycopg:// is the same)",
        ),
    ],
)
def test_a_malformed_secret_is_named_never_shown(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(**{name: value})
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@ghe.example.org/api/v3/", "https://ghe.example.org/api/v3/"),
        ("https://token@ghe.example.org:8443/api/v3/", "https://ghe.example.org:8443/api/v3/"),
        (
            "postgresql+psycopg://app:p%40ss@[2001:db8::1]:5432/ccbot",
            "postgresql+psycopg://[2001:db8::1]:5432/ccbot",
        ),
        ("sqlite:///var/lib/ccbot/ccbot.db", "sqlite:///var/lib/ccbot/ccbot.db"),
        ("https://slack.com/api/", "https://slack.com/api/"),
        ("postgresql://a:b@c@db/x", "postgresql://db/x"),
    ],
)
def test_urls_are_shown_without_their_user_info(url: str, shown: str) -> None:
    assert display_url(url) == shown


@pytest.mark.parametrize(
    ("api_url", "web_url"),
    [
        # github.com (the default), with or without the trailing slash
        ("https://api.github.com", "https://github.com"),
        ("https://api.github.com/", "https://github.com"),
        # GitHub Enterprise Cloud with data residency: api.SUBDOMAIN.ghe.com
        ("https://api.octocorp.ghe.com", "https://octocorp.ghe.com"),
        ("https://api.octocorp.ghe.com/", "https://octocorp.ghe.com"),
        ("https://API.Octo-Corp.GHE.com/", "https://octo-corp.ghe.com"),
        # GitHub Enterprise Server: HOST/api/v3, the port kept, credentials never
        ("https://github.example.org/api/v3", "https://github.example.org"),
        ("https://github.example.org/api/v3/", "https://github.example.org"),
        ("http://ghes.internal:8443/api/v3/", "http://ghes.internal:8443"),
        ("https://user:secret@github.example.org/api/v3", "https://github.example.org"),
    ],
)
def test_the_web_address_matches_the_api_address(api_url: str, web_url: str) -> None:
    settings = load_settings(GITHUB_API_URL=api_url)
    assert settings.github_web_url == web_url


def test_an_address_that_is_none_of_githubs_forms_keeps_github_com() -> None:
    # The tests' and the console's stand-in: its pull request links still name github.com.
    assert load_settings(GITHUB_API_URL="http://127.0.0.1:8123/").github_web_url == "https://github.com"
    assert load_settings(GITHUB_API_URL="https://api.ghe.com/").github_web_url == "https://github.com"


@pytest.mark.parametrize(
    ("value", "hours", "business"),
    [
        ("1d", "09:00-17:00", 8.0),
        ("2d4h", "09:00-17:00", 20.0),
        ("1d", "10:00-16:00", 6.0),
        ("4h", "09:00-17:00", 4.0),
        ("1d30m", "09:00-17:00", 8.5),
    ],
)
def test_the_response_target_is_business_time(value: str, hours: str, business: float) -> None:
    import datetime as dt

    from bot.assembly import build_policy

    settings = load_settings(CCBOT_RESPONSE_TARGET=value, CCBOT_WORKING_HOURS=hours)
    assert build_policy(settings).response_target == dt.timedelta(hours=business)


def test_the_response_target_and_the_nudge_cap_default_and_refuse_nonsense() -> None:
    import datetime as dt

    from bot.assembly import build_policy

    policy = build_policy(load_settings())
    assert (policy.response_target, policy.sla.daily_nudge_cap) == (dt.timedelta(hours=8), 5)
    assert build_policy(load_settings(CCBOT_NUDGE_DAILY_CAP="2")).sla.daily_nudge_cap == 2
    for bad in ("soon", "0d", "-1d", "1w"):
        with pytest.raises(ConfigError, match="CCBOT_RESPONSE_TARGET"):
            load_settings(CCBOT_RESPONSE_TARGET=bad)
    with pytest.raises(ConfigError, match="CCBOT_NUDGE_DAILY_CAP"):
        load_settings(CCBOT_NUDGE_DAILY_CAP="0")
