"""Owners synced from catalog-info.yaml and CODEOWNERS, looked up by path, mapped to roster people."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from bot.services.errors import UserError
from bot.services.outbox import DeliveryFailed, deliver_pending, posting_of
from bot.services.owners import check_repo_name, find_owners, request_intro, sync_owners
from bot.services.policy import Channels
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
