"""The program's rules as values: what each phase changes, the working hours, and the allowances and channels
set by settings."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from storage.models import AgreementKind, Phase, RenewalAudience, Urgency


@dataclass(frozen=True)
class WorkingHours:
    """The working day (local start and end) and the working weekdays (Monday is 0)."""

    start: dt.time = dt.time(9)
    end: dt.time = dt.time(17)
    weekdays: frozenset[int] = field(default_factory=lambda: frozenset(range(5)))


@dataclass(frozen=True)
class PhasePolicy:
    """The rules in force during one phase of the program."""

    phase: Phase
    champions_required: int
    nda_required: bool

    @property
    def routes_by_area(self) -> bool:
        """Whether questions go to repository areas and their rotations instead of champions."""
        return self.phase is Phase.SCALE

    @property
    def nominations_open(self) -> bool:
        """Whether committers may nominate new committers (from the establish phase on)."""
        return self.phase is not Phase.PILOT

    def required_agreements(self, *, provider_employee: bool) -> list[AgreementKind]:
        """Return the agreement kinds a committer needs, in the order they are explained."""
        kinds = [AgreementKind.INDIVIDUAL]
        if provider_employee:
            kinds.append(AgreementKind.ENTITY)
        if self.nda_required:
            kinds.append(AgreementKind.NDA)
        return kinds


def policy_for(phase: Phase, *, nda_required: bool | None = None) -> PhasePolicy:
    """Return the policy of `phase`; the NDA stays required unless switched off."""
    champions = 0 if phase is Phase.SCALE else 2
    return PhasePolicy(phase=phase, champions_required=champions, nda_required=nda_required is not False)


class Step(enum.IntEnum):
    """The rungs of the ladder, in order; each is taken at most once per question."""

    CHAMPIONS = 1
    SECOND_CHAMPION = 2
    MANAGEMENT = 3


@dataclass(frozen=True)
class SlaPolicy:
    """How long a question may wait, in working time, before each next step."""

    normal: dt.timedelta
    urgent: dt.timedelta
    hours: WorkingHours
    # Nudge DMs one person gets per day (their local day) at most; the step's thread note still posts.
    daily_nudge_cap: int = 5

    def allowance(self, urgency: str) -> dt.timedelta:
        """Return the working time allowed per step for a question of this urgency."""
        return self.urgent if urgency == Urgency.URGENT else self.normal


@dataclass(frozen=True)
class EscalationPolicy:
    """How long an escalation may wait for an acknowledgement, and for a resolution."""

    ack_normal: dt.timedelta
    ack_urgent: dt.timedelta
    renotify_limit: int
    resolve_after: dt.timedelta
    hours: WorkingHours


@dataclass(frozen=True)
class NominationRules:
    """OEP-54's rules, as settings: the comment period and the votes it needs."""

    days: int = 14
    min_yes: int = 5
    outside_yes: int = 1
    expansion_days: int = 7


@dataclass(frozen=True)
class LifecyclePolicy:
    """The yearly cycle's allowances: when recommitment rounds open and how long they run, and inactivity."""

    inactive_days: int = 183
    keep_days: int = 90
    renewal_days: int = 30
    # (audience, month, day) of each round that opens by itself every year.
    renewal_opens: tuple[tuple[RenewalAudience, int, int], ...] = ()


@dataclass(frozen=True)
class GitHubConfig:
    """GitHub as the settings describe it: the review label, the web address, access.yaml and its limits."""

    review_label: str = "cc-review-please"
    web_url: str = "https://github.com"
    access_config: str = "access.yaml"
    auto_apply: bool = False
    max_removals: int = 5
    max_additions: int = 10
    notice_days: int = 7
    owners: tuple[str, ...] = ()
    cc_label: str = "core contributor"
    # ORG/REPO:PATH of the public page (None: the weekly job does nothing) and the admins' "how to join" file.
    publish_target: str | None = None
    publish_about: str = "publish/about.md"


DEFAULT_HOURS = WorkingHours(start=dt.time(9), end=dt.time(17), weekdays=frozenset(range(5)))


@dataclass(frozen=True)
class Policy:
    """The allowances the program runs by, built once from settings and passed to services and jobs."""

    hours: WorkingHours = DEFAULT_HOURS
    sla: SlaPolicy = SlaPolicy(
        normal=dt.timedelta(hours=4), urgent=dt.timedelta(minutes=30), hours=DEFAULT_HOURS
    )
    escalation: EscalationPolicy = EscalationPolicy(
        ack_normal=dt.timedelta(hours=4),
        ack_urgent=dt.timedelta(minutes=15),
        renotify_limit=3,
        resolve_after=dt.timedelta(days=3),
        hours=DEFAULT_HOURS,
    )
    nomination: NominationRules = NominationRules()
    expiry_reminder_days: tuple[int, ...] = (30, 14, 7, 1)
    github: GitHubConfig = GitHubConfig()
    lifecycle: LifecyclePolicy = LifecyclePolicy()
    # CCBOT_RESPONSE_TARGET in business time: the target for the 75th percentile of time to first response.
    response_target: dt.timedelta = dt.timedelta(hours=8)


@dataclass(frozen=True)
class Channels:
    """Where the bot speaks: its channels, and the bootstrap admins' Slack ids (CCBOT_ADMINS)."""

    coordination: str | None = None
    management: str | None = None
    digest: str | None = None
    admins: tuple[str, ...] = field(default_factory=tuple)
