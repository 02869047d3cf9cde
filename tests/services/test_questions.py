"""Questions as services: validation, routing, the no-grant flag, who may act, and replies."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session

from bot.services.errors import FieldErrors, UserError
from bot.services.questions import (
    ask_question,
    ask_refusal,
    claim_question,
    mark_answered,
    may_ask_now,
    record_reply,
    split_ask_text,
    validate_question,
)
from bot.types.github import parse_pr_url
from bot.types.questions import QuestionDraft
from storage.roster import get_person_by_github, list_people
from tests.conftest import NOW, load_pilot
from tests.flows import CHANNELS, ask


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/openedx/edx-platform/pull/123", ("openedx/edx-platform", 123)),
        ("https://github.com/openedx/edx-platform/pull/123/files", ("openedx/edx-platform", 123)),
        ("https://github.com/openedx/XBlock/pull/7#discussion_r1", ("openedx/XBlock", 7)),
        ("https://github.com/openedx/edx-platform/issues/123", None),
        ("http://github.com/openedx/edx-platform/pull/123", None),
        ("https://gitlab.com/openedx/edx-platform/pull/123", None),
        ("https://github.com/openedx/edx-platform/pull/0", None),
    ],
)
def test_only_github_pull_request_links_are_accepted(url: str, expected: tuple[str, int] | None) -> None:
    assert parse_pr_url(url) == expected


def test_command_text_prefills_url_and_question() -> None:
    assert split_ask_text("<https://github.com/a/b/pull/1> why?") == ("https://github.com/a/b/pull/1", "why?")
    assert split_ask_text("just a question") == ("", "just a question")


@given(
    url=st.text(max_size=300), text=st.text(max_size=2500), urgency=st.one_of(st.none(), st.text(max_size=10))
)
def test_any_input_is_either_a_draft_or_field_errors(url: str, text: str, urgency: str | None) -> None:
    errors: dict[str, str] = {}
    draft = None
    try:
        draft = validate_question(pr_url=url, text=text, urgency=urgency)
    except FieldErrors as exc:
        errors = exc.errors
    if draft is None:
        assert errors
        assert set(errors) <= {"pr_url", "question", "urgency"}
    else:
        assert isinstance(draft, QuestionDraft)
        assert 0 < len(draft.text) <= 2000


def test_a_repo_without_a_grant_is_allowed_but_flagged(session: Session) -> None:
    load_pilot(session)
    zia = get_person_by_github(session, "ziafazal")
    assert zia is not None
    own = ask_question(
        session,
        zia,
        validate_question(
            pr_url="https://github.com/openedx/edx-platform/pull/1", text="q", urgency="normal"
        ),
        now=NOW,
        channels=CHANNELS,
    ).card
    other = ask_question(
        session,
        zia,
        validate_question(
            pr_url="https://github.com/openedx/frontend-app-learning/pull/2", text="q", urgency="normal"
        ),
        now=NOW,
        channels=CHANNELS,
    ).card
    assert own.question.has_grant
    assert not other.question.has_grant
    assert [p.github for p in own.responders] == ["jbowman", "feanil"]


def test_refusals_name_the_reason(session: Session) -> None:
    load_pilot(session)
    assert ask_refusal(session, None, today=NOW.date()).reason == "not_on_roster"  # type: ignore[union-attr]
    assert (
        ask_refusal(session, get_person_by_github(session, "jbowman"), today=NOW.date()).reason
        == "not_committer"
    )  # type: ignore[union-attr]
    onboarding = ask_refusal(session, get_person_by_github(session, "idegtiarov"), today=NOW.date())
    assert onboarding is not None
    assert onboarding.status is not None
    assert onboarding.status.value == "onboarding"
    lapsed = ask_refusal(
        session, get_person_by_github(session, "ziafazal"), today=NOW.date().replace(year=2027, month=2)
    )
    assert lapsed is not None
    assert lapsed.status is not None
    assert lapsed.status.value == "lapsed"


@pytest.mark.parametrize(
    "today",
    [NOW.date(), dt.date(2027, 2, 1), dt.date(2027, 7, 1), dt.date(2030, 1, 1)],
    ids=["now", "feb-2027", "jul-2027", "2030"],
)
def test_the_one_statement_check_agrees_with_the_full_refusal(pilot_session: Session, today: dt.date) -> None:
    """`/cc-ask` opens its modal on `may_ask_now`: for everyone, it must say yes exactly when nothing refuses them."""
    session = pilot_session
    alumnus = get_person_by_github(session, "ziafazal")
    assert alumnus is not None
    alumnus.removed_on = NOW.date()  # alumni keep no power, whatever their stored status says
    session.commit()
    people = [person for person in list_people(session) if person.slack_user_id]
    answers = {
        person.github: (
            may_ask_now(session, person.slack_user_id or "", today=today),
            ask_refusal(session, person, today=today) is None,
        )
        for person in people
    }
    assert {github: fast for github, (fast, _) in answers.items()} == {
        github: full for github, (_, full) in answers.items()
    }
    assert any(fast for fast, _ in answers.values()) == (today == NOW.date()), (
        "someone may ask now, nobody later"
    )
    assert not may_ask_now(session, "U0NOBODY1", today=today)


def test_who_may_claim_and_close(session: Session) -> None:
    load_pilot(session)
    zia, braden, feanil, schen = (
        get_person_by_github(session, h) for h in ("ziafazal", "bradenmacdonald", "feanil", "schen")
    )
    card = ask(session, "ziafazal", now=NOW)
    with pytest.raises(UserError, match="Only the committer's champions"):
        claim_question(session, card.id, braden, now=NOW)
    with pytest.raises(UserError, match="Only the committer's champions"):
        claim_question(session, card.id, zia, now=NOW)
    assert claim_question(session, card.id, schen, now=NOW).card.claimed_by == schen, "any champion may claim"
    with pytest.raises(UserError, match="already claimed it"):
        claim_question(session, card.id, feanil, now=NOW)
    with pytest.raises(UserError, match="Only the asker"):
        mark_answered(session, card.id, braden, now=NOW)
    closed = mark_answered(session, card.id, zia, now=NOW).card
    assert closed.question.state == "answered"
    assert closed.question.first_response_at is None, "the asker closing it is not a response"


def test_replies_set_first_response_and_answers(session: Session) -> None:
    load_pilot(session)
    card = ask(session, "ziafazal", now=NOW)
    assert card.posting is not None
    thread = {"channel": card.posting.channel, "thread_ts": card.posting.ts}
    by_asker = record_reply(session, **thread, ts="100.1", slack_user_id="U0PILOT01", now=NOW)
    assert by_asker is not None
    assert not by_asker.keys, "the asker's reply to an open question changes nothing"
    by_owner = record_reply(session, **thread, ts="100.2", slack_user_id="U0CHAMP03", now=NOW)
    assert by_owner is not None
    assert by_owner.keys, "the root is redrawn"
    assert by_owner.card.question.state == "open", (
        "a reply by someone not assigned is a response, not the answer"
    )
    assert by_owner.card.first_responder is not None
    assert by_owner.card.first_responder.github == "ormsbee"
    by_champion = record_reply(session, **thread, ts="100.3", slack_user_id="U0CHAMP02", now=NOW)
    assert by_champion is not None
    assert by_champion.card.question.state == "answered"
    assert by_champion.card.first_responder.github == "ormsbee"  # type: ignore[union-attr]
    elsewhere = {"channel": card.posting.channel, "thread_ts": "999.0"}
    assert record_reply(session, **elsewhere, ts="100.4", slack_user_id="U0CHAMP02", now=NOW) is None


def test_a_reply_from_someone_off_the_roster_neither_answers_nor_stops_the_ladder(session: Session) -> None:
    load_pilot(session)
    card = ask(session, "ziafazal", now=NOW)
    assert card.posting is not None
    stranger = record_reply(
        session,
        channel=card.posting.channel,
        thread_ts=card.posting.ts,
        ts="1.5",
        slack_user_id="U0STRANGE",
        now=NOW,
    )
    assert stranger is not None
    assert not stranger.keys
    assert stranger.card.question.first_response_at is None
    assert stranger.card.question.state == "open"
