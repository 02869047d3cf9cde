"""Owners synced from catalog-info.yaml and CODEOWNERS, looked up by path, mapped to roster people."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from bot.services.errors import UserError
from bot.services.outbox import DeliveryFailed, deliver_pending, posting_of
from bot.services.owners import check_repo_name, find_owners, request_intro, sync_owners
from bot.types.policy import Channels
from storage.roster import get_person_by_github
from tests.conftest import NOW, ROOT, load_pilot
from tests.flows import CHANNELS, COORDINATION, FakeMessenger

OWNERS = ROOT / "examples" / "owners"


@pytest.fixture
def synced(session: Session) -> Session:
    load_pilot(session)
    report = sync_owners(session, OWNERS, now=NOW, actor="test")
    assert sorted(report.repos) == ["openedx/XBlock", "openedx/edx-platform"]
    assert report.problems == []
    return session


def test_a_path_owner_comes_from_the_last_matching_codeowners_line(synced: Session) -> None:
    answer = find_owners(synced, "openedx/edx-platform", "lms/djangoapps/certificates/")
    assert answer.labels[:2] == ["team:openedx/aperture", "user:feanil"]
    assert answer.rule == "/lms/djangoapps/certificates/"
    assert [p.github for p in answer.path_owners[0].people] == ["jbowman", "rraposa"], "team mapped by group"
    assert {p.github for p in answer.people} >= {"feanil", "jbowman", "rraposa", "ormsbee"}


def test_a_file_under_a_directory_rule_and_the_catch_all(synced: Session) -> None:
    assert (
        find_owners(synced, "openedx/edx-platform", "xmodule/capa/tests/test_x.py").labels[0]
        == "user:ormsbee"
    )
    fallback = find_owners(synced, "openedx/edx-platform", "common/static/js/app.js")
    assert fallback.labels[0] == "team:openedx/arch-bom"


def test_repo_names_are_matched_in_any_case_and_catalog_users_map_to_people(synced: Session) -> None:
    answer = find_owners(synced, "OpenEdx/xblock")
    assert answer.catalog_owner is not None
    assert [p.github for p in answer.catalog_owner.people] == ["nedbat"]
    assert answer.path_owners == []


def test_an_unknown_repo_gets_a_clear_answer(synced: Session) -> None:
    with pytest.raises(UserError, match="I know no owners for `openedx/nowhere`"):
        find_owners(synced, "openedx/nowhere")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openedx/edx-platform lms/", ("openedx/edx-platform", "lms/")),
        ("https://github.com/openedx/edx-platform /cms/", ("openedx/edx-platform", "cms/")),
        ("openedx/XBlock", ("openedx/XBlock", "")),
    ],
)
def test_command_text_is_read_as_repo_and_path(text: str, expected: tuple[str, str]) -> None:
    assert check_repo_name(text) == expected


@pytest.mark.parametrize("text", ["", "edx-platform", "openedx/edx$platform", "a/b/c"])
def test_malformed_repo_names_get_the_usage(text: str) -> None:
    with pytest.raises(UserError):
        check_repo_name(text)


def test_an_intro_is_recorded_once_a_week_with_its_post(synced: Session) -> None:
    zia = get_person_by_github(synced, "ziafazal")
    path = "lms/djangoapps/certificates/"
    first = request_intro(synced, zia, "openedx/edx-platform", path, now=NOW, channels=CHANNELS)
    assert not first.card.repeated
    assert first.keys == (f"intro:{first.card.intro.id}",)
    assert [c.github for c in first.card.champions] == ["jbowman", "feanil"]
    # Asked again before the post went out: the same intro, and its one post is still the one queued.
    queued = request_intro(synced, zia, "openedx/edx-platform", path, now=NOW, channels=CHANNELS)
    assert queued.card.repeated
    assert queued.card.intro.id == first.card.intro.id
    slack = FakeMessenger()
    assert deliver_pending(synced, slack, now=NOW).sent == 1
    [intro] = slack.posted
    assert intro["channel"] == COORDINATION
    assert "<@U0CHAMP02>" in intro["text"], "feanil owns certificates"
    assert "<@U0PILOT01>" in intro["text"]
    assert posting_of(synced, first.card.subject) is not None
    # Asked again once it is posted: nothing more to send.
    again = request_intro(synced, zia, "openedx/edx-platform", path, now=NOW, channels=CHANNELS)
    assert again.card.repeated
    assert again.keys == ()


def test_an_intro_slack_refuses_for_good_is_explained_to_the_committer(synced: Session) -> None:
    zia = get_person_by_github(synced, "ziafazal")
    request_intro(synced, zia, "openedx/XBlock", "", now=NOW, channels=CHANNELS)
    slack = FakeMessenger({COORDINATION: DeliveryFailed("not_in_channel", permanent=True)})
    assert deliver_pending(synced, slack, now=NOW).failed == [("intro:1", "not_in_channel")]
    deliver_pending(synced, slack, now=NOW)  # the next delivery run sends what the failure left to say
    [told] = slack.texts("U0PILOT01")
    assert "not_in_channel" in told
    assert "openedx/XBlock" in told


def test_without_a_coordination_channel_no_intro_is_recorded(synced: Session) -> None:
    zia = get_person_by_github(synced, "ziafazal")
    with pytest.raises(UserError, match="coordination channel is not configured"):
        request_intro(synced, zia, "openedx/XBlock", "", now=NOW, channels=Channels())
    again = request_intro(synced, zia, "openedx/XBlock", "", now=NOW, channels=CHANNELS)
    assert not again.card.repeated


def test_bad_yaml_is_reported_and_other_repos_still_sync(session: Session, tmp_path: Path) -> None:
    (tmp_path / "org" / "broken").mkdir(parents=True)
    (tmp_path / "org" / "broken" / "catalog-info.yaml").write_text("spec: [unclosed\n")
    (tmp_path / "org" / "good").mkdir()
    (tmp_path / "org" / "good" / "CODEOWNERS").write_text("* @someone\n")
    report = sync_owners(session, tmp_path, now=NOW, actor="test")
    assert report.repos == ["org/good"]
    assert any("not valid YAML" in p for p in report.problems)


# --- GitHub's CODEOWNERS semantics, Backstage's defaults, pasted links, hostile input -----------

# GitHub's documented CODEOWNERS example ("About code owners"), with invented owners.
GITHUB_EXAMPLE = """\
# These owners will be the default owners for everything in the repo.
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
"""


def _sync_one(session: Session, tmp_path: Path, codeowners: str | None, catalog: str | None = None) -> None:
    repo = tmp_path / "meta" / "octo-org" / "octo-repo"
    repo.mkdir(parents=True)
    if codeowners is not None:
        (repo / ".github").mkdir()
        (repo / ".github" / "CODEOWNERS").write_text(codeowners)
    if catalog is not None:
        (repo / "catalog-info.yaml").write_text(catalog)
    sync_owners(session, tmp_path / "meta", now=NOW, actor="test")


@pytest.mark.parametrize(
    ("path", "owners", "line"),
    [
        ("README.md", ["user:global-owner1", "user:global-owner2"], 2),
        ("src/app.js", ["user:js-owner"], 3),
        ("notes.txt", ["team:octo-org/octocats"], 5),
        ("build/logs/today.log", ["user:octocat"], 11),  # `**/logs` comes later: the last match wins
        ("build/other.log", ["user:global-owner1", "user:global-owner2"], 2),
        ("docs/build-app/troubleshooting.md", ["user:doctocat"], 9),
        ("docs/getting-started.md", ["user:doctocat"], 9),
        ("deeply/nested/logs/x.txt", ["user:octocat"], 11),
        ("apps/web/index.html", ["user:octocat"], 12),
    ],
)
def test_the_github_documented_example(
    session: Session, tmp_path: Path, path: str, owners: list[str], line: int
) -> None:
    _sync_one(session, tmp_path, GITHUB_EXAMPLE)
    answer = find_owners(session, "octo-org/octo-repo", path)
    assert (answer.labels, answer.rule_line, answer.coverage) == (owners, line, "owned")


def test_a_rule_without_owners_leaves_a_path_ownerless_on_purpose(session: Session, tmp_path: Path) -> None:
    from bot.views.owners import owners_blocks

    _sync_one(session, tmp_path, GITHUB_EXAMPLE)
    answer = find_owners(session, "octo-org/octo-repo", "apps/github/main.go")
    assert (answer.coverage, answer.rule, answer.rule_line, answer.labels) == (
        "ownerless",
        "/apps/github",
        13,
        [],
    )
    text = owners_blocks(answer)[0].to_dict()["text"]["text"]
    assert "none, on purpose: CODEOWNERS line 13" in text


def test_uncovered_and_no_codeowners_are_told_apart(session: Session, tmp_path: Path) -> None:
    from bot.views.owners import owners_blocks

    _sync_one(
        session, tmp_path / "a", "/docs/ @doctocat\n", catalog="kind: Component\nspec: {owner: team-a}\n"
    )
    uncovered = find_owners(session, "octo-org/octo-repo", "src/main.py")
    assert uncovered.coverage == "uncovered"
    assert "no CODEOWNERS rule covers this path" in owners_blocks(uncovered)[0].to_dict()["text"]["text"]
    other = tmp_path / "b" / "meta" / "octo-org" / "no-rules"
    other.mkdir(parents=True)
    (other / "catalog-info.yaml").write_text("kind: Component\nspec: {owner: team-a}\n")
    sync_owners(session, tmp_path / "b" / "meta", now=NOW, actor="test")
    missing = find_owners(session, "octo-org/no-rules", "src/main.py")
    assert missing.coverage == "no_codeowners"
    assert "this repository has no CODEOWNERS file" in owners_blocks(missing)[0].to_dict()["text"]["text"]


@pytest.mark.parametrize(
    ("owner", "kind", "name"),
    [
        ("team-a", "group", "team-a"),
        ("group:default/team-a", "group", "team-a"),
        ("user:someone", "user", "someone"),
    ],
)
def test_a_catalog_owner_without_a_kind_is_a_group(
    session: Session, tmp_path: Path, owner: str, kind: str, name: str
) -> None:
    _sync_one(session, tmp_path, None, catalog=f"kind: Component\nspec:\n  owner: {owner}\n")
    answer = find_owners(session, "octo-org/octo-repo")
    assert answer.catalog_owner is not None
    assert (answer.catalog_owner.kind, answer.catalog_owner.name) == (kind, name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "https://github.com/openedx/edx-platform/blob/master/lms/urls.py",
            ("openedx/edx-platform", "lms/urls.py"),
        ),
        ("https://github.com/openedx/edx-platform/tree/master/lms", ("openedx/edx-platform", "lms/")),
        ("https://github.com/openedx/edx-platform/tree/master", ("openedx/edx-platform", "")),
        (
            "<https://github.com/openedx/XBlock/blob/0a1b2c3/xblock/core.py#L10|core.py>",
            ("openedx/XBlock", "xblock/core.py"),
        ),
        (
            "github.com/openedx/edx-platform/blob/main/docs/a%20b.rst?plain=1",
            ("openedx/edx-platform", "docs/a b.rst"),
        ),
        ("https://github.com/openedx/edx-platform/pull/123", ("openedx/edx-platform", "")),
        ("https://github.com/openedx/edx-platform.git", ("openedx/edx-platform", "")),
    ],
)
def test_pasted_github_links_are_understood(text: str, expected: tuple[str, str]) -> None:
    assert check_repo_name(text) == expected


def test_matching_agrees_with_the_regex_port_of_githubs_rules() -> None:
    from codeowners import path_to_regex
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from bot.services.owners.codeowners import CodeownersPattern

    pieces = st.sampled_from(
        [
            "a",
            "b",
            ".",
            "/",
            "*",
            "?",
            "**",
            "**/",
            "/**",
            "***",
            "[ab]",
            "[!a]",
            "[a-c]",
            "x.js",
            "\\*",
            "\\",
        ]
    )
    paths = st.lists(
        st.sampled_from(["a", "b", "x.js", "ab", "b.a", "/", "*", "!", "c", "-"]), min_size=1, max_size=8
    ).map("".join)

    @settings(max_examples=150, deadline=None)
    @given(pattern=st.lists(pieces, min_size=1, max_size=6).map("".join), path=paths)
    def agree(pattern: str, path: str) -> None:
        path = path.lstrip("/") or "a"
        expected = path_to_regex(pattern).search(path) is not None
        assert CodeownersPattern(pattern).matches(path) is expected, (pattern, path)

    agree()


def test_a_hostile_pattern_cannot_freeze_a_lookup(session: Session, tmp_path: Path) -> None:
    import threading
    import time

    hostile = "**/" * 40 + "z\n" + "*a" * 40 + "*z @someone\n"
    _sync_one(session, tmp_path, "* @owner\n" + hostile)
    path = "a/" * 120 + "a" * 200
    started = time.monotonic()
    answers: list[object] = []
    worker = threading.Thread(target=lambda: answers.append(find_owners(session, "octo-org/octo-repo", path)))
    worker.daemon = True
    worker.start()
    worker.join(timeout=20)
    assert answers, "matching a hostile pattern must finish (a backtracking regex takes years here)"
    assert time.monotonic() - started < 20


def test_owners_sync_does_not_follow_links_out_of_its_folder(session: Session, tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    (outside / "repo").mkdir(parents=True)
    (outside / "repo" / "CODEOWNERS").write_text("* @leaked\n")
    meta = tmp_path / "meta"
    (meta / "org" / "good").mkdir(parents=True)
    (meta / "org" / "good" / "CODEOWNERS").write_text("* @someone\n")
    (meta / "org" / "linked").symlink_to(outside / "repo")
    (meta / "elsewhere").symlink_to(outside)
    (meta / "org" / "good" / "docs").mkdir()
    (meta / "org" / "good" / "docs" / "CODEOWNERS").symlink_to(outside / "repo" / "CODEOWNERS")
    (meta / "org" / "inside").mkdir()
    (meta / "org" / "inside" / "CODEOWNERS").symlink_to(meta / "org" / "good" / "CODEOWNERS")
    report = sync_owners(session, meta, now=NOW, actor="test")
    assert report.repos == ["org/good", "org/inside"]
    assert sum("outside" in problem for problem in report.problems) == 2
    assert find_owners(session, "org/good", "x").labels == ["user:someone"]
