"""Redaction: a corpus of real-looking monitoring text, and generated secrets inside random text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.redaction import MARK, redact

CORPUS = [
    (
        "ERROR 2026-11-26T15:02:11Z IntegrityError for user_id=48213 (jane.doe@example.com) from 203.0.113.42",
        ["48213", "jane.doe@example.com", "203.0.113.42"],
    ),
    (
        "Sentry: KeyError 'grade' at /courses/course-v1:edX+DemoX+2026/progress?username=jdoe&email=j%40x.org "
        "client 2001:db8:85a3::8a2e:370:7334",
        ["username=jdoe", "j%40x.org", "2001:db8:85a3::8a2e:370:7334"],
    ),
    (
        "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N' "
        "https://lms.example.org/api/grades/v1/?page=2",
        ["eyJhbGciOiJIUzI1NiJ9", "dozjgNryP4J3jVmNHl0w5N", "page=2"],
    ),
    (
        "settings dump: SLACK_BOT_TOKEN=xoxb-1234567890-abcdefghijkl GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789 "
        "AWS AKIAIOSFODNN7EXAMPLE aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ["xoxb-1234567890", "ghp_abcdefghijklmnopqrstuvwxyz", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI"],
    ),
    (
        'payment failed: {"api_key": "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "password": "hunter2", "learner_id": 99812}',
        ["sk_live_4eC39HqLyjWDarjtT1zdp7dc", "hunter2", "99812"],
    ),
    (
        "celery task failed for User 7731 on host 10.0.12.7:8000 at 12:30:45; retrying (mailto:ops@edx.org)",
        ["7731", "10.0.12.7", "ops@edx.org"],
    ),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY----- loaded; key=abc123secret",
        ["MIIEowIBAAKCAQEA7", "abc123secret"],
    ),
]


@pytest.mark.parametrize(("text", "secrets"), CORPUS)
def test_nothing_sensitive_survives_the_corpus(text: str, secrets: list[str]) -> None:
    clean = redact(text)
    for secret in secrets:
        assert secret not in clean
    assert MARK in clean


def test_ordinary_text_is_left_alone() -> None:
    text = "Deploy of edx-platform PR #31337 at 12:30:45 failed on stage; see https://ci.example.org/runs/42"
    assert redact(text) == text


emails = st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,6})?@[a-z]{2,8}\.(org|com|io)", fullmatch=True)
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
tokens = st.one_of(
    st.from_regex(r"xox[bp]-[0-9]{10}-[A-Za-z0-9]{12}", fullmatch=True),
    st.from_regex(r"ghp_[A-Za-z0-9]{36}", fullmatch=True),
    st.from_regex(r"AKIA[0-9A-Z]{16}", fullmatch=True),
)
filler = st.text(
    alphabet=st.characters(whitelist_categories=("L", "N", "Zs"), max_codepoint=0x2FF), max_size=40
)


@given(before=filler, secret=st.one_of(emails, ipv4, tokens), after=filler)
def test_generated_secrets_never_survive(before: str, secret: str, after: str) -> None:
    clean = redact(f"{before} {secret} {after}")
    assert secret not in clean


@given(
    url=st.from_regex(
        r"https://[a-z]{3,10}\.example\.org/[a-z/]{0,20}\?[a-z]{1,8}=[A-Za-z0-9]{1,12}", fullmatch=True
    )
)
def test_query_strings_never_survive(url: str) -> None:
    query = url.split("?", 1)[1]
    assert query not in redact(f"GET {url} 500")
    assert re.search(r"\?\[redacted\]", redact(url))
