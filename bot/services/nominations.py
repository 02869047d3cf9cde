"""Nominations (phase 2 on): proposing a committer, voting through the comment period, closing by the rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.services.errors import FieldErrors, NotOnRoster, UserError
from bot.services.limits import REASON_MAX
from bot.services.owners import REPO_NAME
from bot.services.policy import NominationRules, current_policy
from bot.services.roster import refresh_statuses
from storage import nominations as store
from storage import roster as roster_store
from storage.audit import add_audit_entry
from storage.models import CommitGrant, Nomination, NominationState, NominationVote, Person, Role, Status


@dataclass(frozen=True)
class Tally:
    """The votes on a nomination and what they mean under the rules."""

    yes: int
    no: int
    outside_yes: int
    rules: NominationRules

    @property
    def approved(self) -> bool:
        """Whether the nomination passes: enough yes, no `no`, and a yes from outside the nominee's organisation."""
        return self.no == 0 and self.yes >= self.rules.min_yes and self.outside_yes >= self.rules.outside_yes

    def missing(self) -> list[str]:
        """Say what keeps the nomination from passing."""
        reasons = []
        if self.no:
            reasons.append(f"{self.no} no vote{'s' if self.no != 1 else ''}")
        if self.yes < self.rules.min_yes:
            reasons.append(f"{self.yes} of {self.rules.min_yes} yes votes")
        if self.outside_yes < self.rules.outside_yes:
            reasons.append("no yes vote from outside the nominee's organisation")
        return reasons


@dataclass
class NominationCard:
    """A nomination with its nominator and tally."""

    nomination: Nomination
    nominated_by: Person | None
    tally: Tally
    created: Person | None = None
    champions: list[Person] = field(default_factory=list)

    @property
    def id(self) -> int:
        """The nomination's id."""
        assert self.nomination.id is not None
        return self.nomination.id


def _is_active_committer(session: Session, person: Person) -> bool:
    roles = roster_store.list_roles(session, person.id or 0)
    return (
        Role.COMMITTER.value in roles and person.status == Status.ACTIVE.value and person.removed_on is None
    )


def check_can_nominate(session: Session, person: Person | None) -> Person:
    """Return the nominator when nominations are open to them; UserError saying why otherwise."""
    if person is None or person.id is None:
        raise NotOnRoster("Only people on the Core Committer roster can nominate; `/cc` says how to join.")
    if not current_policy(session).nominations_open:
        raise UserError(
            "Nominations open in the program's *establish* phase; the program is still in its pilot. An admin moves the phase with `/cc-admin`."
        )
    roles = roster_store.list_roles(session, person.id)
    if _is_active_committer(session, person) or roles & {Role.CHAMPION.value, Role.ADMIN.value}:
        return person
    raise UserError(
        "Active core committers, champions and admins can nominate; ask one of them to nominate the person."
    )


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
) -> NominationCard:
    """Open a nomination for the comment period; the sponsor's own yes counts (committed)."""
    sponsor = check_can_nominate(session, person)
    handle = github.strip().lstrip("@")
    errors: dict[str, str] = {}
    if not handle or " " in handle:
        errors["github"] = "Give the nominee's GitHub handle."
    else:
        existing = roster_store.get_person_by_github(session, handle)
        if (
            existing is not None
            and existing.id
            and Role.COMMITTER.value in roster_store.list_roles(session, existing.id)
            and existing.removed_on is None
        ):
            errors["github"] = f"{existing.github} is already a core committer."
        elif store.find_open_nomination(session, handle) is not None:
            errors["github"] = f"{handle} already has an open nomination."
    cleaned = [r.strip().removeprefix("https://github.com/").strip("/") for r in repos if r.strip()]
    bad = [r for r in cleaned if not REPO_NAME.match(r)]
    if not cleaned:
        errors["repos"] = "Name the repositories (org/repo), separated by spaces or commas."
    elif bad:
        errors["repos"] = f"{', '.join(bad[:3])}: write repositories as org/repo."
    text = reason.strip()
    if not text:
        errors["reason"] = "Say why: contributions, reviews, commitment."
    elif len(text) > REASON_MAX:
        errors["reason"] = f"Keep the reason under {REASON_MAX} characters."
    if errors:
        raise FieldErrors(errors)
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
            closes_at=now + dt.timedelta(days=rules.days),
        ),
    )
    if _is_active_committer(session, sponsor):
        store.put_vote(
            session,
            NominationVote(nomination_id=nomination.id or 0, voter_id=sponsor.id or 0, yes=True, at=now),
        )
    add_audit_entry(
        session,
        at=now,
        actor=sponsor.github,
        action="nomination.opened",
        subject=handle,
        details={"repos": ",".join(cleaned)},
    )
    session.commit()
    return get_nomination_card(session, nomination.id or 0, rules)


def get_nomination_card(session: Session, nomination_id: int, rules: NominationRules) -> NominationCard:
    """Return a nomination with its nominator and current tally."""
    nomination = store.get_nomination(session, nomination_id)
    if nomination is None:
        raise UserError("That nomination no longer exists; the coordination channel has the current ones.")
    sponsor = (
        roster_store.get_person(session, nomination.nominated_by_id) if nomination.nominated_by_id else None
    )
    return NominationCard(nomination, sponsor, Tally(*store.tally(session, nomination), rules=rules))


def cast_vote(
    session: Session,
    nomination_id: int,
    person: Person | None,
    *,
    yes: bool,
    now: dt.datetime,
    rules: NominationRules,
) -> NominationCard:
    """Record (or change) an active committer's vote while the nomination is open."""
    if person is None or person.id is None:
        raise NotOnRoster("Only core committers on the roster vote on nominations; `/cc` says how to join.")
    nomination = store.get_nomination(session, nomination_id)
    if nomination is None:
        raise UserError("That nomination no longer exists; the coordination channel has the current ones.")
    if nomination.state != NominationState.OPEN.value or nomination.closes_at <= now:
        raise UserError("Voting on this nomination has closed; the result is in its thread.")
    if person.github_key == nomination.nominee_github.lower():
        raise UserError("You cannot vote on your own nomination; the others vote until it closes.")
    if not _is_active_committer(session, person):
        raise UserError("Only active core committers vote on nominations; `/cc` shows your standing.")
    store.put_vote(session, NominationVote(nomination_id=nomination_id, voter_id=person.id, yes=yes, at=now))
    add_audit_entry(
        session,
        at=now,
        actor=person.github,
        action="nomination.vote",
        subject=f"nomination:{nomination_id}",
        details={"yes": str(yes)},
    )
    session.commit()
    return get_nomination_card(session, nomination_id, rules)


def close_due_nominations(
    session: Session, *, now: dt.datetime, rules: NominationRules
) -> list[NominationCard]:
    """Close nominations at the end of their period; an approved nominee joins the roster as onboarding."""
    closed = []
    for nomination in store.list_due_nominations(session, now=now):
        card = get_nomination_card(session, nomination.id or 0, rules)
        nomination.state = (
            NominationState.APPROVED if card.tally.approved else NominationState.REJECTED
        ).value
        nomination.closed_at = now
        session.add(nomination)
        if card.tally.approved:
            card.created = _add_nominee(session, nomination, now=now)
        add_audit_entry(
            session,
            at=now,
            actor="ccbot",
            action=f"nomination.{nomination.state}",
            subject=nomination.nominee_github,
            details={"yes": str(card.tally.yes), "no": str(card.tally.no)},
        )
        session.commit()
        closed.append(card)
    return closed


def _add_nominee(session: Session, nomination: Nomination, *, now: dt.datetime) -> Person:
    person = roster_store.get_person_by_github(session, nomination.nominee_github)
    if person is None:
        person = roster_store.add_person(
            session, github=nomination.nominee_github, name=nomination.nominee_name
        )
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
    person.removed_on = None
    roster_store.set_roles(
        session, person.id or 0, {*roster_store.list_roles(session, person.id or 0), Role.COMMITTER.value}
    )
    for full_name in nomination.repos:
        repo = roster_store.get_or_add_repo(session, full_name)
        roster_store.add_grant(
            session,
            CommitGrant(
                person_id=person.id or 0, repo_id=repo.id, granted_on=now.date(), source="nomination"
            ),
        )
    refresh_statuses(session, today=now.date())
    return person


def record_nomination_post(session: Session, nomination_id: int, *, channel: str, ts: str) -> None:
    """Remember where a nomination was posted (committed)."""
    nomination = store.get_nomination(session, nomination_id)
    if nomination is not None:
        nomination.channel, nomination.ts = channel, ts
        session.add(nomination)
        session.commit()
