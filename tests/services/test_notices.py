"""Production notices as a service: matching, duplicates, reverts, and the messages committed with each decision."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.services.errors import UserError
from bot.services.notices import PayloadError, answer_notice, parse_payload, record_deployment
from bot.services.outbox import deliver_pending, posting_of
from bot.types.keys import Subject
from bot.types.notices import DeploymentOutcome
from bot.types.policy import Channels
from storage.models import DeploymentNotice, NoticeState, OutboxMessage
from tests.conftest import NOW, load_pilot
from tests.flows import CHANNELS, COORDINATION, FakeMessenger, ask, person

ZIA, JBOWMAN, FEANIL, ADMIN = "U0PILOT01", "U0CHAMP01", "U0CHAMP02", "U0ADMIN01"
SECRETS = ["jane.doe@example.com", "203.0.113.42", "xoxb-1234567890-abcdefghijkl", "48213", "token=abc"]
# What the pipeline sends about an escaped issue in Zia's PR; its details hold what must never reach Slack.
ESCAPED: dict[str, Any] = {
    "event": "escaped_issue",
    "environment": "production",
    "repo": "openedx/edx-platform",
    "pull_requests": [{"url": "https://github.com/openedx/edx-platform/pull/35120", "author": "ziafazal"}],
    "sha_range": "a1b2c3..d4e5f6",
    "pipeline_url": "https://ci.example.org/runs/981?token=abc",
    "incident_id": "INC-2041",
    "summary": "Grades page 500s for some learners since the 14:00 deploy",
    "details": (
        "IntegrityError for user_id=48213 (jane.doe@example.com) from 203.0.113.42; "
        "worker env SLACK_BOT_TOKEN=xoxb-1234567890-abcdefghijkl"
    ),
}

# Zia's revert of that PR reaching production.
REVERT: dict[str, Any] = {
    "event": "deployed_production",
    "environment": "production",
    "repo": "openedx/edx-platform",
    "pull_requests": [{"number": 35177, "author": "ziafazal", "reverts": 35120}],
    "sha_range": "d4e5f6..0a0b0c",
}


@pytest.fixture
def pilot(session: Session) -> Session:
    load_pilot(session)
    return session


def _record(
    session: Session, payload: dict[str, Any], *, channels: Channels = CHANNELS, now: dt.datetime = NOW
) -> DeploymentOutcome:
    return record_deployment(session, parse_payload(payload), now=now, channels=channels)


def _queued(session: Session) -> dict[str, OutboxMessage]:
    return {m.key: m for m in session.exec(select(OutboxMessage)).all()}


def test_a_notice_is_committed_with_the_committers_dm_and_the_champions_thread(pilot: Session) -> None:
    outcome = _record(pilot, ESCAPED)
    notice_id = outcome.new[0].id
    assert outcome.keys == (f"deploy-dm:{notice_id}", f"deploy-thread:{notice_id}")
    queued = _queued(pilot)
    assert set(queued) == set(outcome.keys), "the messages were committed with the notice"
    assert all(m.status == "pending" for m in queued.values())
    dm = queued[f"deploy-dm:{notice_id}"]
    assert (dm.channel, dm.subject) == (ZIA, Subject.notice(notice_id))
    thread = queued[f"deploy-thread:{notice_id}"]
    for secret in SECRETS:
        assert secret not in f"{dm.text}{dm.blocks}{thread.text}", secret
    assert (thread.channel, thread.subject) == (COORDINATION, Subject.notice_thread(notice_id))
    assert f"<@{JBOWMAN}>" in thread.text
    assert f"<@{FEANIL}>" in thread.text

    slack = FakeMessenger()
    assert deliver_pending(pilot, slack, now=NOW, keys=outcome.keys).sent == 2
    assert posting_of(pilot, Subject.notice(notice_id)) is not None, "the DM can be redrawn later"
    assert posting_of(pilot, Subject.notice_thread(notice_id)) is not None


def test_a_repeat_is_a_duplicate_that_records_and_queues_nothing(pilot: Session) -> None:
    _record(pilot, ESCAPED)
    before = len(_queued(pilot))
    again = _record(pilot, ESCAPED, now=NOW + dt.timedelta(minutes=5))
    assert again.duplicate
    assert again.keys == ()
    assert len(_queued(pilot)) == before
    assert len(pilot.exec(select(DeploymentNotice)).all()) == 1


def test_unmatched_prs_go_to_every_admin_and_non_cc_authors_are_only_stored(pilot: Session) -> None:
    payload = {**ESCAPED, "pull_requests": [35001, {"number": 35002, "author": "some-edx-employee"}]}
    outcome = _record(pilot, payload)
    assert [c.notice.matched_by for c in outcome.new] == ["unmatched", "not_cc"]
    unmatched = outcome.new[0].id
    # The roster's admin and the bootstrap admin (CCBOT_ADMINS) each hear of it once.
    assert sorted(outcome.keys) == [
        f"deploy-unmatched:{unmatched}:U0ADMIN01",
        f"deploy-unmatched:{unmatched}:U0ADMIN99",
    ]
    slack = FakeMessenger()
    deliver_pending(pilot, slack, now=NOW)
    assert "#35001" in slack.texts(ADMIN)[0]
    assert not any("#35002" in text for text in slack.texts())
    assert len(pilot.exec(select(DeploymentNotice)).all()) == 2, "both are recorded"


def test_without_a_coordination_channel_the_dm_still_goes_and_no_thread_is_queued(pilot: Session) -> None:
    outcome = _record(pilot, ESCAPED, channels=Channels())
    notice_id = outcome.new[0].id
    assert outcome.keys == (f"deploy-dm:{notice_id}",)
    deliver_pending(pilot, FakeMessenger(), now=NOW)
    decided = answer_notice(pilot, notice_id, person(pilot, "ziafazal"), NoticeState.HELP, now=NOW)
    # A thread note waiting for a thread that will never be posted would wait forever.
    assert decided.keys == (f"redraw:{Subject.notice(notice_id)}",)


def test_a_pr_the_bot_has_seen_in_a_question_is_matched_to_its_asker(pilot: Session) -> None:
    ask(pilot, "ziafazal", now=NOW)  # about openedx/edx-platform#31337
    outcome = _record(pilot, {**ESCAPED, "incident_id": "INC-8", "pull_requests": [31337]})
    assert [(c.notice.matched_by, c.person and c.person.github) for c in outcome.to_notify] == [
        ("question", "ziafazal")
    ]


def test_an_answer_redraws_the_dm_and_notes_it_in_the_thread_once(pilot: Session) -> None:
    outcome = _record(pilot, ESCAPED)
    notice_id = outcome.new[0].id
    slack = FakeMessenger()
    deliver_pending(pilot, slack, now=NOW)
    dm = next(m for m in slack.posted if m["channel"] == ZIA)
    thread = next(m for m in slack.posted if m["channel"] == COORDINATION)
    zia = person(pilot, "ziafazal")

    decided = answer_notice(pilot, notice_id, zia, NoticeState.HELP, now=NOW + dt.timedelta(minutes=1))
    assert decided.card.notice.state == NoticeState.HELP.value
    assert decided.keys == (f"redraw:{Subject.notice(notice_id)}", f"deploy-answer:{notice_id}:help")
    deliver_pending(pilot, slack, now=NOW + dt.timedelta(minutes=1), keys=decided.keys)
    assert [(u["channel"], u["ts"]) for u in slack.updated] == [(ZIA, dm["ts"])]
    note = slack.posted[-1]
    assert (note["channel"], note["thread_ts"]) == (COORDINATION, thread["ts"])
    assert "needs help" in note["text"]
    assert f"<@{JBOWMAN}>" in note["text"]

    # The same answer again redraws the DM but does not repeat the note.
    again = answer_notice(pilot, notice_id, zia, NoticeState.HELP, now=NOW + dt.timedelta(minutes=2))
    deliver_pending(pilot, slack, now=NOW + dt.timedelta(minutes=2), keys=again.keys)
    assert sum("needs help" in text for text in slack.texts(COORDINATION)) == 1


def test_an_answer_before_the_thread_is_posted_waits_for_it(pilot: Session) -> None:
    notice_id = _record(pilot, ESCAPED).new[0].id
    slack = FakeMessenger()
    deliver_pending(pilot, slack, now=NOW, keys=[f"deploy-dm:{notice_id}"])
    decided = answer_notice(pilot, notice_id, person(pilot, "ziafazal"), NoticeState.REVERTING, now=NOW)
    assert f"deploy-answer:{notice_id}:reverting" in decided.keys
    report = deliver_pending(pilot, slack, now=NOW)
    thread = next(m for m in slack.posted if m["channel"] == COORDINATION and m["thread_ts"] is None)
    note = next(m for m in slack.posted if m["thread_ts"] == thread["ts"])
    assert "is reverting" in note["text"]
    assert report.failed == []


def test_only_the_named_committer_may_answer_and_a_refusal_changes_nothing(pilot: Session) -> None:
    notice_id = _record(pilot, ESCAPED).new[0].id
    before = len(_queued(pilot))
    with pytest.raises(UserError, match="Only the committer"):
        answer_notice(pilot, notice_id, person(pilot, "bradenmacdonald"), NoticeState.HELP, now=NOW)
    pilot.rollback()
    assert len(_queued(pilot)) == before
    assert pilot.get(DeploymentNotice, notice_id).state == NoticeState.NOTIFIED.value  # type: ignore[union-attr]


def test_a_revert_reaching_production_times_the_revert(pilot: Session) -> None:
    notice_id = _record(pilot, ESCAPED).new[0].id
    answer_notice(pilot, notice_id, person(pilot, "ziafazal"), NoticeState.REVERTING, now=NOW)
    outcome = _record(pilot, REVERT, now=NOW + dt.timedelta(hours=1))
    assert outcome.reverted == 1
    assert outcome.keys == (), "a deployment reaching production is recorded, not sent"
    notice = pilot.get(DeploymentNotice, notice_id)
    assert notice is not None
    assert notice.state == NoticeState.REVERTED.value
    assert notice.reverted_at is not None
    assert notice.reverting_at is not None
    assert notice.reverted_at - notice.reverting_at == dt.timedelta(hours=1)


# Every field that can carry text carries production data; the details carry a marker champions must see.
LEAKY: dict[str, Any] = {
    **ESCAPED,
    "environment": "production root@localhost",
    "incident_id": "INC-9 123-45-6789",
    "sha_range": "a1b2c3..d4e5f6 token=abc123",
    "pull_requests": [
        {
            "url": "https://github.com/openedx/edx-platform/pull/35120/files?email=jane@example.com#<!channel>",
            "author": "ziafazal",
        }
    ],
    "pipeline_url": "https://deployer:hunter2@ci.example.org/users/jdoe/runs/981?token=abc#frag",
    "summary": "Grades page 500s for learner 203.0.113.42 (ops@example.com, a@intranet)",
    "details": (
        "Traceback: IntegrityError user_id=48213 card 4111 1111 1111 1111 phone +1 415-555-0132 SSN 078-05-1120 "
        "Authorization: Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnag; retried with Bearer AbCdEfGhIjKlMnOpQrSt"
    ),
}
LEAKS = [
    "root@localhost",
    "123-45-6789",
    "a@intranet",
    "078-05-1120",
    "YIIGhgYGKwYBBQUCoIIGejCCBnag",
    "AbCdEfGhIjKlMnOpQrSt",
    "ops@example.com",
    "jane@example.com",
    "abc123",
    "deployer",
    "hunter2",
    "jdoe",
    "token=abc",
    "frag",
    "<!channel>",
    "203.0.113.42",
    "48213",
    "4111 1111",
    "555-0132",
]


def test_every_field_is_redacted_and_the_details_reach_the_champions_only(pilot: Session) -> None:
    outcome = _record(pilot, LEAKY)
    card = outcome.new[0]
    stored = json.dumps([card.event.model_dump(mode="json"), card.notice.model_dump(mode="json")])
    for leak in LEAKS:
        assert leak not in stored, leak
    assert card.notice.pr_url == "https://github.com/openedx/edx-platform/pull/35120"
    assert card.event.pipeline_url == "https://ci.example.org/users/[redacted]/runs/981"
    assert card.event.incident_id == "INC-9 [redacted]"
    assert card.event.environment == "production [redacted]"

    slack = FakeMessenger()
    deliver_pending(pilot, slack, now=NOW)
    dm = next(m for m in slack.posted if m["channel"] == ZIA)
    thread = next(m for m in slack.posted if m["channel"] == COORDINATION)
    seen_by_committer = json.dumps([dm["text"], dm["blocks"]])
    seen_by_champions = json.dumps([thread["text"], thread["blocks"]])
    for leak in LEAKS:
        assert leak not in seen_by_committer, leak
        assert leak not in seen_by_champions, leak
    # The committer: event, repo, PR, environment, incident id, pipeline link and summary; never the details.
    for field in [
        "openedx/edx-platform#35120",
        "production",
        "INC-9",
        "Grades page 500s",
        "ci.example.org/users",
    ]:
        assert field in seen_by_committer, field
    assert "IntegrityError" not in seen_by_committer
    assert "IntegrityError" in seen_by_champions
    assert "IntegrityError" not in thread["text"], "the notification text carries no details"


def test_a_pull_request_of_another_repository_is_refused() -> None:
    payload = {**ESCAPED, "pull_requests": ["https://github.com/evil/repo/pull/35120"]}
    with pytest.raises(PayloadError, match="evil/repo#35120 is not in openedx/edx-platform"):
        parse_payload(payload)
    with pytest.raises(PayloadError, match="author"):
        parse_payload({**ESCAPED, "pull_requests": [{"number": 1, "author": "a b@example.com"}]})
    assert parse_payload({**ESCAPED, "pull_requests": [{"number": 1, "author": "dependabot[bot]"}]})


def test_notice_keys_are_never_cut_short_and_hold_no_production_data(pilot: Session) -> None:
    # Two incident ids that share their first 99 characters (the old key cut them to the same 255).
    long_repo = "o/" + "r" * 100
    first = {**ESCAPED, "repo": long_repo, "pull_requests": [7], "incident_id": "I" * 99 + "1"}
    second = {**first, "incident_id": "I" * 99 + "2"}
    a, b = _record(pilot, first), _record(pilot, second)
    assert not b.duplicate, "a different incident is a different notice"
    keys = [a.new[0].notice.key, b.new[0].notice.key]
    assert keys[0] != keys[1]
    assert all(len(k) <= 255 for k in keys)
    private = _record(pilot, {**ESCAPED, "incident_id": "INC-1 jane@example.com", "pull_requests": [8]})
    assert "jane" not in private.new[0].notice.key
    assert _record(
        pilot, {**ESCAPED, "incident_id": "INC-1 jane@example.com", "pull_requests": [8]}
    ).duplicate
    # Keys that fit and carry nothing private keep the form already stored in databases.
    assert _record(pilot, ESCAPED).new[0].notice.key == "escaped:INC-2041:openedx/edx-platform#35120"


def _sections(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b.get("type") == "section"]


def test_markup_heavy_text_stays_within_slacks_limits_and_is_never_cut_inside_an_entity(
    pilot: Session,
) -> None:
    html = {
        **ESCAPED,
        "environment": "&" * 64,
        "incident_id": "<" * 100,
        "summary": "<b>&amp;</b>" * 166,
        "details": "<&>" * 6000,  # fourfold when escaped
    }
    outcome = _record(pilot, html)
    slack = FakeMessenger()
    assert deliver_pending(pilot, slack, now=NOW).sent == 2
    for message in slack.posted:
        for text in _sections(message["blocks"]):
            assert len(text) <= 3000
            # No entity is cut: every `&` starts a whole &amp; &lt; or &gt;.
            assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt);)*", text, re.S), text[-20:]
        assert len(message["text"]) <= 40000
    thread = next(m for m in slack.posted if m["channel"] == COORDINATION)
    details = next(text for text in _sections(thread["blocks"]) if text.startswith("```"))
    assert details.startswith("```&lt;&amp;&gt;&lt;")
    assert details.endswith("…```"), "a cut is marked"
    assert outcome.to_notify
