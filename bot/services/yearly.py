"""What App Home and the weekly digest show of the program's yearly life: one's own agreements, reminders
and recommitments; for the digest (which admins and managers also see in App Home), the rounds'
progress and who is inactive."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.services.agreements import my_agreements
from bot.services.membership import inactivity_summary
from bot.services.quiet import quiet_summary
from bot.services.renewals import my_renewals, renewal_progress
from bot.services.roster import list_admins
from bot.types.agreements import AgreementStatus
from bot.types.membership import InactivitySummary
from bot.types.policy import LifecyclePolicy, Policy
from bot.types.quiet import QuietSummary
from bot.types.renewals import MemberCard, RoundProgress
from storage import roster as roster_store
from storage.models import Person, Role


@dataclass
class YearlyHome:
    """One person's share of the yearly cycle in App Home; the admins' overview when they are admins."""

    agreements: list[AgreementStatus] = field(default_factory=list)
    admins: list[Person] = field(default_factory=list)
    quiet: QuietSummary | None = None
    to_answer: list[MemberCard] = field(default_factory=list)


@dataclass
class YearlyOverview:
    """The rounds in progress and the inactive committers, for admins (App Home) and managers (the digest)."""

    rounds: list[RoundProgress]
    inactivity: InactivitySummary


def yearly_overview(session: Session, *, now: dt.datetime, policy: LifecyclePolicy) -> YearlyOverview:
    """Return the rounds open or just closed, with who answered what, and the committers inactive now."""
    return YearlyOverview(
        rounds=renewal_progress(session, now=now),
        inactivity=inactivity_summary(session, now=now, policy=policy),
    )


def yearly_home(session: Session, person: Person, *, now: dt.datetime, policy: Policy) -> YearlyHome:
    """Return what App Home shows this person of the yearly cycle."""
    assert person.id is not None
    roles = roster_store.list_powers(session, person.id)
    home = YearlyHome(admins=list_admins(session), to_answer=my_renewals(session, person, now=now))
    if Role.COMMITTER.value in roles:
        home.agreements = my_agreements(session, person.id, today=now.date())
    if person.removed_on is None:
        home.quiet = quiet_summary(session, person, now=now, hours=policy.hours)
    return home
