"""A committer's standing (onboarding, active, lapsed, alumni) derived from agreements and champions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.services.keys import Kind
from bot.services.outbox import commit, post
from bot.services.policy import PhasePolicy
from bot.views import status as views
from bot.views.text import mrkdwn
from storage.models import Agreement, AgreementKind, Organization, Role, Status


@dataclass(frozen=True)
class Gap:
    """One thing a committer lacks: an agreement (missing or expired) or champions."""

    agreement: AgreementKind | None = None
    expired_on: dt.date | None = None
    champions_missing: int = 0

    @property
    def is_expired_agreement(self) -> bool:
        """Whether this gap is an agreement that existed and has expired."""
        return self.agreement is not None and self.expired_on is not None


@dataclass(frozen=True)
class Standing:
    """A status and the gaps that explain it (empty when active)."""

    status: Status
    gaps: list[Gap] = field(default_factory=list)


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
    if Role.COMMITTER.value not in set(roles):
        return Standing(Status.ACTIVE)
    own = list(agreements)
    org_entity = [a for a in organization_agreements if a.kind == AgreementKind.ENTITY.value]
    provider_employee = organization is not None and organization.is_provider
    gaps: list[Gap] = []
    for kind in policy.required_agreements(provider_employee=provider_employee):
        candidates = [a for a in own if a.kind == kind.value]
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


def answer_direct_message(session: Session, *, channel: str, ts: str, now: dt.datetime) -> tuple[str, ...]:
    """Answer a message sent to the bot's DM with the list of commands (once per message); return the keys."""
    blocks = views.help_blocks()
    text = mrkdwn(
        "I answer slash commands rather than messages. Here is what I can do: {commands}",
        commands=views.blocks_to_text(blocks),
    )
    message = post(Kind.DM_HELP, [channel, ts], channel, text, blocks=blocks)
    return commit(session, [message], now=now)
