"""GitHub's rules for a login, in one place: what passes, what is refused and how the refusal reads."""

from __future__ import annotations

import pytest

from bot.services.logins import LOGIN_RULE, LoginError, check_login, is_login, login_problem


@pytest.mark.parametrize(
    "login", ["a", "A1", "bradenmacdonald", "omarIthawi", "open-edx-bot", "a-b-c", "x" * 39, "0"]
)
def test_logins_by_githubs_rules_pass(login: str) -> None:
    assert is_login(login)
    assert check_login(f"  @{login} ") == login


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "it is empty"),
        ("x/../../../admins/memberships/mallory", "it contains '/'"),
        ("..", "it contains '.'"),
        ("<!channel>", "it contains '<'"),
        ("<@U0123ABC>", "it contains '<'"),
        ("<https://evil.example|x>", "it contains '<'"),
        ("two words", "it contains a space"),
        ("nul\x00", "it contains U+0000"),
        ("snake_case", "it contains '_'"),
        ("caf\u00e9", "it contains 'é'"),
        ("x" * 40, "it is 40 characters long"),
        ("-lead", "it starts with a hyphen"),
        ("trail-", "it ends with a hyphen"),
        ("dou--ble", "it has two hyphens in a row"),
        ("dependabot[bot]", "it contains '['"),
    ],
)
def test_anything_else_is_refused_saying_what_is_wrong(value: str, problem: str) -> None:
    assert login_problem(value) == problem
    with pytest.raises(LoginError) as refused:
        check_login(value)
    assert str(refused.value) == f"not a GitHub handle: {problem} ({LOGIN_RULE})"


def test_an_apps_account_is_a_login_only_where_bots_appear() -> None:
    assert not is_login("dependabot[bot]")
    assert is_login("dependabot[bot]", bots=True)
    assert check_login("github-actions[bot]", bots=True) == "github-actions[bot]"
    assert login_problem("[bot]", bots=True) == "it is empty"
    assert login_problem("-x[bot]", bots=True) == "it starts with a hyphen"
    with pytest.raises(LoginError, match=r"an app's account adds \[bot\]"):
        check_login("x/y[bot]", bots=True)
