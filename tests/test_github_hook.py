"""POST /hooks/github: signatures, redelivery, unknown events, malformed, huge and deep bodies; fuzzed deliveries.

Deliveries go to the hook in-process; the signature matrix and the body limits also go over real HTTP.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.assembly import build_bot
from bot.github_hook import MAX_BODY, GitHubHook, sign
from bot.runtime import Runtime
from bot.settings import load_settings
from bot.slack_standin import SlackStandIn
from storage.db import upgrade
from storage.models import GitHubActivity, GitHubDelivery, ReviewAsk
from tests.conftest import GITHUB_SECRET, NOW, RunningBot, load_pilot, module_database

COORDINATION = "C0COORD01"


def account_id(login: str) -> int:
    """Return a stable GitHub account id for a login, as GitHub's payloads carry one."""
    return zlib.crc32(login.lower().encode()) or 1


def pr_payload(
    action: str,
    number: int = 4242,
    *,
    author: str = "ziafazal",
    repo: str = "openedx/edx-platform",
    merged_by: str | None = None,
    title: str = "Speed up the grades page",
    **extra: Any,
) -> dict[str, Any]:
    """Return a `pull_request` delivery body shaped like GitHub's (with fields ccbot does not read)."""
    merged = merged_by is not None
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "html_url": f"https://github.com/{repo}/pull/{number}",
            "title": title,
            "state": "closed" if merged else "open",
            "user": {"login": author, "id": account_id(author), "type": "User"},
            "merged": merged,
            "merged_at": extra.pop("merged_at", "2026-11-26T14:30:00Z") if merged else None,
            "merged_by": {"login": merged_by, "id": account_id(merged_by)} if merged_by else None,
            "head": {"ref": "feature", "sha": "abc123"},
            "base": {"ref": "master", "repo": {"full_name": repo}},
        },
        "repository": {"full_name": repo, "name": repo.split("/")[1], "private": False},
        "sender": {"login": extra.pop("sender", author)},
        **extra,
    }


def deliver(
    bot: RunningBot,
    event: str,
    payload: Any,
    *,
    delivery: str = "d-1",
    raw: bytes | None = None,
    secret: str = GITHUB_SECRET,
    headers: dict[str, str] | None = None,
    http: bool = False,
) -> httpx.Response:
    """Hand the hook a delivery signed the way GitHub signs it (in-process, or posted over HTTP with `http`)."""
    body = raw if raw is not None else json.dumps(payload).encode()
    all_headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": sign(secret, body),
        "User-Agent": "GitHub-Hookshot/test",
    }
    if headers is not None:
        all_headers.update(headers)
        all_headers = {k: v for k, v in all_headers.items() if v}
    if http:
        return httpx.post(f"{bot.url}/hooks/github", content=body, headers=all_headers, timeout=10)
    # As the server hands them over: header names in lower case.
    answer = GitHubHook(bot.runtime).handle({k.lower(): v for k, v in all_headers.items()}, body)
    return httpx.Response(answer.status, json=answer.body)


def _rows(bot: RunningBot, model: type) -> list[Any]:
    with bot.runtime.session_factory() as session:
        return list(session.exec(select(model)).all())


MERGED = pr_payload("closed", merged_by="ziafazal")


BAD_SIGNATURES = {
    "missing": ({"X-Hub-Signature-256": ""}, "missing X-Hub-Signature-256"),
    "wrong-secret": (
        {"X-Hub-Signature-256": sign("another-secret", json.dumps(MERGED).encode())},
        "does not match",
    ),
    "other-body": ({"X-Hub-Signature-256": sign(GITHUB_SECRET, b"{}")}, "does not match"),
    "no-prefix": (
        {"X-Hub-Signature-256": sign(GITHUB_SECRET, json.dumps(MERGED).encode()).removeprefix("sha256=")},
        "does not match",
    ),
    "sha1-only": (
        {"X-Hub-Signature-256": "", "X-Hub-Signature": "sha1=0123456789abcdef"},
        "missing X-Hub-Signature-256",
    ),
    "uppercase-hex": (
        {"X-Hub-Signature-256": sign(GITHUB_SECRET, json.dumps(MERGED).encode()).upper()},
        "does not match",
    ),
}


def test_bad_signatures_get_401_and_change_nothing(bot: RunningBot) -> None:
    for name, (headers, why) in BAD_SIGNATURES.items():
        response = deliver(bot, "pull_request", MERGED, headers=headers, http=True)
        assert response.status_code == 401, name
        assert why in response.json()["error"], name
    assert _rows(bot, GitHubDelivery) == []
    assert bot.slack.messages() == []


def test_ping_is_answered_and_unused_events_are_ignored_politely(bot: RunningBot) -> None:
    assert deliver(bot, "ping", {"zen": "Keep it logically awesome.", "hook_id": 1}).json() == {
        "status": "pong"
    }
    issues = deliver(bot, "issues", {"action": "opened", "issue": {"number": 1}}, delivery="d-2")
    assert issues.status_code == 200
    assert issues.json() == {"status": "ignored", "reason": "issues.opened is not something ccbot acts on"}
    # `opened` is used now (the core-contributor label); a push to a pull request is not.
    pushed = deliver(bot, "pull_request", pr_payload("synchronize"), delivery="d-3")
    assert pushed.status_code == 200
    assert pushed.json()["status"] == "ignored"
    hostile = deliver(bot, "pull_request", {"action": "<!channel> " * 20}, delivery="d-4")
    assert hostile.status_code == 200
    assert "channel" not in hostile.text
    assert _rows(bot, GitHubDelivery) == []
    assert bot.slack.messages() == []


def test_control_characters_are_removed_before_a_delivery_is_read_on_either_database(bot: RunningBot) -> None:
    labeled = pr_payload(
        "labeled", label={"name": "cc-review-please"}, title="Speed\x00 up \ud800the grades\x1b page"
    )
    answer = deliver(bot, "pull_request", labeled, delivery="nul-1")
    assert answer.status_code == 200, answer.text
    assert answer.json()["sent"] == 1
    [dm] = [m for m in bot.slack.messages() if "grades" in m["text"] + json.dumps(m["blocks"])]
    assert "Speed up the grades page" in json.dumps(dm["blocks"])


def test_a_merge_is_told_once_and_a_redelivery_changes_nothing(bot: RunningBot) -> None:
    first = deliver(bot, "pull_request", MERGED, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "accepted"
    again = deliver(bot, "pull_request", MERGED, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert len(bot.slack.messages(COORDINATION)) == 1
    assert len(_rows(bot, GitHubDelivery)) == 1
    activity = _rows(bot, GitHubActivity)
    assert sorted(a.kind for a in activity) == ["authored", "merged"]


def test_a_captured_delivery_replayed_under_a_fresh_id_changes_nothing(bot: RunningBot) -> None:
    assert deliver(bot, "pull_request", MERGED, delivery="d-original").json()["status"] == "accepted"
    replay = deliver(bot, "pull_request", MERGED, delivery="d-forged-fresh-id")
    assert replay.status_code == 200
    assert replay.json()["status"] == "duplicate", "the id is not signed; the signed body is the same"
    assert len(bot.slack.messages(COORDINATION)) == 1


# Shapes of GitHub's documented deliveries for events ccbot does not act on (fields trimmed, kept as sent).
PROJECTS_V2_ITEM = {
    "action": "edited",
    "projects_v2_item": {
        "id": 74806,
        "node_id": "PVTI_lADOBgB6Hs4AAlW7zgABJDY",
        "project_node_id": "PVT_kwDOBgB6Hs4AAlW7",
        "content_node_id": "I_kwDOHzXU6c5Q5fVk",
        "content_type": "Issue",
        "creator": {"login": "octocat", "id": 1, "type": "User"},
        "created_at": "2022-10-17T16:15:57Z",
        "updated_at": "2022-10-17T16:16:21Z",
        "archived_at": None,
    },
    "changes": {
        "field_value": {"field_node_id": "PVTSSF_lADOBgB6Hs4AAlW7zgAW6Mg", "field_type": "single_select"}
    },
    "organization": {"login": "openedx", "id": 40179672},
    "sender": {"login": "octocat", "id": 1, "type": "User"},
    "installation": {"id": 2, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMg=="},
}
MERGE_GROUP = {
    "action": "checks_requested",
    "merge_group": {
        "head_sha": "8e4c8c4f9e0b8f1c5d2ad3b6e1f0a9c7d6b5e4f3",
        "head_ref": "refs/heads/gh-readonly-queue/master/pr-4242-0cd0b1f4d2d1b6a7c3e4f5a6b7c8d9e0f1a2b3c4",
        "base_sha": "0cd0b1f4d2d1b6a7c3e4f5a6b7c8d9e0f1a2b3c4",
        "base_ref": "refs/heads/master",
        "head_commit": {
            "id": "8e4c8c4f9e0b8f1c5d2ad3b6e1f0a9c7d6b5e4f3",
            "message": "Merge pull request #4242",
        },
    },
    "repository": {"full_name": "openedx/edx-platform", "name": "edx-platform", "private": False},
    "organization": {"login": "openedx", "id": 40179672},
    "sender": {"login": "github-merge-queue[bot]", "id": 118344674, "type": "Bot"},
}


@pytest.mark.parametrize(
    ("event", "payload", "what"),
    [
        ("projects_v2_item", PROJECTS_V2_ITEM, "projects_v2_item.edited"),
        ("projects_v2", {**PROJECTS_V2_ITEM, "action": "closed"}, "projects_v2.closed"),
        ("merge_group", MERGE_GROUP, "merge_group.checks_requested"),
        ("secret_scanning_alert_location", {"action": "created"}, "secret_scanning_alert_location.created"),
    ],
)
def test_events_named_with_a_digit_or_at_length_are_ignored_not_refused(
    bot: RunningBot, event: str, payload: dict[str, Any], what: str
) -> None:
    response = deliver(bot, event, payload, delivery="e-1")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ignored", "reason": f"{what} is not something ccbot acts on"}
    assert _rows(bot, GitHubDelivery) == []


@pytest.mark.parametrize("event", ["", "Pull Request!", "pull_request\n", "../ping", "PING", "2fa", "x" * 65])
def test_event_names_github_never_sends_are_still_refused(bot: RunningBot, event: str) -> None:
    response = deliver(bot, event, MERGED, headers={"X-GitHub-Event": event})
    assert response.status_code == 400
    assert response.json() == {"error": "missing or malformed X-GitHub-Event"}


def test_a_title_with_control_characters_is_recorded_without_them_on_every_database(bot: RunningBot) -> None:
    # A NUL is valid JSON (\u0000) and GitHub sends the title as typed; PostgreSQL refuses NUL in text.
    title = "Fix grades\u0000 crash\u0007 on \u001b[31mPython 3.12\u0085"
    payload = pr_payload("closed", merged_by="ziafazal", title=title)
    body = json.dumps(payload).encode()
    assert b"\\u0000" in body
    first = deliver(bot, "pull_request", payload, delivery="nul-1")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "accepted"
    again = deliver(bot, "pull_request", payload, delivery="nul-1")
    assert again.json()["status"] == "duplicate"
    assert sorted(a.kind for a in _rows(bot, GitHubActivity)) == ["authored", "merged"]
    [post] = bot.slack.messages(COORDINATION)
    assert "Fix grades crash on [31mPython 3.12" in post["text"]
    assert not any(char in post["text"] for char in "\x00\x07\x1b\x85")


def test_a_label_and_title_with_a_nul_are_stored_without_it(bot: RunningBot) -> None:
    payload = pr_payload("labeled", title="Needs\u0000 review", label={"name": "cc-review-please\u0000"})
    response = deliver(bot, "pull_request", payload, delivery="nul-2")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"
    [ask] = _rows(bot, ReviewAsk)
    assert ask.title == "Needs review"


@pytest.mark.parametrize(
    ("where", "login", "problem"),
    [
        ("merged_by", "dou--ble", "it has two hyphens in a row"),
        ("merged_by", "trailing-", "it ends with a hyphen"),
        ("user", "x" * 40, "it is 40 characters long"),
        ("user", "<!channel>", "it contains '<'"),
    ],
)
def test_a_login_github_would_not_allow_is_refused_naming_the_field(
    bot: RunningBot, where: str, login: str, problem: str
) -> None:
    payload = pr_payload("closed", merged_by="ziafazal")
    payload["pull_request"][where] = {"login": login, "id": 7, "type": "User"}
    response = deliver(bot, "pull_request", payload)
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"pull_request.{where}.login: not a GitHub handle: {problem}")
    assert _rows(bot, GitHubDelivery) == []


def test_an_apps_account_is_a_login_in_a_delivery(bot: RunningBot) -> None:
    payload = pr_payload("closed", merged_by="ziafazal", sender="github-merge-queue[bot]")
    payload["pull_request"]["user"] = {"login": "dependabot[bot]", "id": 49699333, "type": "Bot"}
    response = deliver(bot, "pull_request", payload)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"


def _deep(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


MALFORMED = [
    ("pull_request", b"{not json", {}, "not JSON"),
    ("pull_request", b"\xff\xfe\x00", {}, "not JSON"),
    ("pull_request", b"[1, 2, 3]", {}, "not a JSON object"),
    ("pull_request", b"[" * 200_000 + b"]" * 200_000, {}, "not JSON"),
    ("pull_request", _deep(100_000), {}, "not JSON"),
    (
        "pull_request",
        json.dumps({"action": "closed", "pull_request": {"number": "x"}}).encode(),
        {},
        "pull_request.number",
    ),
    (
        "pull_request",
        json.dumps({"action": "closed", "pull_request": [], "repository": {}}).encode(),
        {},
        "pull_request",
    ),
    (
        "pull_request",
        json.dumps(pr_payload("closed", merged_by="ziafazal", repo="../../etc")).encode(),
        {},
        "repository.full_name",
    ),
    ("pull_request", json.dumps(MERGED).encode(), {"X-GitHub-Delivery": ""}, "X-GitHub-Delivery"),
    ("Pull Request!", json.dumps(MERGED).encode(), {}, "X-GitHub-Event"),
    (
        "pull_request",
        b"payload=%7Bbroken",
        {"Content-Type": "application/x-www-form-urlencoded"},
        "not JSON",
    ),
]


def test_malformed_deliveries_get_400_never_500_and_change_nothing(bot: RunningBot) -> None:
    for number, (event, raw, headers, error) in enumerate(MALFORMED):
        response = deliver(bot, event, None, raw=raw, headers=headers, delivery=f"bad-{number}")
        assert response.status_code == 400, (number, response.text)
        assert error in response.json()["error"], number
    assert _rows(bot, GitHubDelivery) == []
    assert bot.slack.messages() == []


def test_deep_nesting_in_fields_ccbot_does_not_read_is_fine(bot: RunningBot) -> None:
    payload = dict(MERGED)
    body = json.dumps(payload).encode()
    # 900 levels: as deep as a JSON parser takes, inside a field that is never read.
    body = body[:-1] + b', "extra": ' + _deep(900) + b"}"
    response = deliver(bot, "pull_request", None, raw=body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"


def test_a_form_encoded_delivery_is_read_like_json(bot: RunningBot) -> None:
    from urllib.parse import urlencode

    body = urlencode({"payload": json.dumps(MERGED)}).encode()
    response = deliver(
        bot, "pull_request", None, raw=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"


def test_a_huge_body_is_refused_with_413_whether_announced_or_streamed(bot: RunningBot) -> None:
    big = b'{"action": "closed", "pad": "' + b"x" * (MAX_BODY + 10) + b'"}'
    announced = deliver(bot, "pull_request", None, raw=big, http=True)
    assert announced.status_code == 413
    assert deliver(bot, "pull_request", None, raw=big).status_code == 413

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    streamed = httpx.post(
        f"{bot.url}/hooks/github",
        content=chunks(),
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": "d-big",
            "X-Hub-Signature-256": sign(GITHUB_SECRET, big),
        },
        timeout=10,
    )
    assert streamed.status_code == 413
    assert _rows(bot, GitHubDelivery) == []


def test_without_a_secret_the_endpoint_says_it_is_not_configured(bot: RunningBot) -> None:
    bot.runtime.settings = bot.runtime.settings.model_copy(update={"github_webhook_secret": None})
    response = deliver(bot, "pull_request", MERGED)
    assert response.status_code == 503
    assert "CCBOT_GITHUB_WEBHOOK_SECRET" in response.json()["error"]


NASTY = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "<!channel>",
            "<@U0PILOT01>",
            "<https://evil.example|x>",
            "ziafazal",
            "regisb",
            "a" * 3000,
            "a title\x00 with a NUL",  # PostgreSQL refuses NUL in text
            "\ud800 a lone surrogate",  # valid JSON (\ud800), not valid UTF-8
            "bell\x07 and escape\x1b[31m",
        ]
    ),
    st.integers(),
    st.none(),
    st.booleans(),
)
LOGINS = st.one_of(st.sampled_from(["ziafazal", "bradenmacdonald", "regisb", "nobody-here"]), NASTY)
DELIVERIES = st.fixed_dictionaries(
    {
        "action": st.sampled_from(["closed", "labeled", "review_requested", "submitted", "opened"]),
        "pull_request": st.fixed_dictionaries(
            {"number": st.one_of(st.integers(min_value=-5, max_value=10**10), NASTY), "title": NASTY},
            optional={
                "merged": NASTY,
                "merged_at": st.one_of(NASTY, st.just("2026-11-26T04:00:00Z")),
                "state": st.sampled_from(["open", "closed"]),
                "user": st.fixed_dictionaries({"login": LOGINS}),
                "merged_by": st.one_of(st.none(), st.fixed_dictionaries({"login": LOGINS})),
            },
        ),
        "repository": st.fixed_dictionaries({"full_name": st.one_of(st.just("openedx/edx-platform"), NASTY)}),
    },
    optional={
        "label": st.fixed_dictionaries({"name": st.one_of(st.just("cc-review-please"), NASTY)}),
        "requested_reviewer": st.one_of(st.none(), st.fixed_dictionaries({"login": LOGINS})),
        "review": st.fixed_dictionaries({"user": st.fixed_dictionaries({"login": LOGINS})}),
    },
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hook_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GitHubHook, Runtime, SlackStandIn]]:
    """A GitHub hook on the pilot roster, called in-process, for fuzzing (on SQLite and on PostgreSQL)."""
    slack = SlackStandIn().start()
    configured = load_settings(
        SLACK_BOT_TOKEN="xoxb-fuzz",
        SLACK_API_URL=slack.url,
        CCBOT_DATABASE_URL=module_database(request, tmp_path_factory.mktemp("ghfuzz")),
        CCBOT_COORDINATION_CHANNEL="C0COORD01",
        CCBOT_GITHUB_WEBHOOK_SECRET=GITHUB_SECRET,
    )
    built = build_bot(configured, clock=lambda: NOW)
    upgrade(built.runtime.engine)
    with built.runtime.session_factory() as session:
        load_pilot(session)
    yield GitHubHook(built.runtime), built.runtime, slack
    slack.stop()
    built.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=DELIVERIES,
    event=st.sampled_from(["pull_request", "pull_request_review"]),
    n=st.integers(0, 10**9),
)
def test_any_signed_delivery_gets_200_or_400_and_nothing_unescaped_reaches_slack(
    hook_world: tuple[GitHubHook, Runtime, SlackStandIn], payload: dict[str, Any], event: str, n: int
) -> None:
    hook, runtime, slack = hook_world
    body = json.dumps(payload).encode()
    headers = {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": f"fuzz-{n}",
        "x-hub-signature-256": sign(GITHUB_SECRET, body),
    }
    with runtime.session_factory() as session:
        before = len(session.exec(select(GitHubDelivery)).all())
    answer = hook.handle(headers, body)
    assert answer.status in {200, 400}, answer.body
    with runtime.session_factory() as session:
        after = len(session.exec(select(GitHubDelivery)).all())
    if answer.status == 400:
        assert answer.body["error"]
        assert after == before
    for message in slack.messages():
        for text in (message["text"], json.dumps(message["blocks"])):
            assert "<!channel>" not in text
            assert "<https://evil" not in text
