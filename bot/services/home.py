"""What App Home shows each person, by role: their status, their queue, the week's numbers, roster health."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.services.activity import Activity, get_activity, permalinks
from bot.services.digest import Digest, Expiring, build_digest
from bot.services.keys import Subject
from bot.services.policy import Policy
from bot.services.reminders import OnboardingGaps
from bot.services.roster import Profile, get_profile
from bot.services.yearly import YearlyHome, yearly_home
from storage import escalations as escalation_store
from storage import roster as roster_store
from storage.models import Escalation, Person, Role


@dataclass
class RosterHealth:
    """What an admin must fix: onboarding blockers, agreements ending soon, committers short of champions."""

    onboarding: list[OnboardingGaps]
    expiring: list[Expiring]
    short_of_champions: list[tuple[Person, int]]
    champions_required: int


@dataclass
class HomeData:
    """Everything one person's App Home shows."""

    profile: Profile
    activity: Activity
    digest: Digest | None = None
    overdue: list[Escalation] = field(default_factory=list)
    health: RosterHealth | None = None
    yearly: YearlyHome | None = None

    @property
    def roles(self) -> set[str]:
        """The person's roles."""
        return set(self.profile.roles)


def build_home(
    session: Session, person_id: int, *, now: dt.datetime, policy: Policy | None = None
) -> HomeData:
    """Return the App Home data for a person, with the sections their roles call for."""
    profile = get_profile(session, person_id, today=now.date())
    policy = policy or Policy()
    activity = get_activity(session, person_id, now=now, web_url=policy.github.web_url)
    data = HomeData(profile=profile, activity=activity)
    data.yearly = yearly_home(session, profile.person, now=now, policy=policy)
    roles = set(profile.roles)
    if roles & {Role.MANAGER.value, Role.ADMIN.value}:
        data.digest = build_digest(session, now=now, lifecycle=policy.lifecycle)
        data.overdue = escalation_store.list_overdue_escalations(session)
        data.activity.links.update(permalinks(session, [Subject.escalation(e.id or 0) for e in data.overdue]))
    if Role.ADMIN.value in roles:
        assert data.digest is not None
        required = profile.policy.champions_required
        counts = Counter(a.committer_id for a in roster_store.active_assignments(session))
        committers = roster_store.list_people_with_role(session, Role.COMMITTER.value)
        short = [(p, counts[p.id or 0]) for p in committers if counts[p.id or 0] < required]
        data.health = RosterHealth(data.digest.onboarding, data.digest.expiring, short, required)
    return data
