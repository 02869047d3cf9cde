"""SQLModel tables, one module per feature; every name is re-exported here, so importing this package
registers every table on `SQLModel.metadata` (Alembic and the tests rely on it)."""

from __future__ import annotations

from storage.models.access import (
    AccessCause,
    AccessChange,
    AccessNotice,
    AccessOp,
    AccessPlanRecord,
    GitHubAccess,
    TeamAccessState,
)
from storage.models.activity import GITHUB_KINDS, Activity, ActivityKind
from storage.models.agreements import AgreementAction, AgreementEvent
from storage.models.areas import AreaRepo, AreaResponder, RepoArea
from storage.models.audit import AuditEntry
from storage.models.columns import enum_column, utc_column
from storage.models.directory import ResolutionMode, ResolutionState, SlackResolution
from storage.models.escalations import Escalation, EscalationState, EscalationStep
from storage.models.events import HookDelivery, SlackEvent
from storage.models.github import GitHubActivity, GitHubDelivery, ReviewAsk, ReviewAskState
from storage.models.membership import InactivityDecision, InactivityProposal
from storage.models.nominations import Nomination, NominationState, NominationVote
from storage.models.notices import DeploymentEvent, DeploymentEventKind, DeploymentNotice, NoticeState
from storage.models.operations import JobRun
from storage.models.outbox import OutboxLane, OutboxMessage, OutboxOp, OutboxStatus, SlackBudget, SlackPosting
from storage.models.owners import OwnerIntro, RepoOwnership
from storage.models.program import Phase, ProgramSetting
from storage.models.questions import (
    Question,
    QuestionNudge,
    QuestionReply,
    QuestionResponder,
    QuestionState,
    Urgency,
)
from storage.models.quiet import ReminderHold, ReminderPreference
from storage.models.renewals import Renewal, RenewalAnswer, RenewalAudience, RenewalMember, RenewalOutcome
from storage.models.responsiveness import NudgeRating, NudgeRecipient, QuestionTurn, Turn, TurnCause
from storage.models.retros import Retro, RetroAudience, RetroParticipant, RetroResponse
from storage.models.roster import (
    Agreement,
    AgreementKind,
    ChampionAssignment,
    CommitGrant,
    Organization,
    Person,
    PersonRole,
    Repo,
    Role,
    Status,
)
from storage.models.submissions import Submission

__all__ = [
    "GITHUB_KINDS",
    "AccessCause",
    "AccessChange",
    "AccessNotice",
    "AccessOp",
    "AccessPlanRecord",
    "Activity",
    "ActivityKind",
    "Agreement",
    "AgreementAction",
    "AgreementEvent",
    "AgreementKind",
    "AreaRepo",
    "AreaResponder",
    "AuditEntry",
    "ChampionAssignment",
    "CommitGrant",
    "DeploymentEvent",
    "DeploymentEventKind",
    "DeploymentNotice",
    "Escalation",
    "EscalationState",
    "EscalationStep",
    "GitHubAccess",
    "GitHubActivity",
    "GitHubDelivery",
    "HookDelivery",
    "InactivityDecision",
    "InactivityProposal",
    "JobRun",
    "Nomination",
    "NominationState",
    "NominationVote",
    "NoticeState",
    "NudgeRating",
    "NudgeRecipient",
    "Organization",
    "OutboxLane",
    "OutboxMessage",
    "OutboxOp",
    "OutboxStatus",
    "OwnerIntro",
    "Person",
    "PersonRole",
    "Phase",
    "ProgramSetting",
    "Question",
    "QuestionNudge",
    "QuestionReply",
    "QuestionResponder",
    "QuestionState",
    "QuestionTurn",
    "ReminderHold",
    "ReminderPreference",
    "Renewal",
    "RenewalAnswer",
    "RenewalAudience",
    "RenewalMember",
    "RenewalOutcome",
    "Repo",
    "RepoArea",
    "RepoOwnership",
    "ResolutionMode",
    "ResolutionState",
    "Retro",
    "RetroAudience",
    "RetroParticipant",
    "RetroResponse",
    "ReviewAsk",
    "ReviewAskState",
    "Role",
    "SlackBudget",
    "SlackEvent",
    "SlackPosting",
    "SlackResolution",
    "Status",
    "Submission",
    "TeamAccessState",
    "Turn",
    "TurnCause",
    "Urgency",
    "enum_column",
    "utc_column",
]
