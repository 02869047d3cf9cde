"""What real Slack refuses: retired Web API methods, and messages and views over Block Kit's limits.

The limits check is `bot.slack_standin.block_kit_problems`; the stand-in refuses anything over them, and the
`slack` fixture fails any test that sent such a thing. Here every list-rendering view is built at the largest
size it can meet (500 open questions, 200 champions, a roster of 10,000) and checked against the same limits.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.slack_standin import RETIRED_METHODS, SlackStandIn, block_kit_problems
from bot.types.digest import ChampionLoad, Digest, Expiring
from bot.types.home import HomeData, OpenItems, RosterHealth
from bot.types.policy import policy_for
from bot.types.reminders import OnboardingGaps
from bot.types.roster import Profile
from bot.types.standing import Standing
from storage.models import AgreementKind, Escalation, Person, Phase, Question, Role, Status

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for folder in ("bot", "storage", "bench") for p in (ROOT / folder).rglob("*.py"))
RETIRED_CALL = re.compile(r"^(files_upload|rtm_\w+|channels_\w+|groups_\w+|im_\w+|mpim_\w+|dialog_open)$")
NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


def retired_calls(source: str) -> list[str]:
    """Return the retired Slack methods a module calls: `client.files_upload(...)`, `api_call("channels.list")`,
    or any string that names one."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and RETIRED_CALL.match(node.func.attr)
        ):
            found.append(f"line {node.lineno}: .{node.func.attr}(")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and RETIRED_METHODS.match(node.value)
        ):
            found.append(f"line {node.lineno}: {node.value!r}")
    return found


def test_the_scan_finds_retired_methods() -> None:
    source = """
client.files_upload(channels="C1", content="x")
client.api_call("channels.list")
client.rtm_connect()
client.im_open(user="U1")
client.dialog_open(dialog={}, trigger_id="t")
method = "mpim.history"
client.files_upload_v2(channel="C1", content="x")
client.conversations_list()
scope = "channels:read"
"""
    found = sorted(retired_calls(source))
    assert [line.split(":")[0] for line in found] == [
        "line 2",
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 7",
    ]
    assert retired_calls('path = "groups.yaml"\nclient.chat_postMessage(channel="C1")') == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_code_calls_a_retired_slack_method(path: Path) -> None:
    assert retired_calls(path.read_text()) == []


def test_the_stand_in_refuses_a_retired_method(slack: SlackStandIn) -> None:
    import httpx

    answer = httpx.post(f"{slack.url}files.upload", data={"token": "xoxb-test", "channels": "C1"}).json()
    assert answer == {"ok": False, "error": "method_deprecated"}
    assert slack.state.oversize == ["files.upload: a retired method"]
    slack.state.oversize.clear()


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    ("payload", "surface", "problem"),
    [
        ({"text": "x", "blocks": [section("x")] * 51}, "message", "51 blocks in a message"),
        ({"text": "x" * 40_001}, "message", "message text is 40001 characters"),
        ({"blocks": [section("x" * 3001)]}, "message", "section text is 3001 characters"),
        (
            {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]},
            "message",
            "header",
        ),
        (
            {"blocks": [{"type": "actions", "elements": [{"type": "button", "text": {"text": "b" * 76}}]}]},
            "message",
            "button text is 76",
        ),
        (
            {"blocks": [{"type": "actions", "elements": [{"type": "button", "text": {"text": "b"}}] * 26}]},
            "message",
            "26 actions elements",
        ),
        (
            {"blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}]},
            "message",
            "11 context",
        ),
        (
            {
                "blocks": [
                    section("pick")
                    | {
                        "accessory": {
                            "type": "static_select",
                            "options": [{"text": {"text": "o"}, "value": "v"}] * 101,
                        }
                    }
                ]
            },
            "message",
            "101 options",
        ),
        (
            {
                "blocks": [
                    section("pick")
                    | {
                        "accessory": {
                            "type": "static_select",
                            "options": [{"text": {"text": "o" * 76}, "value": "v"}],
                        }
                    }
                ]
            },
            "message",
            "option text is 76",
        ),
        ({"type": "modal", "title": {"text": "t" * 25}, "blocks": []}, "modal", "modal title over 24"),
        ({"type": "home", "blocks": [section("x")] * 101}, "home", "101 blocks in a home"),
        (
            {"type": "modal", "title": {"text": "t"}, "private_metadata": "m" * 3001, "blocks": []},
            "modal",
            "private_metadata",
        ),
    ],
)
def test_each_limit_is_checked(payload: dict[str, Any], surface: str, problem: str) -> None:
    problems = block_kit_problems(payload, surface=surface)
    assert any(problem in p for p in problems), problems


def test_what_slack_takes_passes() -> None:
    payload = {"text": "x" * 40_000, "blocks": [section("x" * 3000)] * 50}
    assert block_kit_problems(payload, surface="message") == []


def test_the_stand_in_refuses_an_oversize_message_and_the_fixture_notices(slack: SlackStandIn) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token="xoxb-test", base_url=slack.url)
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="x", blocks=[section("x" * 3001)])
    assert refused.value.response["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError) as too_long:
        client.chat_postMessage(channel="C1", text="x" * 40_001)
    assert too_long.value.response["error"] == "msg_too_long"
    assert len(slack.state.oversize) == 2
    slack.state.oversize.clear()


# -- every list-rendering view at its largest ---------------------------------------------------------------


def people(n: int, prefix: str = "person") -> list[Person]:
    return [
        Person(
            id=i + 1,
            github=f"{prefix}-{i:05d}-with-a-long-handle",
            github_key=f"{prefix}-{i:05d}",
            name=f"Someone With A Rather Long Name Number {i:05d}",
            slack_user_id=f"U{i:08d}",
            status=Status.ACTIVE,
        )
        for i in range(n)
    ]


def questions(n: int) -> list[tuple[Question, str]]:
    return [
        (
            Question(
                id=i + 1,
                committer_id=1,
                pr_url=f"https://github.com/example/repository-{i}/pull/{i}",
                pr_number=10_000 + i,
                text="why?",
                asked_at=NOW - dt.timedelta(hours=i),
            ),
            f"example-org/a-repository-with-a-long-name-{i}",
        )
        for i in range(n)
    ]


def as_dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]


def check_message(blocks: list[Block], text: str = "x") -> None:
    assert block_kit_problems({"text": text, "blocks": as_dicts(blocks)}, surface="message") == []


def check_view(view: View) -> None:
    data = view.to_dict()
    assert block_kit_problems(data, surface=str(data["type"])) == []


def big_digest(champions: int, roster: int) -> Digest:
    crowd = people(roster)
    return Digest(
        start=NOW - dt.timedelta(days=7),
        end=NOW,
        asked=20_000,
        answered=19_000,
        still_open=1000,
        first_response_median=dt.timedelta(hours=3),
        first_response_p90=dt.timedelta(hours=20),
        loads=[
            ChampionLoad(person=p, open=50, answered=80, median_first_response=dt.timedelta(hours=2))
            for p in people(champions, "champion")
        ],
        escalations_opened=10,
        escalations_acknowledged=9,
        escalations_resolved=8,
        escalations_overdue=1,
        expiring=[
            Expiring(
                holder=f"Organisation With A Long Name {i}", kind=AgreementKind.NDA, expires_on=NOW.date()
            )
            for i in range(roster)
        ],
        lapsed=crowd,
        onboarding=[OnboardingGaps(person=p, gaps=[]) for p in crowd],
    )


def test_the_digest_with_200_champions_and_a_roster_of_10000_stays_within_limits() -> None:
    from bot.views.digest import digest_blocks

    check_message(digest_blocks(big_digest(200, 10_000)))


def test_app_home_with_500_open_questions_and_an_admins_roster_health_stays_within_limits() -> None:
    from bot.views.home import home_blocks, paged_home

    crowd = people(10_000)
    profile = Profile(
        person=crowd[0],
        roles=[Role.COMMITTER, Role.CHAMPION, Role.MANAGER, Role.ADMIN],
        organization=None,
        repos=[f"example-org/repo-{i}" for i in range(500)],
        branches=[f"branch-{i}" for i in range(500)],
        champions=crowd[:500],
        committers=crowd,
        manager=crowd[1],
        agreements=[],
        standing=Standing(status=Status.ACTIVE),
        policy=policy_for(Phase.PILOT),
    )
    escalations = [
        Escalation(id=i + 1, summary="Something went wrong " * 5, opened_at=NOW - dt.timedelta(days=3))
        for i in range(500)
    ]
    activity = OpenItems(asked=questions(500), waiting_on_me=questions(500), escalations=escalations)
    data = HomeData(
        profile=profile,
        activity=activity,
        digest=big_digest(200, 10_000),
        overdue=escalations,
        health=RosterHealth(
            onboarding=[OnboardingGaps(person=p, gaps=[]) for p in crowd],
            expiring=[Expiring(holder=p.name, kind=AgreementKind.NDA, expires_on=NOW.date()) for p in crowd],
            short_of_champions=[(p, 1) for p in crowd],
            champions_required=2,
        ),
    )
    blocks = home_blocks(data, now=NOW)
    pages = -(-len(blocks) // 90)
    for page in range(1, pages + 2):
        check_view(paged_home(blocks, page))


def test_question_and_escalation_cards_with_10000_people_stay_within_limits() -> None:
    from bot.types.escalations import EscalationCard
    from bot.types.questions import QuestionCard
    from bot.views.escalations import escalation_blocks, reassign_modal
    from bot.views.questions import hand_off_modal, question_blocks

    crowd = people(10_000)
    question, repo = questions(1)[0]
    question.text = "A very long question. " * 500
    card = QuestionCard(
        question=question,
        committer=crowd[0],
        repo=repo,
        responders=crowd,
        claimed_by=crowd[1],
        first_responder=crowd[2],
        answered_by=None,
        manager=crowd[3],
    )
    check_message(question_blocks(card))
    check_view(hand_off_modal(card, crowd))
    escalation = Escalation(id=1, summary="Summary " * 25, impact="Impact. " * 1000, opened_at=NOW)
    escalation_card = EscalationCard(
        escalation=escalation,
        committer=crowd[0],
        champions=crowd,
        raised_by=crowd[1],
        owner=crowd[2],
        acknowledged_by=None,
        resolved_by=None,
        repo=repo,
        managers=crowd,
    )
    check_message(escalation_blocks(escalation_card))
    check_view(reassign_modal(escalation_card, crowd))


def test_messages_naming_every_committer_of_an_organisation_of_10000_stay_within_limits() -> None:
    from types import SimpleNamespace

    from bot.types.reminders import ExpiryNotice
    from bot.views.reminders import expiry_to_contact
    from bot.views.renewals import organization_ended_text
    from storage.models import Organization

    crowd = people(10_000)
    organization = Organization(id=1, name="A Large Provider")
    notice = ExpiryNotice(
        agreement=None,  # type: ignore[arg-type]
        kind=AgreementKind.ENTITY,
        expires_on=NOW.date(),
        days_left=30,
        threshold=30,
        committers=crowd,
        organization=organization,
        champions={},
        org_contact=None,
    )
    card = SimpleNamespace(organization=organization, renewal=SimpleNamespace(year=2027))
    for text in (expiry_to_contact(notice), organization_ended_text(card, crowd, ended=True)):  # type: ignore[arg-type]
        assert block_kit_problems({"text": text}, surface="message") == []
        assert "9960 more" in text
