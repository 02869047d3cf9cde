"""Texts of the scheduled reminders: agreement expiry, lapse and renewal, onboarding gaps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.views.text import AGREEMENT_NAMES, day, escape, gap_text, person_ref
from storage.models import AgreementKind, Person

if TYPE_CHECKING:
    from bot.types.reminders import ExpiryNotice, OnboardingGaps, StatusChange


def _when(notice: ExpiryNotice) -> str:
    days = notice.days_left
    return f"on {day(notice.expires_on)} ({'tomorrow' if days == 1 else f'in {days} days'})"


def _admins(admins: Sequence[Person]) -> str:
    return ", ".join(person_ref(a) for a in admins) or "the program coordinator"


def expiry_to_committer(notice: ExpiryNotice, admins: Sequence[Person]) -> str:
    """Tell a committer what expires, when, and how to renew it."""
    name = AGREEMENT_NAMES[notice.kind]
    if notice.kind is AgreementKind.ENTITY and notice.organization is not None:
        contact = (
            person_ref(notice.org_contact)
            if notice.org_contact
            else (escape(notice.organization.contact_name or "") or "your organisation's contact")
        )
        return (
            f":memo: The {name} of *{escape(notice.organization.name)}* ends {_when(notice)}. Your commit rights depend on it: "
            f"please ask {contact} to renew it with the program ({_admins(admins)}). Reminders stop once the renewal is recorded."
        )
    return (
        f":memo: Your {name} ends {_when(notice)}. To keep your commit rights, sign the renewal: ask "
        f"{_admins(admins)} for it. Once it is recorded, `/cc` shows the new date and these reminders stop."
    )


def expiry_to_champion(notice: ExpiryNotice, committer: Person) -> str:
    """Give a champion a heads-up about their committer's agreement."""
    return (
        f":memo: Heads-up: {person_ref(committer)}'s {AGREEMENT_NAMES[notice.kind]} ends {_when(notice)} and is not renewed yet. "
        "They have been reminded; a nudge from you may help."
    )


def expiry_to_contact(notice: ExpiryNotice) -> str:
    """Tell an organisation's contact that its entity agreement needs renewing."""
    assert notice.organization is not None
    who = ", ".join(person_ref(c) for c in notice.committers)
    return (
        f":memo: The {AGREEMENT_NAMES[notice.kind]} of *{escape(notice.organization.name)}* ends {_when(notice)}. "
        f"Its core committers ({who}) lose their standing unless it is renewed."
    )


def lapsed_to_committer(change: StatusChange, admins: Sequence[Person]) -> str:
    """Tell a committer they have lapsed, and what to renew."""
    missing = "\n".join(f"• {gap_text(g)}" for g in change.gaps)
    return (
        f":red_circle: Your core committer standing is now *lapsed*:\n{missing}\n"
        f"Please renew with {_admins(admins)}; your standing returns to active as soon as it is recorded."
    )


def lapsed_to_manager(change: StatusChange) -> str:
    """Tell managers and admins a committer lapsed."""
    missing = "; ".join(gap_text(g) for g in change.gaps)
    return f":red_circle: {person_ref(change.person)} is now *lapsed*: {missing}"


def active_again(change: StatusChange) -> str:
    """Tell a committer their standing is active again."""
    return ":large_green_circle: Your core committer standing is *active* again. Thank you for renewing!"


def now_active(change: StatusChange) -> str:
    """Tell a committer their onboarding is complete and their standing is active."""
    return (
        ":large_green_circle: Your core committer onboarding is complete: your standing is now *active*. "
        "`/cc` shows your repositories and champions."
    )


def onboarding_reminder(stuck: OnboardingGaps, admins: Sequence[Person]) -> str:
    """Remind an onboarding committer of exactly what is missing."""
    missing = "\n".join(f"• {gap_text(g)}" for g in stuck.gaps)
    return (
        f":wave: Your core committer onboarding is not finished yet. Still missing:\n{missing}\n"
        f"{_admins(admins)} can help; `/cc` shows your status."
    )
