"""The githubkit client: every value that becomes a URL path segment is checked and quoted before any request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from githubkit import TokenAuthStrategy

from bot.github import GitHubClient
from bot.github_standin import GitHubStandIn
from bot.services.github.api import GitHubBadContent, GitHubError, GitHubNotFound

ATTACK = "x/../../../admins/memberships/mallory"


@pytest.fixture
def client(github: GitHubStandIn) -> GitHubClient:
    """A client of the stand-in, whose teams `openedx/committers` and `openedx/admins` exist."""
    github.add_team("openedx/committers")
    github.add_team("openedx/admins")
    github.add_repo("openedx/XBlock", {"catalog-info.yaml": "kind: Component\n"})
    return GitHubClient(TokenAuthStrategy(github.token), base_url=github.url)


def test_a_nominated_path_never_reaches_github(client: GitHubClient, github: GitHubStandIn) -> None:
    with pytest.raises(GitHubError) as refused:
        client.add_team_member("openedx", "committers", ATTACK)
    assert not isinstance(refused.value, GitHubNotFound)
    assert str(refused.value) == (
        f"not calling GitHub: login {ATTACK!r} is refused: it contains '/' (GitHub handles are 1 to 39 "
        "letters, digits or single hyphens, and do not start or end with a hyphen)"
    )
    with pytest.raises(GitHubError):
        client.remove_team_member("openedx", "committers", ATTACK)
    assert github.calls == []
    assert github.pending("openedx/admins") == set()


Call = Callable[[GitHubClient], Any]
REFUSED: list[tuple[str, Call, str]] = [
    ("org of teams", lambda c: c.list_teams("../user"), "organisation '../user'"),
    ("org of a team", lambda c: c.team_members("open/edx", "committers"), "organisation 'open/edx'"),
    ("slug", lambda c: c.team_members("openedx", ".."), "team slug '..'"),
    ("slug with a slash", lambda c: c.team_invitations("openedx", "a/../admins"), "team slug 'a/../admins'"),
    ("slug with a query", lambda c: c.team_members("openedx", "x?per_page=1"), "team slug 'x?per_page=1'"),
    ("mention as login", lambda c: c.add_team_member("openedx", "committers", "<!channel>"), "login"),
    ("login with a NUL", lambda c: c.remove_team_member("openedx", "committers", "a\x00b"), "U+0000"),
    ("slug on add", lambda c: c.add_team_member("openedx", "../admins", "mallory"), "team slug"),
    ("repo name", lambda c: c.get_repo("openedx/.."), "repository name '..'"),
    ("repo owner", lambda c: c.get_repo("../openedx/XBlock"), "repository owner '..'"),
    ("repo without owner", lambda c: c.get_repo("XBlock"), "repository 'XBlock'"),
    ("repos of org", lambda c: c.list_org_repos("openedx/../x"), "organisation"),
    ("file up", lambda c: c.read_file("openedx/XBlock", "../../admins/x", "main"), "file path"),
    ("file empty piece", lambda c: c.read_file("openedx/XBlock", "docs//x", "main"), "file path"),
    ("file of bad repo", lambda c: c.read_file("openedx/XBlock/..", "x", "main"), "repository name"),
]


@pytest.mark.parametrize(("name", "call", "what"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_value_that_cannot_be_a_segment_is_refused_without_a_request(
    client: GitHubClient, github: GitHubStandIn, name: str, call: Call, what: str
) -> None:
    with pytest.raises(GitHubError) as refused:
        call(client)
    assert not isinstance(refused.value, GitHubNotFound)
    assert str(refused.value).startswith("not calling GitHub: ")
    assert what in str(refused.value)
    assert github.calls == []


def test_the_pieces_of_a_file_path_are_quoted_one_by_one(client: GitHubClient, github: GitHubStandIn) -> None:
    github.add_repo("openedx/docs.openedx.org", {"source/a b#c?d%.md": "hello", ".github/CODEOWNERS": "* @x"})
    assert client.read_file("openedx/docs.openedx.org", "source/a b#c?d%.md", "main") == "hello"
    assert client.read_file("openedx/docs.openedx.org", ".github/CODEOWNERS", "main") == "* @x"
    [first, _] = github.calls
    assert first.path == "/repos/openedx/docs.openedx.org/contents/source/a b#c?d%.md"
    assert first.query == {"ref": "main"}


def test_valid_names_reach_github_as_they_are(client: GitHubClient, github: GitHubStandIn) -> None:
    github.add_team("openedx/committers", members=["omarIthawi"])
    assert [m.login for m in client.team_members("openedx", "committers")] == ["omarIthawi"]
    assert client.add_team_member("openedx", "committers", "kdmccormick") == "pending"
    assert client.get_repo("openedx/XBlock").full_name == "openedx/XBlock"
    assert [(c.method, c.path) for c in github.calls] == [
        ("GET", "/orgs/openedx/teams/committers/members"),
        ("PUT", "/orgs/openedx/teams/committers/memberships/kdmccormick"),
        ("GET", "/repos/openedx/XBlock"),
    ]


def test_a_file_body_in_malformed_base64_is_one_error_naming_the_repository_and_path(
    client: GitHubClient, github: GitHubStandIn
) -> None:
    github.serve_raw_content("openedx/XBlock", "catalog-info.yaml", "a2luZDog!!!Q29tcG9uZW50")
    with pytest.raises(GitHubBadContent) as refused:
        client.read_file("openedx/XBlock", "catalog-info.yaml", "main")
    assert str(refused.value) == (
        "openedx/XBlock: catalog-info.yaml: GitHub sent the file's content as malformed base64"
    )


def test_base64_wrapped_in_lines_as_github_sends_it_is_read(
    client: GitHubClient, github: GitHubStandIn
) -> None:
    github.serve_raw_content("openedx/XBlock", "catalog-info.yaml", "a2luZDog\nQ29tcG9u\nZW50Cg==\n")
    assert client.read_file("openedx/XBlock", "catalog-info.yaml", "main") == "kind: Component\n"
