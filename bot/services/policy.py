"""The policy in force: the phase and NDA setting stored in the database, read as a `PhasePolicy`."""

from __future__ import annotations

from sqlmodel import Session

from bot.types.policy import PhasePolicy, policy_for
from storage.models import Phase
from storage.program import get_program_setting

PHASE_KEY = "phase"
NDA_REQUIRED_KEY = "nda_required"


def current_policy(session: Session) -> PhasePolicy:
    """Return the policy for the phase stored in the database (pilot by default)."""
    phase = Phase(get_program_setting(session, PHASE_KEY, Phase.PILOT))
    return policy_for(phase, nda_required=get_program_setting(session, NDA_REQUIRED_KEY))
