"""What App Home and the weekly digest show of the program's yearly life: one's own agreements, reminders
and recommitments; for the digest (which admins and managers also see in App Home), the rounds'
progress and who is inactive."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.services.agreements import my_agreements
from bot.services.membership import inactivity_summary
from bot.services.quiet import quiet_summary
from bot.services.renewals import my_renewals, renewal_progress
from bot.services.roster import list_admins
from bot.types.policy import LifecyclePolicy, Policy
from bot.types.yearly import YearlyHome, YearlyOverview
from storage import roster as roster_store
from storage.models import Person, Role


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
    if Role.COMMITTER in roles:
        home.agreements = my_agreements(session, person.id, today=now.date())
    if person.removed_on is None:
        home.quiet = quiet_summary(session, person, now=now, hours=policy.hours)
    return home
