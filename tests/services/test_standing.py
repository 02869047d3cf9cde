"""A committer's standing, derived from agreements, the employer and champions."""

from __future__ import annotations

import datetime as dt

from bot.services.standing import derive_standing
from bot.types.policy import policy_for
from bot.types.standing import Gap
from storage.models import Agreement, AgreementKind, Organization, Phase, Status

TODAY = dt.date(2026, 11, 26)
PILOT = policy_for(Phase.PILOT)


def _agreement(
    kind: str, expires: dt.date | None = None, signed: dt.date | None = dt.date(2026, 1, 1)
) -> Agreement:
    return Agreement(kind=kind, person_id=1, signed_on=signed, expires_on=expires)


def _standing(
    agreements, *, org=None, org_agreements=(), champions=2, policy=PILOT, roles=("committer",), removed=None
):
    return derive_standing(
        roles=roles,
        removed_on=removed,
        agreements=agreements,
        organization=org,
        organization_agreements=org_agreements,
        champion_count=champions,
        policy=policy,
        today=TODAY,
    )


def test_all_agreements_and_two_champions_make_a_committer_active() -> None:
    assert _standing([_agreement("individual"), _agreement("nda")]).status is Status.ACTIVE


def test_a_provider_employee_also_needs_an_entity_agreement_which_the_org_may_hold() -> None:
    provider = Organization(id=5, name="OpenCraft", is_provider=True)
    missing = _standing([_agreement("individual"), _agreement("nda")], org=provider)
    assert missing.status is Status.ONBOARDING
    assert missing.gaps == [Gap(agreement=AgreementKind.ENTITY)]
    org_entity = Agreement(kind="entity", organization_id=5, signed_on=dt.date(2025, 12, 1))
    covered = _standing(
        [_agreement("individual"), _agreement("nda")], org=provider, org_agreements=[org_entity]
    )
    assert covered.status is Status.ACTIVE


def test_an_expired_required_agreement_makes_a_committer_lapsed() -> None:
    standing = _standing([_agreement("individual", expires=TODAY), _agreement("nda")])
    assert standing.status is Status.LAPSED
    assert standing.gaps == [Gap(agreement=AgreementKind.INDIVIDUAL, expired_on=TODAY)]


def test_a_renewal_restores_active() -> None:
    renewed = [
        _agreement("individual", expires=TODAY),
        _agreement("individual", signed=TODAY),
        _agreement("nda"),
    ]
    assert _standing(renewed).status is Status.ACTIVE


def test_an_agreement_signed_in_the_future_does_not_count_yet() -> None:
    future = [_agreement("individual", signed=TODAY + dt.timedelta(days=1)), _agreement("nda")]
    assert _standing(future).status is Status.ONBOARDING


def test_missing_champions_keep_a_committer_onboarding_in_pilot_but_not_in_scale() -> None:
    agreements = [_agreement("individual"), _agreement("nda")]
    pilot = _standing(agreements, champions=1)
    assert pilot.status is Status.ONBOARDING
    assert pilot.gaps == [Gap(champions_missing=1)]
    assert _standing(agreements, champions=0, policy=policy_for(Phase.SCALE)).status is Status.ACTIVE


def test_the_nda_requirement_can_be_switched_off() -> None:
    no_nda = policy_for(Phase.SCALE, nda_required=False)
    assert _standing([_agreement("individual")], policy=no_nda).status is Status.ACTIVE


def test_non_committers_and_alumni() -> None:
    assert _standing([], roles=("champion",)).status is Status.ACTIVE
    assert _standing([_agreement("individual"), _agreement("nda")], removed=TODAY).status is Status.ALUMNI
