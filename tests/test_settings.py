"""Settings derived from the environment: the GitHub web address that PR links use, from GITHUB_API_URL."""

from __future__ import annotations

import pytest

from bot.settings import load_settings


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
