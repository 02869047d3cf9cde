"""Nominations (phase 2 on): proposing a committer, voting through the comment period, closing by the rules.

Each decision commits with its messages: the post with the vote buttons when a nomination opens, its
redraw on each vote, and at closing the result in its thread, the redraw and the admins' checklist.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.services.activity import record_activity
from bot.services.admins import admin_ids
from bot.services.audit import audit
from bot.services.errors import FieldErrors, NotOnRoster, UserError
from bot.services.logins import login_refusal
from bot.services.outbox import Outgoing, commit, dm, post, posting_of, redraw, reply
from bot.services.owners import REPO_NAME
from bot.services.policy import current_policy
from bot.services.roster.statuses import status_change_messages
from bot.types.decided import Decided
from bot.types.keys import Kind, Subject
from bot.types.limits import NAME_MAX, REASON_MAX
from bot.types.nominations import NominationCard, Tally
from bot.types.outbox import REASON
from bot.types.policy import Channels, NominationRules
from bot.views import nominations as views
from storage import nominations as store
from storage import roster as roster_store
from storage.models import (
    ActivityKind,
    CommitGrant,
    Nomination,
    NominationState,
    NominationVote,
    Person,
    Role,
    Status,
)

NO_CHANNEL = (
    "Nominations cannot be posted yet: the coordination channel is not configured "
    "(CCBOT_COORDINATION_CHANNEL). Tell a program admin."
)
GONE = "That nomination no longer exists; the coordination channel has the current ones."


def _is_active_committer(session: Session, person: Person) -> bool:
    roles = roster_store.list_powers(session, person.id or 0)
    return Role.COMMITTER in roles and person.status == Status.ACTIVE and person.removed_on is None


def check_can_nominate(session: Session, person: Person | None, *, channels: Channels) -> Person:
    """Return the nominator when nominations are open to them and can be posted; UserError saying why otherwise."""
    if person is None or person.id is None:
        raise NotOnRoster("Only people on the Core Committer roster can nominate; `/cc` says how to join.")
    if not current_policy(session).nominations_open:
        raise UserError(
            "Nominations open in the program's *establish* phase; the program is still in its pilot. An admin moves the phase with `/cc-admin`."
        )
    roles = roster_store.list_powers(session, person.id)
    if not (_is_active_committer(session, person) or roles & {Role.CHAMPION, Role.ADMIN}):
        raise UserError(
            "Active core committers, champions and admins can nominate; ask one of them to nominate the person."
        )
    if not channels.coordination:
        raise UserError(NO_CHANNEL)
    return person


def open_nomination(
    session: Session,
    person: Person | None,
    *,
    github: str,
    name: str,
    slack_user_id: str | None,
    organization: str | None,
    repos: list[str],
    reason: str,
    now: dt.datetime,
    rules: NominationRules,
    channels: Channels,
) -> Decided[NominationCard]:
    """Open a nomination for the comment period (the sponsor's own yes counts), committed with its post."""
    sponsor = check_can_nominate(session, person, channels=channels)
    handle = github.strip().lstrip("@")
    errors: dict[str, str] = {}
    expands: Person | None = None
    refused = login_refusal(handle) if handle else "Give the nominee's GitHub handle."
    if refused is not None:
        errors["github"] = refused
    else:
        existing = roster_store.get_person_by_github(session, handle)
        if existing is not None and _is_active_committer(session, existing):
            # An existing active committer: a proposal for more repositories, never a new identity or roles.
            expands = existing
            if existing.id == sponsor.id:
                errors["github"] = "Ask another committer to propose more repositories for you."
        elif existing is not None:
            # A nomination names someone new: an approval must never relink or re-role an existing person.
            errors["github"] = (
                f"{existing.github} is already on the roster but not an active committer; a nomination is for "
                "someone new. A program admin changes an existing person's rights with `/cc-admin`."
            )
        if store.find_open_nomination(session, handle) is not None:
            errors["github"] = f"{handle} already has an open nomination or proposal."
    if slack_user_id:
        holder = roster_store.get_person_by_slack_id(session, slack_user_id)
        if holder is not None and (expands is None or holder.id != expands.id):
            errors["slack"] = (
                f"That Slack user is already {holder.github} on the roster; nominate someone new."
            )
    cleaned = [r.strip().removeprefix("https://github.com/").strip("/") for r in repos if r.strip()]
    bad = [r for r in cleaned if not REPO_NAME.match(r)]
    if not cleaned:
        errors["repos"] = "Name the repositories (org/repo), separated by spaces or commas."
    elif bad:
        errors["repos"] = f"{', '.join(bad[:3])}: write repositories as org/repo."
    elif expands is not None:
        held = {repo.key for _, repo in roster_store.list_active_grants(session, expands.id or 0) if repo}
        already = [r for r in cleaned if r.lower() in held]
        cleaned = [r for r in cleaned if r.lower() not in held]
        if not cleaned:
            errors["repos"] = (
                f"{expands.github} already holds rights on {', '.join(already[:3])}: name other repositories."
            )
    for name_field, value in (("name", name), ("organization", organization or "")):
        if len(value.strip()) > NAME_MAX:
            errors[name_field] = f"Keep it under {NAME_MAX} characters."
    text = reason.strip()
    if not text:
        errors["reason"] = "Say why: contributions, reviews, commitment."
    elif len(text) > REASON_MAX:
        errors["reason"] = f"Keep the reason under {REASON_MAX} characters."
    if errors:
        raise FieldErrors(errors)
    if expands is not None:
        organization_row = (
            roster_store.get_organization(session, expands.organization_id)
            if expands.organization_id
            else None
        )
        handle, name, slack_user_id = expands.github, expands.name, expands.slack_user_id
        organization = organization_row.name if organization_row else None
    days = rules.expansion_days if expands is not None else rules.days
    nomination = store.add_nomination(
        session,
        Nomination(
            nominee_github=handle,
            nominee_name=name.strip() or handle,
            nominee_slack_id=slack_user_id,
            nominee_organization=(organization or "").strip() or None,
            repos=cleaned,
            reason=text,
            nominated_by_id=sponsor.id,
            opened_at=now,
            closes_at=now + dt.timedelta(days=days),
            expands_person_id=expands.id if expands is not None else None,
        ),
    )
    if _is_active_committer(session, sponsor):
        store.put_vote(
            session,
            NominationVote(nomination_id=nomination.id or 0, voter_id=sponsor.id or 0, yes=True, at=now),
        )
    action = "expansion.opened" if expands is not None else "nomination.opened"
    audit(session, now, sponsor, action, handle, repos=",".join(cleaned))
    card = _card(session, nomination, rules)
    assert channels.coordination is not None
    return Decided(card, commit(session, opened_messages(card, channels.coordination), now=now))


def opened_messages(card: NominationCard, channel: str) -> list[Outgoing | None]:
    """Return what opening implies: the post with the vote buttons (the nominator is told if it cannot go out)."""
    sponsor = card.nominated_by
    delayed = dm(
        Kind.NOMINATION_DELAYED,
        [card.id],
        sponsor.slack_user_id if sponsor else None,
        views.post_failed_notice(card, REASON),
    )
    return [
        post(
            Kind.NOMINATION_ROOT,
            [card.id],
            channel,
            views.nomination_text(card),
            blocks=views.nomination_blocks(card),
            subject=card.subject,
            fallback=delayed,
        )
    ]


def redraw_nomination(card: NominationCard) -> Outgoing:
    """Return the redraw of a nomination's post: its tally and, once closed, its result."""
    return redraw(card.subject, views.nomination_text(card), views.nomination_blocks(card))


def _card(session: Session, nomination: Nomination, rules: NominationRules) -> NominationCard:
    assert nomination.id is not None
    sponsor = (
        roster_store.get_person(session, nomination.nominated_by_id) if nomination.nominated_by_id else None
    )
    expands = (
        roster_store.get_person(session, nomination.expands_person_id)
        if nomination.expands_person_id
        else None
    )
    return NominationCard(
        nomination,
        sponsor,
        Tally(*store.tally(session, nomination), rules=rules),
        posting=posting_of(session, Subject.nomination(nomination.id)),
        expands=expands,
    )


def cast_vote(
    session: Session,
    nomination_id: int,
    person: Person | None,
    *,
    yes: bool,
    now: dt.datetime,
    rules: NominationRules,
) -> Decided[NominationCard]:
    """Record (or change) an active committer's vote while the nomination is open, with the post's redraw."""
    if person is None or person.id is None:
        raise NotOnRoster("Only core committers on the roster vote on nominations; `/cc` says how to join.")
    # Locked, so concurrent votes take turns and the last redraw committed shows every vote.
    nomination = store.get_nomination_for_update(session, nomination_id)
    if nomination is None:
        raise UserError(GONE)
    if nomination.state != NominationState.OPEN or nomination.closes_at <= now:
        raise UserError("Voting on this nomination has closed; the result is in its thread.")
    if person.github_key == nomination.nominee_github.lower():
        raise UserError("You cannot vote on your own nomination; the others vote until it closes.")
    if not _is_active_committer(session, person):
        raise UserError("Only active core committers vote on nominations; `/cc` shows your standing.")
    store.put_vote(session, NominationVote(nomination_id=nomination_id, voter_id=person.id, yes=yes, at=now))
    record_activity(session, person.id, ActivityKind.VOTE, now, Subject.nomination(nomination_id))
    audit(session, now, person, "nomination.vote", Subject.nomination(nomination_id), yes=str(yes))
    card = _card(session, nomination, rules)
    return Decided(card, commit(session, [redraw_nomination(card)], now=now))


def close_due_nominations(
    session: Session, *, now: dt.datetime, rules: NominationRules, channels: Channels
) -> list[Decided[NominationCard]]:
    """Close each nomination at the end of its period, committed with its result, redraw and checklists.

    An approved nominee joins the roster as onboarding; the admins (on the roster and CCBOT_ADMINS)
    get the onboarding checklist.
    """
    closed = []
    for due in store.list_due_nominations(session, now=now):
        assert due.id is not None
        nomination = store.get_nomination_for_update(session, due.id)
        if nomination is None or nomination.state != NominationState.OPEN:
            session.rollback()  # another run closed it first
            continue
        card = _card(session, nomination, rules)
        nomination.state = NominationState.APPROVED if card.tally.approved else NominationState.REJECTED
        nomination.closed_at = now
        session.add(nomination)
        if card.tally.approved and card.is_expansion:
            card.granted = _add_grants(session, nomination, now=now)
        elif card.tally.approved:
            card.created = _add_nominee(session, nomination, now=now)
        audit(
            session,
            now,
            "ccbot",
            f"nomination.{nomination.state}",
            nomination.nominee_github,
            yes=str(card.tally.yes),
            no=str(card.tally.no),
        )
        messages = closed_messages(session, card, channels=channels)
        # The new committer's standing is computed, and anyone whose standing moved is told.
        messages += status_change_messages(session, today=now.date(), channels=channels)
        closed.append(Decided(card, commit(session, messages, now=now)))
    return closed


def closed_messages(session: Session, card: NominationCard, *, channels: Channels) -> list[Outgoing | None]:
    """Return what closing implies: the result in the post's thread, the post's redraw, the admins' checklist."""
    messages: list[Outgoing | None] = [
        reply(Kind.NOMINATION_RESULT, [card.id], card.subject, views.result_text(card)),
        redraw_nomination(card),
    ]
    if card.granted:
        text = views.expansion_checklist_text(card)
        messages += [
            dm(Kind.NOMINATION_CHECKLIST, [card.id, admin], admin, text)
            for admin in admin_ids(session, channels)
        ]
        if card.expands is not None:
            messages.append(
                dm(
                    Kind.EXPANSION_GRANTED,
                    [card.id],
                    card.expands.slack_user_id,
                    views.expansion_granted_text(card),
                )
            )
    if card.created is not None:
        text = views.checklist_text(card, champions_needed=current_policy(session).champions_required)
        messages += [
            dm(Kind.NOMINATION_CHECKLIST, [card.id, admin], admin, text)
            for admin in admin_ids(session, channels)
        ]
    return messages


def _add_grants(session: Session, nomination: Nomination, *, now: dt.datetime) -> list[str]:
    """Grant an approved expansion's repositories to its committer (grants only: identity and roles untouched)."""
    person = roster_store.get_person(session, nomination.expands_person_id or 0)
    if person is None or person.removed_on is not None:
        return []  # gone or an alumnus since the proposal: nothing to grant
    held = {repo.key for _, repo in roster_store.list_active_grants(session, person.id or 0) if repo}
    granted = []
    for full_name in nomination.repos:
        repo = roster_store.get_or_add_repo(session, full_name)
        if repo.key in held:
            continue
        roster_store.add_grant(
            session,
            CommitGrant(person_id=person.id or 0, repo_id=repo.id, granted_on=now.date(), source="expansion"),
        )
        held.add(repo.key)
        granted.append(repo.full_name)
    audit(session, now, "ccbot", "expansion.granted", person.github, repos=",".join(granted))
    return granted


def expansion_candidate(session: Session, slack_user_id: str | None) -> Person | None:
    """Return the active committer a `/cc-nominate @user` names, when it proposes more repositories for them."""
    person = roster_store.get_person_by_slack_id(session, slack_user_id) if slack_user_id else None
    return person if person is not None and _is_active_committer(session, person) else None


def _add_nominee(session: Session, nomination: Nomination, *, now: dt.datetime) -> Person | None:
    if roster_store.get_person_by_github(session, nomination.nominee_github) is not None:
        # Added by someone else during the comment period: never take over an existing identity.
        return None
    person = roster_store.add_person(session, github=nomination.nominee_github, name=nomination.nominee_name)
    if (
        nomination.nominee_slack_id
        and roster_store.get_person_by_slack_id(session, nomination.nominee_slack_id) is None
    ):
        person.slack_user_id = nomination.nominee_slack_id
    if nomination.nominee_organization:
        org = roster_store.get_organization_by_name(session, nomination.nominee_organization)
        person.organization_id = (
            org or roster_store.add_organization(session, name=nomination.nominee_organization)
        ).id
    roster_store.set_roles(session, person.id or 0, {Role.COMMITTER})
    for full_name in nomination.repos:
        repo = roster_store.get_or_add_repo(session, full_name)
        roster_store.add_grant(
            session,
            CommitGrant(
                person_id=person.id or 0, repo_id=repo.id, granted_on=now.date(), source="nomination"
            ),
        )
    return person
