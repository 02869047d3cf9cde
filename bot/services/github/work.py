"""GitHub review asks and work: asks rotated among committers by load (Take it / Pass it on), their messages,
and a committer's recent work on GitHub for `/cc` and App Home."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.services.audit import audit
from bot.services.errors import NotOnRoster, UserError
from bot.services.outbox import Outgoing, commit, dm, post, redraw
from bot.services.rotation import least_loaded
from bot.types.decided import Decided
from bot.types.github import GitHubWork, PullRequest, ReviewAskCard
from bot.types.keys import Kind, Subject
from bot.types.policy import Channels
from bot.views import github as views
from storage import github as store
from storage import roster as roster_store
from storage.models import ActivityKind, Person, Repo, ReviewAsk, ReviewAskState


def ask_message(card: ReviewAskCard) -> Outgoing | None:
    """Return the DM asking the card's reviewer to review (Take it / Pass it on); None when nobody is asked."""
    reviewer = card.reviewer
    if reviewer is None or reviewer.id is None:
        return None
    return dm(
        Kind.GITHUB_REVIEW_ASK,
        [card.id, reviewer.id],
        reviewer.slack_user_id,
        views.review_ask_text(card),
        blocks=views.review_ask_blocks(card),
        subject=Subject.review_ask(card.id, reviewer.id),
    )


def unassigned_message(card: ReviewAskCard, channels: Channels) -> Outgoing | None:
    """Return the coordination channel's note that no committer is free to review the pull request."""
    return post(
        Kind.GITHUB_REVIEW_NONE,
        [card.id, len(card.ask.passed)],
        channels.coordination,
        views.unassigned_text(card),
    )


def redraw_ask(card: ReviewAskCard) -> Outgoing | None:
    """Return the redraw of the asked committer's DM in the ask's current state."""
    if card.reviewer is None or card.reviewer.id is None:
        return None
    return redraw(
        Subject.review_ask(card.id, card.reviewer.id),
        views.review_ask_text(card),
        views.review_ask_blocks(card),
    )


def next_reviewer(
    session: Session, repo: Repo, *, author: str | None, skip: set[int], today: dt.date
) -> Person | None:
    """The committer with a grant on the repo holding the fewest open asks (then asked longest ago), not away."""
    candidates = [
        p
        for p in store.list_grant_holders(session, repo.key)
        if p.id is not None
        and p.id not in skip
        and p.slack_user_id
        and (author is None or p.github_key != author.lower())
    ]
    return least_loaded(
        candidates,
        today=today,
        loads=lambda ids: store.open_review_counts(session, ids),
        last_given=lambda ids: store.last_review_asked(session, ids),
    )


def ask_card(
    session: Session, ask: ReviewAsk, *, web_url: str, passed_by: Person | None = None
) -> ReviewAskCard:
    """Return a review ask's card: its pull request, its reviewer, and who passed it to them."""
    repo = roster_store.get_repo_by_id(session, ask.repo_id)
    pr = PullRequest(
        repo=repo.full_name if repo else "",
        number=ask.pr_number,
        title=ask.title,
        author=ask.author or None,
        web_url=web_url,
    )
    reviewer = roster_store.get_person(session, ask.person_id) if ask.person_id else None
    if passed_by is None and reviewer is not None and ask.passed:
        # The last to pass it handed it to the current reviewer: their DM keeps saying so.
        passed_by = roster_store.get_person(session, ask.passed[-1])
    return ReviewAskCard(ask=ask, pr=pr, reviewer=reviewer, passed_by=passed_by)


def _held_ask(session: Session, ask_id: int, person: Person | None) -> ReviewAsk:
    if person is None or person.id is None:
        raise NotOnRoster(
            "Only the committer asked to review can answer this. Ask a program admin to add you."
        )
    ask = store.get_review_ask_for_update(session, ask_id)
    if ask is None:
        raise UserError("That review request no longer exists.")
    if ask.person_id != person.id:
        raise UserError("This review request is no longer yours: it went to someone else. Nothing to do.")
    return ask


def take_review(
    session: Session,
    ask_id: int,
    person: Person | None,
    *,
    now: dt.datetime,
    web_url: str = "https://github.com",
) -> Decided[ReviewAskCard]:
    """The asked committer takes the review: committed with the redraw of their DM; taking it twice changes nothing."""
    ask = _held_ask(session, ask_id, person)
    assert person is not None
    card = ask_card(session, ask, web_url=web_url)
    if ask.state != ReviewAskState.ASKED:
        session.rollback()
        return Decided(card)
    ask.state, ask.answered_at = ReviewAskState.TAKEN, now
    session.add(ask)
    _audit_ask(session, ask, "review.taken", person, now=now)
    return Decided(card, commit(session, [redraw_ask(card)], now=now))


def pass_review(
    session: Session,
    ask_id: int,
    person: Person | None,
    *,
    now: dt.datetime,
    channels: Channels,
    web_url: str = "https://github.com",
) -> Decided[ReviewAskCard]:
    """The asked committer passes the review on: the next committer by load is asked, else the coordination channel.

    The pass, the passer's redrawn DM and the next ask (or the channel's note) commit together.
    """
    ask = _held_ask(session, ask_id, person)
    assert person is not None
    assert person.id is not None
    if ask.state != ReviewAskState.ASKED:
        session.rollback()
        raise UserError("You already took this review; it stays yours. Review it on GitHub when you can.")
    repo = roster_store.get_repo_by_id(session, ask.repo_id)
    assert repo is not None
    passed = [*ask.passed, person.id]
    reviewer = next_reviewer(session, repo, author=ask.author or None, skip=set(passed), today=now.date())
    ask.passed = passed
    ask.person_id = reviewer.id if reviewer else None
    ask.state = ReviewAskState.ASKED if reviewer else ReviewAskState.UNASSIGNED
    ask.asked_at = now
    session.add(ask)
    _audit_ask(session, ask, "review.passed", person, now=now, to=reviewer.github if reviewer else "nobody")
    card = ask_card(session, ask, web_url=web_url, passed_by=person)
    messages = [
        redraw(
            Subject.review_ask(card.id, person.id),
            views.passed_text(card),
            views.passed_blocks(card),
        ),
        ask_message(card) if reviewer is not None else unassigned_message(card, channels),
    ]
    return Decided(card, commit(session, messages, now=now))


def _audit_ask(
    session: Session, ask: ReviewAsk, action: str, actor: Person, *, now: dt.datetime, **details: object
) -> None:
    repo = roster_store.get_repo_by_id(session, ask.repo_id)
    subject = f"{repo.full_name if repo else ask.repo_id}#{ask.pr_number}"
    audit(session, now, actor, action, subject, **details)


RECENT_WORK = dt.timedelta(days=30)


def github_work(
    session: Session, person_id: int, *, now: dt.datetime, web_url: str = "https://github.com"
) -> GitHubWork:
    """Return a person's merges and reviews of the last 30 days and their open review asks."""
    counts = store.activity_counts(session, person_id, since=now - RECENT_WORK)
    asks = [
        ask_card(session, ask, web_url=web_url) for ask in store.list_open_review_asks_of(session, person_id)
    ]
    return GitHubWork(
        merged=counts.get(ActivityKind.MERGED.value, 0),
        authored=counts.get(ActivityKind.AUTHORED.value, 0),
        reviewed=counts.get(ActivityKind.REVIEWED.value, 0),
        open_asks=asks,
    )
