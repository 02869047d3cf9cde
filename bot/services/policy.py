"""What each program phase changes, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from storage.models import AgreementKind, Phase
from storage.program import get_program_setting

PHASE_KEY = "phase"
NDA_REQUIRED_KEY = "nda_required"


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


def current_policy(session: Session) -> PhasePolicy:
    """Return the policy for the phase stored in the database (pilot by default)."""
    phase = Phase(get_program_setting(session, PHASE_KEY, Phase.PILOT.value))
    return policy_for(phase, nda_required=get_program_setting(session, NDA_REQUIRED_KEY))
