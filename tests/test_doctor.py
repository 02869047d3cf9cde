"""`ccbot doctor` against the Slack stand-in over real HTTP: token, scopes, channels, secrets, database, GitHub."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.doctor import CheckResult, Deployment, Status, diagnose, manifest_scopes, run_checks
from bot.github_standin import GitHubStandIn, app_key_pair
from bot.settings import Settings, load_settings
from bot.slack_standin import DEFAULT_SCOPES, SlackStandIn
from storage.db import make_engine, make_session_factory, upgrade
from storage.roster import get_person_by_github
from tests.conftest import ROOT, WEBHOOK_SECRET, _free_socket, load_pilot
from tests.slack_requests import SIGNING_SECRET

MANIFEST = ROOT / "app_manifest.yml"
CHANNELS = {
    "CCBOT_COORDINATION_CHANNEL": ("C0COORD01", "cc-coordination"),
    "CCBOT_MANAGEMENT_CHANNEL": ("C0MANAG01", "cc-management"),
    "CCBOT_DIGEST_CHANNEL": ("C0DIGEST1", "cc-digest"),
}
runner = CliRunner()


@pytest.fixture
def deployment(slack: SlackStandIn, tmp_path: Path, sqlite_template: Path) -> dict[str, str]:
    """Settings of a healthy deployment: the stand-in knows every channel, with the bot in each."""
    database = tmp_path / "doctor.db"
    database.write_bytes(sqlite_template.read_bytes())
    settings = {
        "SLACK_BOT_TOKEN": "xoxb-doctor",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "CCBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CCBOT_DATABASE_URL": f"sqlite:///{database}",
    }
    for alias, (channel_id, name) in CHANNELS.items():
        slack.add_channel(channel_id, name)
        settings[alias] = channel_id
    return settings


def _diagnose(values: dict[str, str], **changes: str | None) -> list[CheckResult]:
    merged = {key: value for key, value in {**values, **changes}.items() if value is not None}
    return diagnose(Settings.model_validate(merged), manifest=MANIFEST)


def _lines(results: list[CheckResult], status: Status) -> list[str]:
    return [result.line() for result in results if result.status is status]


def test_a_healthy_deployment_passes_every_check(deployment: dict[str, str]) -> None:
    results = _diagnose(deployment)
    assert _lines(results, Status.PROBLEM) == []
    passed = "\n".join(_lines(results, Status.OK))
    assert "✔ Slack token: works for @ccbot (U0CCBOT00) in ccbot (T0CCBOT00)" in passed
    assert f"✔ Slack scopes: the token holds all {len(manifest_scopes(MANIFEST))} scopes" in passed
    assert "✔ CCBOT_MANAGEMENT_CHANNEL C0MANAG01 (#cc-management): exists and the bot is a member" in passed
    assert "✔ SLACK_SIGNING_SECRET is set" in passed
    assert "✔ CCBOT_WEBHOOK_SECRET is set" in passed
    assert "✔ database: answers and is at the newest migration" in passed


def test_missing_scopes_and_a_channel_without_the_bot_are_named_with_what_to_do(
    deployment: dict[str, str], slack: SlackStandIn
) -> None:
    slack.grant_scopes(DEFAULT_SCOPES - {"files:write", "users:read.email"})
    slack.add_channel("C0MANAG01", "cc-management", member=False)
    problems = _lines(_diagnose(deployment), Status.PROBLEM)
    assert problems == [
        "✘ Slack scopes: the token lacks files:write, users:read.email → add them under OAuth & Permissions "
        "(or update the app from app_manifest.yml), reinstall the app to the workspace, and update "
        "SLACK_BOT_TOKEN if it changed",
        "✘ CCBOT_MANAGEMENT_CHANNEL C0MANAG01 (#cc-management): the bot is not a member → invite it: "
        "/invite @ccbot in #cc-management",
    ]
    asked = [call.args["channel"] for call in slack.calls("conversations.info")]
    assert sorted(asked) == sorted(channel for channel, _ in CHANNELS.values())


def test_a_channel_slack_does_not_know_and_a_token_that_cannot_look_channels_up(
    deployment: dict[str, str], slack: SlackStandIn
) -> None:
    problems = _lines(_diagnose(deployment, CCBOT_DIGEST_CHANNEL="C0GONE001"), Status.PROBLEM)
    assert len(problems) == 1
    assert problems[0].startswith(
        "✘ CCBOT_DIGEST_CHANNEL C0GONE001: no such channel the bot can see → check the id"
    )
    slack.grant_scopes(DEFAULT_SCOPES - {"channels:read", "groups:read"})
    problems = _lines(_diagnose(deployment), Status.PROBLEM)
    assert "lacks channels:read, groups:read" in problems[0]
    assert all("may not look channels up (missing_scope)" in line for line in problems[1:])
    assert len(problems) == 4


def test_a_refused_token_says_so_and_the_checks_that_need_it_are_skipped(
    deployment: dict[str, str], slack: SlackStandIn
) -> None:
    slack.refuse_token("xoxb-doctor")
    results = _diagnose(deployment)
    problems = _lines(results, Status.PROBLEM)
    assert len(problems) == 1
    assert problems[0].startswith(
        "✘ Slack token: Slack refused SLACK_BOT_TOKEN (invalid_auth) → check the token"
    )
    skipped = _lines(results, Status.SKIPPED)
    assert "· Slack scopes: not checked → the bot token does not work (see above)" in skipped
    assert sum("not checked" in line for line in skipped) == 4
    assert slack.calls("conversations.info") == []


def test_an_unreachable_slack_and_an_unset_token(deployment: dict[str, str]) -> None:
    sock = _free_socket()  # bound but not listening: connections are refused at once
    try:
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/api/"
        problems = _lines(_diagnose(deployment, SLACK_API_URL=closed), Status.PROBLEM)
    finally:
        sock.close()
    assert problems == [
        f"✘ Slack token: cannot reach Slack at {closed} ([Errno 111] Connection refused) → check SLACK_API_URL, "
        "the network and any proxy between this host and Slack"
    ]
    problems = _lines(_diagnose(deployment, SLACK_BOT_TOKEN=None), Status.PROBLEM)
    assert problems == [
        "✘ Slack token: SLACK_BOT_TOKEN is not set → set it to the Bot User OAuth Token (xoxb-...) "
        "from the app's OAuth & Permissions page"
    ]


def test_secrets_unset_or_too_short(deployment: dict[str, str]) -> None:
    problems = _lines(
        _diagnose(deployment, SLACK_SIGNING_SECRET=None, CCBOT_WEBHOOK_SECRET=None), Status.PROBLEM
    )
    assert [line.split(" → ")[0] for line in problems] == [
        "✘ SLACK_SIGNING_SECRET is not set: requests from Slack cannot be verified",
        "✘ CCBOT_WEBHOOK_SECRET is not set: /hooks/deployments refuses every deployment notice",
    ]
    short = _lines(_diagnose(deployment, CCBOT_WEBHOOK_SECRET="hunter2"), Status.PROBLEM)
    assert short == [
        "✘ CCBOT_WEBHOOK_SECRET is only 7 characters: easy to guess → use at least 16 random characters "
        "(`openssl rand -hex 32`)"
    ]
    socket_mode = _diagnose(deployment, SLACK_SIGNING_SECRET=None, SLACK_APP_TOKEN="xapp-1-socket")
    assert _lines(socket_mode, Status.PROBLEM) == []


def test_a_database_behind_unmigrated_or_unreachable(deployment: dict[str, str], tmp_path: Path) -> None:
    behind = tmp_path / "behind.db"
    upgrade(make_engine(f"sqlite:///{behind}"), "0006")
    problems = _lines(_diagnose(deployment, CCBOT_DATABASE_URL=f"sqlite:///{behind}"), Status.PROBLEM)
    assert len(problems) == 1
    assert problems[0].startswith("✘ database: at revision 0006, the code needs ")
    assert problems[0].endswith("→ run `ccbot db upgrade`")
    empty = tmp_path / "empty.db"
    make_engine(f"sqlite:///{empty}").connect().close()
    fresh = _lines(_diagnose(deployment, CCBOT_DATABASE_URL=f"sqlite:///{empty}"), Status.PROBLEM)
    assert fresh == ["✘ database: answers but was never migrated → run `ccbot db upgrade`"]
    missing = _lines(
        _diagnose(deployment, CCBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'new.db'}"), Status.PROBLEM
    )
    assert missing == [
        f"✘ database: {tmp_path / 'new.db'} does not exist → point CCBOT_DATABASE_URL at the bot's database, "
        "or create it with `ccbot db upgrade`"
    ]
    assert not (tmp_path / "new.db").exists()
    sock = _free_socket()
    try:
        url = f"postgresql://ccbot@127.0.0.1:{sock.getsockname()[1]}/ccbot"
        down = _lines(_diagnose(deployment, CCBOT_DATABASE_URL=url), Status.PROBLEM)
    finally:
        sock.close()
    assert len(down) == 1
    assert down[0].startswith("✘ database: cannot reach it (OperationalError: connection failed")
    assert down[0].endswith("→ check CCBOT_DATABASE_URL and that the server is up")


def test_github_token_form(deployment: dict[str, str]) -> None:
    skipped = _lines(_diagnose(deployment), Status.SKIPPED)
    assert skipped[-1] == "· GitHub: not configured (CCBOT_GITHUB_TOKEN is not set)"
    assert skipped[-2].startswith("· CCBOT_GITHUB_WEBHOOK_SECRET is not set: /hooks/github refuses")
    bad = _lines(_diagnose(deployment, CCBOT_GITHUB_TOKEN="my-password"), Status.PROBLEM)
    assert bad == [
        "✘ GitHub: CCBOT_GITHUB_TOKEN does not look like a GitHub token → use a fine-grained (github_pat_...) "
        "or classic (ghp_...) token, or an installation token (ghs_...)"
    ]
    short = _lines(_diagnose(deployment, CCBOT_GITHUB_WEBHOOK_SECRET="abc"), Status.PROBLEM)
    assert short == [
        "✘ CCBOT_GITHUB_WEBHOOK_SECRET is only 3 characters: easy to guess → use at least 16 random "
        "characters (`openssl rand -hex 32`)"
    ]


GOOD_TOKEN = "ghp_" + "a1B2" * 9


def _github_line(results: list[CheckResult]) -> str:
    return next(result.line() for result in results if result.what.startswith("GitHub"))


def test_a_working_github_token_is_checked_against_github_api_url(deployment: dict[str, str]) -> None:
    github = GitHubStandIn(token=GOOD_TOKEN).start()
    try:
        results = _diagnose(
            deployment,
            CCBOT_GITHUB_TOKEN=GOOD_TOKEN,
            GITHUB_API_URL=github.url,
            CCBOT_GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        assert _lines(results, Status.PROBLEM) == []
        assert "✔ CCBOT_GITHUB_WEBHOOK_SECRET is set" in _lines(results, Status.OK)
        assert (
            _github_line(results) == f"✔ GitHub: CCBOT_GITHUB_TOKEN works at {github.url} as @ccbot-standin"
        )
        assert [c.path for c in github.calls] == ["/user"]
        refused = _diagnose(deployment, CCBOT_GITHUB_TOKEN="ghp_" + "z9Y8" * 9, GITHUB_API_URL=github.url)
        assert _github_line(refused).startswith(
            "✘ GitHub: GitHub refused the credentials (the token's account (GET /user)): Bad credentials"
        )
        assert _github_line(refused).endswith(
            f"→ check CCBOT_GITHUB_TOKEN and GITHUB_API_URL ({github.url}); the README's GitHub section "
            "lists the permissions"
        )
    finally:
        github.stop()
    closed = _free_socket()
    host, port = closed.getsockname()[:2]
    closed.close()
    down = _diagnose(deployment, CCBOT_GITHUB_TOKEN=GOOD_TOKEN, GITHUB_API_URL=f"http://{host}:{port}/")
    assert _github_line(down).startswith(f"✘ GitHub: cannot reach GitHub at http://{host}:{port}/")


def test_the_report_shows_urls_without_user_info_and_no_password(
    clean_env: None, deployment: dict[str, str]
) -> None:
    github = GitHubStandIn(token=GOOD_TOKEN).start()
    sock = _free_socket()
    try:
        env = {
            **deployment,
            "CCBOT_GITHUB_TOKEN": GOOD_TOKEN,
            "GITHUB_API_URL": github.url.replace("http://", "http://proxy-user:Url-Sekr1t-pw@"),
            "CCBOT_DATABASE_URL": f"postgresql://ccbot:Db-Sekr1t-pw@127.0.0.1:{sock.getsockname()[1]}/ccbot",
        }
        result = runner.invoke(app, ["doctor"], env=env)
    finally:
        sock.close()
        github.stop()
    assert "Sekr1t" not in result.output
    assert "proxy-user" not in result.output
    assert GOOD_TOKEN not in result.output
    assert f"at {github.url}" in result.output, "the URL is still named, without its user-info"


def test_a_github_app_is_checked_through_its_installation(deployment: dict[str, str], tmp_path: Path) -> None:
    pem, public = app_key_pair()
    (tmp_path / "app.pem").write_text(pem)
    github = GitHubStandIn().start()
    try:
        # Not the ids of other tests: githubkit keeps installation tokens per App and installation for the process.
        github.enable_app("24680", public, 135)
        github.add_repo("openedx/edx-platform")
        app_settings = {
            "GITHUB_API_URL": github.url,
            "CCBOT_GITHUB_APP_ID": "24680",
            "CCBOT_GITHUB_PRIVATE_KEY": str(tmp_path / "app.pem"),
        }
        works = _diagnose(deployment, **app_settings, CCBOT_GITHUB_INSTALLATION_ID="135")
        assert _github_line(works) == (
            f"✔ GitHub: the GitHub App 24680 works at {github.url} as the GitHub App's installation 135 "
            "(1 repositories)"
        )
        other = _diagnose(deployment, **app_settings, CCBOT_GITHUB_INSTALLATION_ID="136")
        assert _github_line(other).startswith(
            "✘ GitHub: GitHub refused the GitHub App an installation token (404; the installation's "
            "repositories (GET /installation/repositories)): check CCBOT_GITHUB_APP_ID, "
            "CCBOT_GITHUB_INSTALLATION_ID and CCBOT_GITHUB_PRIVATE_KEY"
        )
        unset = _diagnose(deployment, **app_settings)
        assert _github_line(unset).startswith("✘ GitHub: CCBOT_GITHUB_INSTALLATION_ID")
    finally:
        github.stop()


def test_the_stand_in_grants_what_the_manifest_asks_for() -> None:
    assert manifest_scopes(MANIFEST) == set(DEFAULT_SCOPES)


def test_a_broken_manifest_is_named_with_its_line(deployment: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "manifest.yml"
    broken.write_text("oauth_config:\n  scopes:\n    bot: [commands\n")
    results = diagnose(Settings.model_validate(deployment), manifest=broken)
    problems = _lines(results, Status.PROBLEM)
    assert len(problems) == 1
    assert problems[0].startswith(f"✘ Slack scopes: {broken}:4: not valid YAML")
    (tmp_path / "flat.yml").write_text("oauth_config: {}\n")
    flat = _lines(
        diagnose(Settings.model_validate(deployment), manifest=tmp_path / "flat.yml"), Status.PROBLEM
    )
    assert flat == [
        f"✘ Slack scopes: {tmp_path / 'flat.yml'}: oauth_config.scopes.bot is not a list of scopes "
        "→ fix app_manifest.yml or pass --manifest"
    ]


def test_a_check_that_breaks_is_a_problem_not_a_traceback(deployment: dict[str, str]) -> None:
    def check_explodes(_deployment: Deployment) -> Iterable[CheckResult]:
        raise RuntimeError("boom\nsecond line")

    results = run_checks(
        Deployment(settings=load_settings(**deployment), client=None, manifest=None), [check_explodes]
    )
    assert [result.line() for result in results] == [
        "✘ explodes: the check itself failed (RuntimeError: boom) → report this to the ccbot maintainers"
    ]


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No SLACK_/CCBOT_ variables from the surroundings; run from an empty directory."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "CCBOT_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_the_command_prints_a_line_per_check_and_exits_1_on_a_problem(
    clean_env: None, deployment: dict[str, str], slack: SlackStandIn
) -> None:
    healthy = runner.invoke(app, ["doctor"], env=deployment)
    assert healthy.exit_code == 0, healthy.output
    lines = healthy.output.strip().splitlines()
    assert lines[-1] == "no problems found"
    assert len(lines) == 11  # token, scopes, 3 channels, 2 secrets, database, GitHub webhook and API, summary
    slack.add_channel("C0DIGEST1", "cc-digest", member=False)
    sick = runner.invoke(app, ["doctor"], env=deployment)
    assert sick.exit_code == 1
    assert "✘ CCBOT_DIGEST_CHANNEL C0DIGEST1 (#cc-digest): the bot is not a member" in sick.output
    assert (
        sick.output.strip().splitlines()[-1] == "1 problem(s) to fix before this deployment can be relied on"
    )
    assert "xoxb-doctor" not in sick.output


def test_the_command_reports_a_malformed_setting_as_a_problem(clean_env: None) -> None:
    result = runner.invoke(app, ["doctor"], env={"CCBOT_PORT": "eighty"})
    assert result.exit_code == 1
    assert result.output.startswith("✘ settings: CCBOT_PORT: ")
    assert len(result.output.strip().splitlines()) == 1


def test_the_doctor_records_account_ids_and_names_logins_github_does_not_know(
    deployment: dict[str, str],
) -> None:
    engine = make_engine(deployment["CCBOT_DATABASE_URL"])
    with make_session_factory(engine)() as session:
        load_pilot(session)
    github = GitHubStandIn(token=GOOD_TOKEN).start()
    github.delete_account("symbolist")
    try:
        results = _diagnose(deployment, CCBOT_GITHUB_TOKEN=GOOD_TOKEN, GITHUB_API_URL=github.url)
    finally:
        github.stop()
    problems = _lines(results, Status.PROBLEM)
    assert any("no GitHub account holds the login symbolist" in line for line in problems), problems
    assert any(
        "GitHub identities: recorded the account ids of" in line for line in _lines(results, Status.OK)
    )
    with make_session_factory(engine)() as session:
        zia = get_person_by_github(session, "ziafazal")
        assert zia is not None
        assert zia.github_id == github.account_id("ziafazal")
    engine.dispose()
