"""GitHub team access that follows the agreements: access.yaml, the plan (who in, who out and why, as of now),
applying exactly the plan reviewed, notice before removal, and the daily check.

`config` reads access.yaml; `plan` decides; `apply` writes to GitHub (recorded before, settled after, reconciled
when a run was cut short); `notices` announces removals; `drift` is the daily check and the admins' button.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.services.access.apply import (
    Applied,
    PlanMoved,
    ReviewedPlan,
    apply_plan,
    check_limits,
    check_unchanged,
    fresh_plan,
    read_plan,
    reconcile,
    record_access,
    write_plan,
)
from bot.services.access.config import AccessConfig, PerRepoRule, TeamRule, load_access_config
from bot.services.access.drift import (
    DRIFT_ACTOR,
    DriftOutcome,
    apply_posted_plan,
    check_access_drift,
)
from bot.services.access.plan import expand_rules, plan_access
from bot.types.access import AccessLine, AccessPlan, ApplyReport, Change, TeamPlan
from storage import access as store


def access_of(session: Session, person_id: int) -> list[AccessLine]:
    """Return a person's GitHub team access as last compared with the roster."""
    return [
        AccessLine(team=row.team, state=str(row.state), checked_on=row.checked_at.date())
        for row in store.list_access_of(session, person_id)
    ]


__all__ = [
    "DRIFT_ACTOR",
    "AccessConfig",
    "AccessPlan",
    "Applied",
    "ApplyReport",
    "Change",
    "DriftOutcome",
    "PerRepoRule",
    "PlanMoved",
    "ReviewedPlan",
    "TeamPlan",
    "TeamRule",
    "access_of",
    "apply_plan",
    "apply_posted_plan",
    "check_access_drift",
    "check_limits",
    "check_unchanged",
    "expand_rules",
    "fresh_plan",
    "load_access_config",
    "plan_access",
    "read_plan",
    "reconcile",
    "record_access",
    "write_plan",
]
