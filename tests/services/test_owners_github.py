"""Owners read from GitHub's default branches mean exactly what the same files in a directory mean."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from bot.github import make_github
from bot.github_standin import GitHubStandIn
from bot.services.owners import find_owners, sync_owners, sync_owners_from_github
from bot.settings import load_settings
from tests.conftest import NOW, ROOT, load_pilot

OWNERS = ROOT / "examples" / "owners" / "openedx"


def _files(repo: str) -> dict[str, str]:
    return {path.name: path.read_text() for path in (OWNERS / repo).iterdir()}


def _answers(session: Session) -> list[tuple[str, ...]]:
    paths = [
        ("openedx/edx-platform", ""),
        ("openedx/edx-platform", "lms/djangoapps/certificates/x.py"),
        ("openedx/edx-platform", "cms/"),
        ("openedx/XBlock", ""),
    ]
    answers = []
    for repo, path in paths:
        answer = find_owners(session, repo, path)
        answers.append(
            (answer.repo, answer.rule or "", *answer.labels, *sorted(p.github for p in answer.people))
        )
    return answers


def test_the_same_files_on_github_give_the_same_owners(session: Session, github: GitHubStandIn) -> None:
    load_pilot(session)
    groups = (ROOT / "examples" / "owners" / "groups.yaml").read_text()
    from_directory = sync_owners(session, ROOT / "examples" / "owners", now=NOW, actor="test")
    expected = _answers(session)

    edx = _files("edx-platform")
    # CODEOWNERS under .github/ on GitHub, at the root in the directory: the same rules either way.
    github.add_repo(
        "openedx/edx-platform",
        {
            "catalog-info.yaml": edx["catalog-info.yaml"] + "\n---\n" + groups,
            ".github/CODEOWNERS": edx["CODEOWNERS"],
        },
        default_branch="master",
    )
    github.add_repo("openedx/XBlock", _files("XBlock"))
    github.add_repo(
        "openedx/old-thing",
        {"catalog-info.yaml": "kind: Component\nspec: {owner: user:gone}\n"},
        archived=True,
    )
    github.add_repo("openedx/no-metadata", {"README.md": "hello"})
    settings = load_settings(GITHUB_API_URL=github.url, CCBOT_GITHUB_TOKEN=github.token)
    with make_github(settings) as client:
        report = sync_owners_from_github(session, client, ["openedx", "nobody-org"], now=NOW, actor="test")
    assert sorted(report.repos) == sorted(from_directory.repos)
    assert report.groups == from_directory.groups
    assert report.problems == [
        "nobody-org: not found on GitHub, or the credentials cannot see it; skipped",
        "openedx/no-metadata@main: neither catalog-info.yaml nor CODEOWNERS; skipped",
    ]
    assert _answers(session) == expected
    # Files were read from each repository's own default branch.
    assert any(c.query.get("ref") == "master" for c in github.calls if "edx-platform/contents" in c.path)
    assert github.writes() == []


def test_a_single_repository_can_be_named(session: Session, github: GitHubStandIn, tmp_path: Path) -> None:
    github.add_repo("openedx/XBlock", {"docs/CODEOWNERS": "* @openedx/arch-bom\n"})
    settings = load_settings(GITHUB_API_URL=github.url, CCBOT_GITHUB_TOKEN=github.token)
    with make_github(settings) as client:
        report = sync_owners_from_github(session, client, ["openedx/XBlock"], now=NOW, actor="test")
    assert report.repos == ["openedx/XBlock"]
    assert find_owners(session, "openedx/XBlock", "setup.py").labels == ["team:openedx/arch-bom"]
