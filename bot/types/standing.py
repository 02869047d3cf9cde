"""A committer's standing as values: a status and the gaps (agreements, champions) that explain it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from storage.models import AgreementKind, Status


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
