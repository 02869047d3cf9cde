"""Nominations as services: the post commits with the nomination, votes redraw it, and a post Slack refuses
for good is told to the nominator."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.services.admin import set_phase
from bot.services.errors import FieldErrors, UserError
from bot.services.nominations import cast_vote, open_nomination
from bot.services.outbox import DeliveryFailed, posting_of
from bot.types.keys import Kind, Subject
from bot.types.nominations import NominationCard
from bot.types.policy import Channels, NominationRules
from storage.models import Nomination, OutboxMessage, OutboxStatus, Phase
from tests.conftest import NOW, load_pilot
from tests.flows import CHANNELS, COORDINATION, FakeMessenger, deliver, person

RULES = NominationRules()


@pytest.fixture
def db(session: Session) -> Session:
    load_pilot(session)
    admin = person(session, "cc-coordinator")
    set_phase(
        session, admin, phase=Phase.ESTABLISH, nda_required=True, milestones="", now=NOW, channels=Channels()
    )
    return session


def _open(db: Session, channels: Channels = CHANNELS) -> NominationCard:
    return open_nomination(
        db,
        person(db, "ziafazal"),
        github="newbie",
        name="",
        slack_user_id=None,
        organization=None,
        repos=["openedx/edx-platform"],
        reason="Steady reviews",
        now=NOW,
        rules=RULES,
        channels=channels,
    ).card


def test_without_a_coordination_channel_nothing_is_opened(db: Session) -> None:
    with pytest.raises(UserError, match="coordination channel is not configured"):
        _open(db, Channels())
    assert db.exec(select(Nomination)).all() == []


def test_the_post_commits_with_the_nomination_and_records_where_it_lives(db: Session) -> None:
    card = _open(db)
    queued = db.exec(select(OutboxMessage).where(OutboxMessage.kind == Kind.NOMINATION_ROOT.value)).one()
    assert (queued.subject, queued.channel, queued.status) == (
        Subject.nomination(card.id),
        COORDINATION,
        OutboxStatus.PENDING.value,
    )
    slack = FakeMessenger()
    deliver(db, slack, now=NOW)
    posting = posting_of(db, card.subject)
    assert posting is not None
    assert (posting.channel, posting.ts) == (COORDINATION, slack.posted[0]["ts"])


def test_votes_before_delivery_leave_one_redraw_with_the_latest_tally(db: Session) -> None:
    card = _open(db)
    slack = FakeMessenger()
    deliver(db, slack, now=NOW)
    for voter in ("bradenmacdonald", "symbolist"):
        cast_vote(db, card.id, person(db, voter), yes=True, now=NOW, rules=RULES)
    cast_vote(db, card.id, person(db, "symbolist"), yes=False, now=NOW, rules=RULES)
    deliver(db, slack, now=NOW)
    assert len(slack.updated) == 1, "later redraws replace an unsent one"
    assert "2 yes · 1 no" in str(slack.updated[0]["blocks"])


def test_a_post_refused_for_good_is_told_to_the_nominator(db: Session) -> None:
    card = _open(db)
    slack = FakeMessenger({COORDINATION: DeliveryFailed("not_in_channel", permanent=True)})
    deliver(db, slack, now=NOW)
    deliver(db, slack, now=NOW)
    notices = slack.texts("U0PILOT01")
    assert len(notices) == 1
    assert f"(#{card.id})" in notices[0]
    assert "not_in_channel" in notices[0]


@pytest.mark.parametrize(
    ("github", "slack", "field"),
    [
        ("ziafazal", None, "github"),  # an active committer
        ("ZiaFazal", None, "github"),  # the same handle in another case
        ("jbowman", "U0EVIL001", "github"),  # a champion, with someone else's Slack account
        ("brand-new", "U0PILOT02", "slack"),  # a new handle, but an existing person's Slack account
    ],
)
def test_a_nomination_names_someone_new_or_is_refused(
    db: Session, github: str, slack: str | None, field: str
) -> None:
    with pytest.raises(FieldErrors) as refused:
        open_nomination(
            db,
            person(db, "ziafazal"),
            github=github,
            name="Someone",
            slack_user_id=slack,
            organization=None,
            repos=["openedx/edx-platform"],
            reason="Great reviews",
            now=NOW,
            rules=NominationRules(),
            channels=CHANNELS,
        )
    assert field in refused.value.errors
    assert db.exec(select(Nomination)).all() == []
