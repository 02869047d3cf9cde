"""A committer's standing (onboarding, active, lapsed, alumni) derived from agreements and champions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.types.policy import PhasePolicy
from bot.types.standing import Gap, Standing
from storage.models import Agreement, AgreementKind, Organization, Role, Status


def is_valid(agreement: Agreement, today: dt.date) -> bool:
    """Whether an agreement is in force on `today` (an agreement ends on its expiry date)."""
    signed_ok = agreement.signed_on is None or agreement.signed_on <= today
    return signed_ok and (agreement.expires_on is None or today < agreement.expires_on)


def derive_standing(
    *,
    roles: Iterable[str],
    removed_on: dt.date | None,
    agreements: Iterable[Agreement],
    organization: Organization | None,
    organization_agreements: Iterable[Agreement],
    champion_count: int,
    policy: PhasePolicy,
    today: dt.date,
) -> Standing:
    """Return a person's standing as the product brief defines it."""
    if removed_on is not None and removed_on <= today:
        return Standing(Status.ALUMNI)
    if Role.COMMITTER not in set(roles):
        return Standing(Status.ACTIVE)
    own = list(agreements)
    org_entity = [a for a in organization_agreements if a.kind == AgreementKind.ENTITY]
    provider_employee = organization is not None and organization.is_provider
    gaps: list[Gap] = []
    for kind in policy.required_agreements(provider_employee=provider_employee):
        candidates = [a for a in own if a.kind == kind]
        if kind is AgreementKind.ENTITY:
            candidates += org_entity
        if any(is_valid(a, today) for a in candidates):
            continue
        ended = [a.expires_on for a in candidates if a.expires_on is not None and a.expires_on <= today]
        gaps.append(Gap(agreement=kind, expired_on=max(ended) if ended else None))
    if champion_count < policy.champions_required:
        gaps.append(Gap(champions_missing=policy.champions_required - champion_count))
    if any(gap.is_expired_agreement for gap in gaps):
        return Standing(Status.LAPSED, gaps)
    return Standing(Status.ONBOARDING if gaps else Status.ACTIVE, gaps)
