"""Texts of the scheduled reminders: agreement expiry, lapse and renewal, onboarding gaps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.views.text import AGREEMENT_NAMES, Mrkdwn, day, gap_text, join, join_some, mrkdwn, person_ref
from storage.models import AgreementKind, Person

if TYPE_CHECKING:
    from bot.types.reminders import ExpiryNotice, OnboardingGaps, StatusChange
    from bot.types.standing import Gap


def _when(notice: ExpiryNotice) -> str:
    days = notice.days_left
    return f"on {day(notice.expires_on)} ({'tomorrow' if days == 1 else f'in {days} days'})"


def _admins(admins: Sequence[Person]) -> Mrkdwn:
    return join(", ", [person_ref(a) for a in admins]) or mrkdwn("the program coordinator")


def _gap_lines(gaps: Sequence[Gap]) -> Mrkdwn:
    return join("\n", [mrkdwn("• {gap}", gap=gap_text(g)) for g in gaps])


def expiry_to_committer(notice: ExpiryNotice, admins: Sequence[Person]) -> Mrkdwn:
    """Tell a committer what expires, when, and how to renew it."""
    name = AGREEMENT_NAMES[notice.kind]
    if notice.kind is AgreementKind.ENTITY and notice.organization is not None:
        contact = (
            person_ref(notice.org_contact)
            if notice.org_contact
            else (notice.organization.contact_name or "your organisation's contact")
        )
        return mrkdwn(
            ":memo: The {name} of *{org}* ends {when}. Your commit rights depend on it: "
            "please ask {contact} to renew it with the program ({admins}). Reminders stop once the renewal is recorded.",
            name=name,
            org=notice.organization.name,
            when=_when(notice),
            contact=contact,
            admins=_admins(admins),
        )
    return mrkdwn(
        ":memo: Your {name} ends {when}. To keep your commit rights, sign the renewal: ask "
        "{admins} for it. Once it is recorded, `/cc` shows the new date and these reminders stop.",
        name=name,
        when=_when(notice),
        admins=_admins(admins),
    )


def expiry_to_champion(notice: ExpiryNotice, committer: Person) -> Mrkdwn:
    """Give a champion a heads-up about their committer's agreement."""
    return mrkdwn(
        ":memo: Heads-up: {who}'s {name} ends {when} and is not renewed yet. "
        "They have been reminded; a nudge from you may help.",
        who=person_ref(committer),
        name=AGREEMENT_NAMES[notice.kind],
        when=_when(notice),
    )


def expiry_to_contact(notice: ExpiryNotice) -> Mrkdwn:
    """Tell an organisation's contact that its entity agreement needs renewing."""
    assert notice.organization is not None
    return mrkdwn(
        ":memo: The {name} of *{org}* ends {when}. "
        "Its core committers ({who}) lose their standing unless it is renewed.",
        name=AGREEMENT_NAMES[notice.kind],
        org=notice.organization.name,
        when=_when(notice),
        who=join_some(", ", [person_ref(c) for c in notice.committers]),
    )


def lapsed_to_committer(change: StatusChange, admins: Sequence[Person]) -> Mrkdwn:
    """Tell a committer they have lapsed, and what to renew."""
    return mrkdwn(
        ":red_circle: Your core committer standing is now *lapsed*:\n{missing}\n"
        "Please renew with {admins}; your standing returns to active as soon as it is recorded.",
        missing=_gap_lines(change.gaps),
        admins=_admins(admins),
    )


def lapsed_to_manager(change: StatusChange) -> Mrkdwn:
    """Tell managers and admins a committer lapsed."""
    return mrkdwn(
        ":red_circle: {who} is now *lapsed*: {missing}",
        who=person_ref(change.person),
        missing="; ".join(gap_text(g) for g in change.gaps),
    )


def active_again(change: StatusChange) -> Mrkdwn:
    """Tell a committer their standing is active again."""
    return mrkdwn(
        ":large_green_circle: Your core committer standing is *active* again. Thank you for renewing!"
    )


def now_active(change: StatusChange) -> Mrkdwn:
    """Tell a committer their onboarding is complete and their standing is active."""
    return mrkdwn(
        ":large_green_circle: Your core committer onboarding is complete: your standing is now *active*. "
        "`/cc` shows your repositories and champions."
    )


def onboarding_reminder(stuck: OnboardingGaps, admins: Sequence[Person]) -> Mrkdwn:
    """Remind an onboarding committer of exactly what is missing."""
    return mrkdwn(
        ":wave: Your core committer onboarding is not finished yet. Still missing:\n{missing}\n"
        "{admins} can help; `/cc` shows your status.",
        missing=_gap_lines(stuck.gaps),
        admins=_admins(admins),
    )
