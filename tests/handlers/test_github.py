"""GitHub deliveries reaching the fake Slack: merges for the champions, review asks passed on and taken, review requests."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select

from bot.ids import Action
from bot.services.admin import set_phase
from bot.services.areas import import_areas
from bot.services.digest import build_digest
from bot.slack_standin import SlackStandIn
from bot.types.policy import Channels
from bot.views.digest import digest_blocks
from storage.access import replace_access
from storage.models import GitHubAccess, GitHubActivity, Phase, ReviewAsk
from storage.roster import get_person_by_github
from tests.conftest import NOW, ROOT, RunningBot, running_bot, wait_until
from tests.flows import ask
from tests.slack_requests import block_action
from tests.test_github_hook import account_id, deliver, pr_payload

ZIA, BRADEN, FELIPE, PETER, REGIS = "U0PILOT01", "U0PILOT02", "U0PILOT05", "U0PILOT07", "U0PILOT08"
JBOWMAN, FEANIL = "U0CHAMP01", "U0CHAMP02"
COORDINATION = "C0COORD01"
PR_4242 = "https://github.com/openedx/edx-platform/pull/4242"


def _buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        element["action_id"]: element
        for block in message.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
    }


def _click(bot: RunningBot, action: Action, message: dict[str, Any], user: str) -> None:
    value = _buttons(message)[action.value]["value"]
    payload = block_action(
        action.value, value, user_id=user, message=message, response_url=bot.slack.response_url(user)
    )
    response = bot.sender.interaction(payload)
    assert response.status_code == 200, response.text


def _ask(bot: RunningBot) -> ReviewAsk:
    with bot.runtime.session_factory() as session:
        ask = session.exec(select(ReviewAsk)).one()
        session.expunge(ask)
        return ask


def test_a_committers_merge_is_posted_for_their_champions_in_the_coordination_channel(
    bot: RunningBot,
) -> None:
    response = deliver(bot, "pull_request", pr_payload("closed", merged_by="ziafazal"))
    assert response.json()["sent"] == 1
    [post] = bot.slack.messages(COORDINATION)
    assert post.get("thread_ts") is None
    text = post["text"]
    assert (
        f"<@{ZIA}> merged <https://github.com/openedx/edx-platform/pull/4242|openedx/edx-platform#4242>"
        in text
    )
    assert f"<@{JBOWMAN}>" in text
    assert f"<@{FEANIL}>" in text
    # 14:30 UTC is 09:30 in New York, where both champions work: nothing to mark.
    assert "outside" not in text


def test_a_merge_at_night_for_both_champions_is_marked(bot: RunningBot) -> None:
    payload = pr_payload("closed", merged_by="ziafazal", merged_at="2026-11-26T04:10:00Z")
    deliver(bot, "pull_request", payload)
    [post] = bot.slack.messages(COORDINATION)
    assert "outside both champions' working hours" in post["text"]


def test_a_merge_by_someone_else_of_a_committers_pr_goes_into_its_question_thread(bot: RunningBot) -> None:
    with bot.runtime.session_factory() as session:
        ask(session, "ziafazal", now=NOW, messenger=bot.runtime.messenger, pr=PR_4242)
    [root] = bot.slack.messages(COORDINATION)
    deliver(bot, "pull_request", pr_payload("closed", merged_by="some-maintainer"))
    [_, post] = bot.slack.messages(COORDINATION)
    assert post["thread_ts"] == root["ts"]
    assert "was merged by `some-maintainer`" in post["text"]
    assert [a.kind for a in _activity(bot)] == ["authored"]


def _activity(bot: RunningBot) -> list[GitHubActivity]:
    with bot.runtime.session_factory() as session:
        return list(session.exec(select(GitHubActivity)).all())


def test_text_from_github_cannot_ping_mention_or_link(bot: RunningBot) -> None:
    payload = pr_payload(
        "closed",
        merged_by="ziafazal",
        title="<!channel> fix <https://evil.example/|docs> for <@U0ADMIN01> & friends",
    )
    payload["pull_request"]["html_url"] = "https://evil.example/phish"
    deliver(bot, "pull_request", payload)
    [post] = bot.slack.messages(COORDINATION)
    text = post["text"]
    assert "<!channel>" not in text
    assert "<https://evil" not in text
    assert "<@U0ADMIN01>" not in text
    assert "&lt;!channel&gt;" in text
    assert "https://github.com/openedx/edx-platform/pull/4242" in text


def test_in_the_scale_phase_a_merge_goes_to_the_repository_areas_channel(bot: RunningBot) -> None:
    with bot.runtime.session_factory() as session:
        admin = get_person_by_github(session, "cc-coordinator")
        assert admin is not None
        set_phase(
            session, admin, phase=Phase.SCALE, nda_required=True, milestones="", now=NOW, channels=Channels()
        )
        import_areas(session, ROOT / "examples" / "areas.yaml", now=NOW, actor="test")
    before = len(bot.slack.messages(COORDINATION))
    deliver(bot, "pull_request", pr_payload("closed", merged_by="ziafazal"))
    [post] = bot.slack.messages("C0AREALRN")
    assert "merged" in post["text"]
    assert len(bot.slack.messages(COORDINATION)) == before


def test_the_review_label_asks_one_committer_who_can_pass_it_on_and_the_next_takes_it(
    bot: RunningBot,
) -> None:
    labeled = pr_payload("labeled", label={"name": "CC-Review-Please"})
    assert deliver(bot, "pull_request", labeled, delivery="l-1").json()["sent"] == 1
    # Committers on edx-platform: bradenmacdonald, felipemontoya, pdpinch and the author ziafazal.
    [dm] = bot.slack.messages(BRADEN)
    assert (
        "Could you review <https://github.com/openedx/edx-platform/pull/4242|"
        in dm["blocks"][0]["text"]["text"]
    )
    assert set(_buttons(dm)) == {Action.TAKE_REVIEW.value, Action.PASS_REVIEW.value}
    # Labelled again (GitHub sends the PR as it is then): still one ask for the PR.
    relabeled = {**labeled, "pull_request": {**labeled["pull_request"], "updated_at": "2026-11-27T16:00:00Z"}}
    assert deliver(bot, "pull_request", relabeled, delivery="l-2").json()["messages"] == 0
    # The same signed delivery replayed under another id is a duplicate, not a second ask.
    assert deliver(bot, "pull_request", labeled, delivery="l-3").json()["status"] == "duplicate"

    with bot.runtime.session_factory() as session:
        felipe = get_person_by_github(session, "felipemontoya")
        assert felipe is not None
        felipe.away_until = NOW.date() + dt.timedelta(days=3)
        session.commit()
    _click(bot, Action.PASS_REVIEW, dm, BRADEN)
    [next_dm] = wait_until(lambda: bot.slack.messages(PETER), what="the next committer's ask")  # type: ignore[misc]
    assert "passed it on to you" in next_dm["blocks"][0]["text"]["text"]
    redrawn = bot.slack.messages(BRADEN)[0]
    assert not _buttons(redrawn)
    assert f"<@{PETER}> is asked now" in json.dumps(redrawn["blocks"])
    assert bot.slack.messages(FELIPE) == []

    # Braden cannot answer for Peter any more.
    _click(bot, Action.TAKE_REVIEW, dm, BRADEN)
    assert _ask(bot).state == "asked"
    [refusal] = bot.slack.state.responses
    assert "no longer yours" in refusal["text"]
    _click(bot, Action.TAKE_REVIEW, next_dm, PETER)
    wait_until(lambda: _ask(bot).state == "taken", what="taken")
    taken = json.dumps(bot.slack.messages(PETER)[0]["blocks"])
    assert "You took it" in taken
    assert f"<@{BRADEN}> passed it on to you" in taken

    review = {
        "action": "submitted",
        "review": {"user": {"login": "pdpinch"}, "state": "approved"},
        "pull_request": labeled["pull_request"],
        "repository": labeled["repository"],
    }
    assert deliver(bot, "pull_request_review", review, delivery="r-1").json()["status"] == "accepted"
    assert _ask(bot).state == "reviewed"
    # Peter's DM is redrawn once more: reviewed, no buttons.
    reviewed = bot.slack.messages(PETER)[0]
    assert "Reviewed. Thank you!" in json.dumps(reviewed["blocks"])
    assert not _buttons(reviewed)
    assert [a.kind for a in _activity(bot)] == ["reviewed"]


def test_when_everyone_passes_the_coordination_channel_is_asked_to_find_a_reviewer(bot: RunningBot) -> None:
    deliver(
        bot,
        "pull_request",
        pr_payload("labeled", author="bradenmacdonald", label={"name": "cc-review-please"}),
    )
    for user in (FELIPE, PETER, ZIA):
        dm = wait_until(lambda u=user: bot.slack.messages(u), what=f"ask to {user}")  # type: ignore[misc]
        _click(bot, Action.PASS_REVIEW, dm[0], user)
    post = wait_until(lambda: bot.slack.messages(COORDINATION), what="the coordination note")
    assert "everyone with commit rights on it passed" in post[0]["text"]  # type: ignore[index]
    assert _ask(bot).state == "unassigned"


def test_a_review_request_is_a_dm_once_per_delivery_and_again_on_a_re_request(bot: RunningBot) -> None:
    payload = pr_payload("review_requested", requested_reviewer={"login": "regisb"}, sender="bradenmacdonald")
    deliver(bot, "pull_request", payload, delivery="rr-1")
    deliver(bot, "pull_request", payload, delivery="rr-1")
    [dm] = bot.slack.messages(REGIS)
    assert (
        "`bradenmacdonald` asked for your review of <https://github.com/openedx/edx-platform/pull/4242|"
        in dm["text"]
    )
    # A re-request is a new delivery of the PR as it is then (its updated_at moved on).
    again = {**payload, "pull_request": {**payload["pull_request"], "updated_at": "2026-11-27T17:00:00Z"}}
    deliver(bot, "pull_request", again, delivery="rr-2")
    assert len(bot.slack.messages(REGIS)) == 2
    stranger = pr_payload("review_requested", requested_reviewer={"login": "not-on-roster"})
    assert deliver(bot, "pull_request", stranger, delivery="rr-3").json()["status"] == "ignored"


def test_cc_and_app_home_show_github_work_and_whether_access_is_in_place(bot: RunningBot) -> None:
    deliver(bot, "pull_request", pr_payload("closed", merged_by="ziafazal"))
    with bot.runtime.session_factory() as session:
        zia = get_person_by_github(session, "ziafazal")
        assert zia is not None
        assert zia.id is not None
        replace_access(
            session,
            [
                GitHubAccess(
                    person_id=zia.id, team="openedx/committers-edx-platform", state="member", checked_at=NOW
                ),
                GitHubAccess(
                    person_id=zia.id, team="openedx/core-contributors", state="pending", checked_at=NOW
                ),
            ],
        )
        session.commit()
    text = json.dumps(bot.sender.command("/cc", user_id=ZIA).json()["blocks"])
    assert "*On GitHub (30 days):* 1 merged, 1 of your PRs merged, 0 reviewed" in text
    assert "2026-11-26 14:30 UTC>, merged openedx/edx-platform#4242" in text, "the latest sign of activity"
    assert ":white_check_mark: member of `openedx/committers-edx-platform` (checked 2026-11-26)" in text
    assert (
        "invitation pending for `openedx/core-contributors`: accept the invitation GitHub e-mailed you"
        in text
    )
    event = {"type": "app_home_opened", "user": ZIA, "channel": "D0PILOT01", "tab": "home", "event_ts": "1.0"}
    bot.sender.event(event, event_id="Ev-home-github")
    home = wait_until(lambda: bot.slack.state.home_views.get(ZIA), what="home")
    assert "*GitHub access:*" in json.dumps(home)
    assert "merged openedx/edx-platform#4242" in json.dumps(home), "App Home reads the same activity as /cc"
    with bot.runtime.session_factory() as session:
        digest = build_digest(session, now=NOW)
    assert "*On GitHub:* 1 merges and 0 reviews by committers" in json.dumps(
        [b.to_dict() for b in digest_blocks(digest)]
    )


@pytest.fixture
def ghe_bot(
    db_url: str, slack: SlackStandIn, clock: list[dt.datetime], request: pytest.FixtureRequest
) -> Iterator[RunningBot]:
    """The bot of an enterprise on GitHub Enterprise Cloud (data residency: SUBDOMAIN.ghe.com)."""
    yield from running_bot(
        db_url, slack, clock, request, in_process=True, GITHUB_API_URL="https://api.octocorp.ghe.com"
    )


def test_on_github_enterprise_cloud_every_pull_request_link_points_at_the_enterprise(
    ghe_bot: RunningBot,
) -> None:
    pr = "https://octocorp.ghe.com/openedx/edx-platform/pull/4242"
    deliver(ghe_bot, "pull_request", pr_payload("closed", merged_by="ziafazal"), delivery="ghe-1")
    [post] = ghe_bot.slack.messages(COORDINATION)
    assert f"<{pr}|openedx/edx-platform#4242>" in post["text"]
    labeled = pr_payload("labeled", number=4243, label={"name": "cc-review-please"})
    deliver(ghe_bot, "pull_request", labeled, delivery="ghe-2")
    [dm] = ghe_bot.slack.messages(BRADEN)
    assert "https://octocorp.ghe.com/openedx/edx-platform/pull/4243" in json.dumps(dm["blocks"])
    status = json.dumps(ghe_bot.sender.command("/cc", user_id=BRADEN).json()["blocks"])
    assert "https://octocorp.ghe.com/openedx/edx-platform/pull/4243" in status
    event = {
        "type": "app_home_opened",
        "user": BRADEN,
        "channel": "D0PILOT02",
        "tab": "home",
        "event_ts": "1.0",
    }
    ghe_bot.sender.event(event, event_id="Ev-home-ghe")
    home = wait_until(lambda: ghe_bot.slack.state.home_views.get(BRADEN), what="home")
    assert "https://octocorp.ghe.com/openedx/edx-platform/pull/4243" in json.dumps(home)
    everything = json.dumps([ghe_bot.slack.messages(), status, home])
    assert "https://github.com/openedx" not in everything


def test_a_login_that_changed_hands_is_credited_nothing_and_the_admins_are_told_once(bot: RunningBot) -> None:
    """ziafazal renamed on GitHub; a newcomer holding the freed login merges: nothing counts for ziafazal."""
    with bot.runtime.session_factory() as session:
        zia = get_person_by_github(session, "ziafazal")
        assert zia is not None
        zia.github_id = account_id("ziafazal")
        session.add(zia)
        session.commit()
    newcomer = pr_payload("closed", 7, author="someone-else", merged_by="ziafazal")
    newcomer["pull_request"]["merged_by"]["id"] = 99_000_001
    deliver(bot, "pull_request", newcomer, delivery="impostor-1")
    again = pr_payload("closed", 8, author="someone-else", merged_by="ziafazal")
    again["pull_request"]["merged_by"]["id"] = 99_000_001
    deliver(bot, "pull_request", again, delivery="impostor-2")
    assert _activity(bot) == []
    warnings = [m for m in bot.slack.messages("U0ADMIN01") if "now belongs to another account" in m["text"]]
    assert len(warnings) == 1
    # The real ziafazal, renamed, is followed by account id: their merge counts, and the roster follows.
    renamed = pr_payload("closed", 9, author="someone-else", merged_by="zia-renamed")
    renamed["pull_request"]["merged_by"]["id"] = account_id("ziafazal")
    deliver(bot, "pull_request", renamed, delivery="renamed-1")
    assert [a.kind for a in _activity(bot)] == ["merged"]
    with bot.runtime.session_factory() as session:
        assert get_person_by_github(session, "zia-renamed") is not None
