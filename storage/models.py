"""SQLModel tables: the roster (people, organisations, repos, grants, champions, agreements) and the audit log."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlmodel import AutoString, Field, SQLModel

from storage.db import UTCDateTime


class Role(enum.StrEnum):
    """What a person does in the program; a person can hold several."""

    COMMITTER = "committer"
    CHAMPION = "champion"
    MANAGER = "manager"
    OWNER = "owner"
    ADMIN = "admin"


class Status(enum.StrEnum):
    """A person's standing; for committers it is derived from agreements and champions."""

    ONBOARDING = "onboarding"
    ACTIVE = "active"
    LAPSED = "lapsed"
    ALUMNI = "alumni"


class AgreementKind(enum.StrEnum):
    """The legal agreements the program tracks."""

    INDIVIDUAL = "individual"
    ENTITY = "entity"
    NDA = "nda"


class Phase(enum.StrEnum):
    """The program's phase, which decides champions, routing and required agreements."""

    PILOT = "pilot"
    ESTABLISH = "establish"
    SCALE = "scale"


class Urgency(enum.StrEnum):
    """How soon a question needs an answer; it sets the SLA."""

    NORMAL = "normal"
    URGENT = "urgent"


class QuestionState(enum.StrEnum):
    """Where a question stands in its thread."""

    OPEN = "open"
    CLAIMED = "claimed"
    ANSWERED = "answered"


class EscalationState(enum.StrEnum):
    """Where an escalation to management stands."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class OutboxStatus(enum.StrEnum):
    """Delivery state of a message the bot decided to send."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


def utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    """Return a Column for a timezone-aware UTC timestamp."""
    return Column(UTCDateTime(), nullable=nullable, index=index)


def enum_column(enum_type: type[enum.StrEnum], *, nullable: bool = False) -> Any:
    """Return a Column holding an enum by its value, as a plain string (no database enum type to migrate)."""
    return Column(
        SAEnum(
            enum_type, native_enum=False, length=16, values_callable=lambda kinds: [k.value for k in kinds]
        ),
        nullable=nullable,
    )


class Organization(SQLModel, table=True):
    """An employer of committers; providers' committers need an entity agreement."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    alias: str | None = Field(default=None, max_length=200, description="another name it goes by")
    is_provider: bool = Field(default=False)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=320)
    contact2_name: str | None = Field(default=None, max_length=200)
    contact2_email: str | None = Field(default=None, max_length=320)


class Person(SQLModel, table=True):
    """Someone on the roster, identified by GitHub handle and Slack user id."""

    __table_args__ = (
        Index("ix_person_organization", "organization_id", "github_key"),
        Index("ix_person_github_id", "github_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    github: str = Field(max_length=100)
    github_key: str = Field(max_length=100, unique=True, description="lower-cased GitHub handle")
    github_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, nullable=True),
        description="GitHub's account id: the person on GitHub, whatever their login is now",
    )
    name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320, index=True)
    slack_user_id: str | None = Field(default=None, max_length=32, unique=True)
    timezone: str | None = Field(default=None, max_length=64)
    title: str | None = Field(default=None, max_length=200)
    organization_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("organization.id", ondelete="SET NULL"))
    )
    manager_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("person.id", ondelete="SET NULL"))
    )
    status: str = Field(default=Status.ACTIVE.value, max_length=16, index=True)
    removed_on: dt.date | None = None
    away_until: dt.date | None = Field(
        default=None, description="skipped by responder rotations until this date"
    )


class PersonRole(SQLModel, table=True):
    """One role held by one person."""

    __tablename__ = "person_role"

    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    role: str = Field(max_length=16, primary_key=True, index=True)


class Repo(SQLModel, table=True):
    """A GitHub repository (`org/name`), or every repository of an org (`org/*`)."""

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=200)
    key: str = Field(max_length=200, unique=True, description="lower-cased full name")


class CommitGrant(SQLModel, table=True):
    """Commit rights of a person on a repository (or on a branch pattern across repositories)."""

    __tablename__ = "commit_grant"
    __table_args__ = (
        CheckConstraint("repo_id IS NOT NULL OR branch IS NOT NULL", name="grant_has_scope"),
        Index("ix_commit_grant_person_active", "person_id", "revoked_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False)
    )
    repo_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("repo.id", ondelete="CASCADE"), index=True)
    )
    branch: str | None = Field(default=None, max_length=200)
    granted_on: dt.date | None = None
    revoked_on: dt.date | None = None
    source: str = Field(default="", max_length=200)


class ChampionAssignment(SQLModel, table=True):
    """A champion looking after a committer, in an ordered slot, for a span of dates."""

    __tablename__ = "champion_assignment"
    __table_args__ = (
        Index("ix_champion_assignment_committer", "committer_id", "ended_on"),
        Index("ix_champion_assignment_champion", "champion_id", "ended_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    committer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False)
    )
    champion_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False)
    )
    slot: int = Field(default=1, ge=1)
    started_on: dt.date
    ended_on: dt.date | None = None


class Agreement(SQLModel, table=True):
    """A signed agreement held by a person or by an organisation."""

    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (organization_id IS NULL)", name="agreement_has_one_holder"),
        Index("ix_agreement_expires_on", "expires_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    person_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    )
    organization_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    )
    signed_on: dt.date | None = None
    expires_on: dt.date | None = None
    source: str = Field(default="", max_length=200)


class AuditEntry(SQLModel, table=True):
    """Who changed what, when: one row per change to the program's data."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(sa_column=utc_column(index=True))
    actor: str = Field(max_length=100)
    action: str = Field(max_length=64, index=True)
    subject: str = Field(max_length=200)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SlackEvent(SQLModel, table=True):
    """An Events API delivery already handled, so Slack's retries have no second effect."""

    __tablename__ = "slack_event"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: dt.datetime = Field(sa_column=utc_column())


class HookDelivery(SQLModel, table=True):
    """A signed webhook delivery already handled (its delivery id, signed body or signature), so a replay is a no-op."""

    __tablename__ = "hook_delivery"

    key: str = Field(primary_key=True, max_length=100)
    hook: str = Field(max_length=32)
    received_at: dt.datetime = Field(sa_column=utc_column(index=True))


class Submission(SQLModel, table=True):
    """One identity of a modal submission that created something: a key is taken once, so a repeat finds its subject.

    A submission has several keys (the Slack view it came from; its asker and content within a window), and the
    primary key makes two concurrent submissions sharing one key insert one row: the second waits, then fails.
    """

    key: str = Field(primary_key=True, max_length=100)
    subject: str = Field(max_length=64)
    submitted_at: dt.datetime = Field(sa_column=utc_column())


class ProgramSetting(SQLModel, table=True):
    """A program-wide setting changed at run time (the phase, for one)."""

    __tablename__ = "program_setting"

    key: str = Field(primary_key=True, max_length=64)
    value: Any = Field(sa_column=Column(JSON, nullable=False))


def _person_fk(*, nullable: bool = True, index: bool = False, ondelete: str = "SET NULL") -> Any:
    return Column(Integer, ForeignKey("person.id", ondelete=ondelete), nullable=nullable, index=index)


class Question(SQLModel, table=True):
    """A committer's question about a pull request, answered in a thread of the coordination channel."""

    __table_args__ = (
        Index("ix_question_state_asked", "state", "asked_at"),
        # Covering: the weekly digest reads response times and answerers from the index alone.
        Index("ix_question_asked_response", "asked_at", "first_response_at", "first_responder_id"),
        Index("ix_question_answered_by", "answered_at", "answered_by_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    committer_id: int = Field(sa_column=_person_fk(nullable=False, index=True, ondelete="CASCADE"))
    repo_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("repo.id", ondelete="SET NULL"), index=True)
    )
    pr_url: str = Field(max_length=500)
    pr_number: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    urgency: str = Field(default=Urgency.NORMAL.value, max_length=16)
    has_grant: bool = Field(default=True, description="whether the asker has commit rights on the repo")
    state: str = Field(default=QuestionState.OPEN.value, max_length=16)
    asked_at: dt.datetime = Field(sa_column=utc_column())
    claimed_by_id: int | None = Field(default=None, sa_column=_person_fk())
    claimed_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    first_response_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    first_responder_id: int | None = Field(default=None, sa_column=_person_fk())
    answered_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    answered_by_id: int | None = Field(default=None, sa_column=_person_fk())
    reopened_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    area_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("repo_area.id", ondelete="SET NULL"), nullable=True),
    )


class QuestionResponder(SQLModel, table=True):
    """Someone a question was routed to (the committer's champions in phases 1-2), in order."""

    __tablename__ = "question_responder"

    question_id: int = Field(
        sa_column=Column(Integer, ForeignKey("question.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    position: int = Field(default=1)


class QuestionReply(SQLModel, table=True):
    """A message posted in a question's thread, as Slack reported it."""

    __tablename__ = "question_reply"
    __table_args__ = (UniqueConstraint("question_id", "ts", name="uq_question_reply_ts"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(
        sa_column=Column(Integer, ForeignKey("question.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    ts: str = Field(max_length=32)
    slack_user_id: str = Field(max_length=32)
    person_id: int | None = Field(default=None, sa_column=_person_fk())
    at: dt.datetime = Field(sa_column=utc_column())


class QuestionNudge(SQLModel, table=True):
    """One step of a question's SLA ladder, taken once."""

    __tablename__ = "question_nudge"

    question_id: int = Field(
        sa_column=Column(Integer, ForeignKey("question.id", ondelete="CASCADE"), primary_key=True)
    )
    step: int = Field(primary_key=True)
    due_at: dt.datetime = Field(sa_column=utc_column())
    taken_at: dt.datetime = Field(sa_column=utc_column())
    target: str = Field(default="", max_length=200)


class RepoOwnership(SQLModel, table=True):
    """Who owns a repository: its catalog-info.yaml owner and its CODEOWNERS rules, as last synced."""

    __tablename__ = "repo_ownership"

    repo_id: int = Field(
        sa_column=Column(Integer, ForeignKey("repo.id", ondelete="CASCADE"), primary_key=True)
    )
    catalog_owner: str | None = Field(default=None, max_length=200)
    lifecycle: str | None = Field(default=None, max_length=32)
    component_type: str | None = Field(default=None, max_length=32)
    codeowners: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    synced_at: dt.datetime = Field(sa_column=utc_column())


class OwnerIntro(SQLModel, table=True):
    """A committer's request to be introduced to the technical owners of a repository or path."""

    __tablename__ = "owner_intro"
    __table_args__ = (Index("ix_owner_intro_lookup", "committer_id", "repo_id", "path"),)

    id: int | None = Field(default=None, primary_key=True)
    committer_id: int = Field(sa_column=_person_fk(nullable=False, ondelete="CASCADE"))
    repo_id: int = Field(sa_column=Column(Integer, ForeignKey("repo.id", ondelete="CASCADE"), nullable=False))
    path: str = Field(default="", max_length=500)
    owners: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    requested_at: dt.datetime = Field(sa_column=utc_column())


class OutboxOp(enum.StrEnum):
    """What delivering an outbox message does in Slack."""

    POST = "post"
    UPDATE = "update"
    UPLOAD = "upload"


class OutboxMessage(SQLModel, table=True):
    """A message the bot decided to send: written with the decision, delivered after, never lost or sent twice.

    A `post` with a `subject` becomes that subject's posting (a question's thread root, say); an `update`
    redraws the posting of its `subject`; a message with `after` waits until that subject is posted, and
    goes into its thread when `in_thread` is set.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_created", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True, description="one message per key: kind, subject, recipient")
    kind: str = Field(max_length=32, index=True)
    op: str = Field(default=OutboxOp.POST.value, max_length=16)
    channel: str = Field(max_length=32, description="a channel id, or a user id for a DM ('' for an update)")
    thread_ts: str | None = Field(default=None, max_length=32)
    subject: str | None = Field(default=None, max_length=100, index=True)
    after: str | None = Field(default=None, max_length=100)
    in_thread: bool = Field(default=False)
    text: str = Field(sa_column=Column(Text, nullable=False))
    blocks: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    file_name: str | None = Field(
        default=None, max_length=200, description="set: `text` is uploaded as this file"
    )
    fallback: dict[str, Any] | None = Field(
        default=None,
        sa_column=Column(JSON, nullable=True),
        description="sent instead when this fails for good",
    )
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=16)
    version: int = Field(default=0, description="bumped when a redraw replaces the content before delivery")
    attempts: int = Field(default=0)
    created_at: dt.datetime = Field(sa_column=utc_column())
    claimed_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    next_attempt_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    sent_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, max_length=500)


class SlackPosting(SQLModel, table=True):
    """Where a thing the bot posted lives in Slack: a question's thread root, an escalation's post, ..."""

    __tablename__ = "slack_posting"
    __table_args__ = (UniqueConstraint("channel", "ts", name="uq_slack_posting_message"),)

    subject: str = Field(primary_key=True, max_length=100, description="what was posted, e.g. question:12")
    channel: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    permalink: str | None = Field(default=None, max_length=500)
    posted_at: dt.datetime = Field(sa_column=utc_column())


class Escalation(SQLModel, table=True):
    """An impediment raised to engineering management about one committer, owned by a manager until resolved."""

    __table_args__ = (Index("ix_escalation_state_opened", "state", "opened_at"),)

    id: int | None = Field(default=None, primary_key=True)
    committer_id: int = Field(sa_column=_person_fk(nullable=False, index=True, ondelete="CASCADE"))
    raised_by_id: int | None = Field(default=None, sa_column=_person_fk())
    question_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("question.id", ondelete="SET NULL"), index=True)
    )
    summary: str = Field(max_length=200)
    impact: str = Field(sa_column=Column(Text, nullable=False))
    repo_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("repo.id", ondelete="SET NULL"))
    )
    pr_url: str | None = Field(default=None, max_length=500)
    source_url: str | None = Field(default=None, max_length=500, description="the Slack message it came from")
    urgency: str = Field(default=Urgency.NORMAL.value, max_length=16)
    state: str = Field(default=EscalationState.OPEN.value, max_length=16)
    opened_at: dt.datetime = Field(sa_column=utc_column())
    owner_id: int | None = Field(default=None, sa_column=_person_fk(), description="the manager who has it")
    acknowledged_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    acknowledged_by_id: int | None = Field(default=None, sa_column=_person_fk())
    resolved_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    resolved_by_id: int | None = Field(default=None, sa_column=_person_fk())
    resolution: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class EscalationStep(SQLModel, table=True):
    """One step of an escalation's acknowledgement ladder (or its resolve reminder), taken once."""

    __tablename__ = "escalation_step"

    escalation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("escalation.id", ondelete="CASCADE"), primary_key=True)
    )
    step: int = Field(primary_key=True)
    due_at: dt.datetime = Field(sa_column=utc_column())
    taken_at: dt.datetime = Field(sa_column=utc_column())
    target: str = Field(default="", max_length=200)


class DeploymentEventKind(enum.StrEnum):
    """What the deployment pipeline reports."""

    DEPLOYED_STAGE = "deployed_stage"
    DEPLOYED_PRODUCTION = "deployed_production"
    DEPLOY_FAILED = "deploy_failed"
    ROLLED_BACK = "rolled_back"
    ESCAPED_ISSUE = "escaped_issue"


class NoticeState(enum.StrEnum):
    """Where a production notice to a committer stands."""

    RECORDED = "recorded"
    NOTIFIED = "notified"
    REVERTING = "reverting"
    NOT_MINE = "not_mine"
    HELP = "help"
    REVERTED = "reverted"


class RetroAudience(enum.StrEnum):
    """Who is invited to a retrospective."""

    ALL = "all"
    CCS = "ccs"
    CHAMPIONS = "champions"


class Retro(SQLModel, table=True):
    """A retrospective of the program (Liked, Lacked, Learned, Longed for), open until it closes."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    audience: str = Field(default=RetroAudience.ALL.value, max_length=16)
    opened_at: dt.datetime = Field(sa_column=utc_column())
    closes_at: dt.datetime = Field(sa_column=utc_column(index=True))
    opened_by: str = Field(default="", max_length=100)
    closed_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class RetroParticipant(SQLModel, table=True):
    """Someone invited to a retrospective."""

    __tablename__ = "retro_participant"

    retro_id: int = Field(
        sa_column=Column(Integer, ForeignKey("retro.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )


class RetroResponse(SQLModel, table=True):
    """One participant's feedback; an anonymous one is never shown with their name (the id only counts it once)."""

    __tablename__ = "retro_response"
    __table_args__ = (UniqueConstraint("retro_id", "person_id", name="uq_retro_response_person"),)

    id: int | None = Field(default=None, primary_key=True)
    retro_id: int = Field(
        sa_column=Column(Integer, ForeignKey("retro.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    person_id: int = Field(sa_column=_person_fk(nullable=False, ondelete="CASCADE"))
    liked: str = Field(default="", sa_column=Column(Text, nullable=False))
    lacked: str = Field(default="", sa_column=Column(Text, nullable=False))
    learned: str = Field(default="", sa_column=Column(Text, nullable=False))
    longed_for: str = Field(default="", sa_column=Column(Text, nullable=False))
    anonymous: bool = Field(default=False)
    submitted_at: dt.datetime = Field(sa_column=utc_column())
    updated_at: dt.datetime = Field(sa_column=utc_column())


class DeploymentEvent(SQLModel, table=True):
    """One delivery of the deployment webhook (its free text redacted before it is stored)."""

    __tablename__ = "deployment_event"

    id: int | None = Field(default=None, primary_key=True)
    event: str = Field(max_length=32)
    environment: str = Field(default="", max_length=64)
    repo_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("repo.id", ondelete="SET NULL"))
    )
    sha_range: str | None = Field(default=None, max_length=200)
    pipeline_url: str | None = Field(default=None, max_length=500)
    incident_id: str | None = Field(default=None, max_length=100)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    details: str = Field(default="", sa_column=Column(Text, nullable=False))
    received_at: dt.datetime = Field(sa_column=utc_column(index=True))


class DeploymentNotice(SQLModel, table=True):
    """One pull request named by a deployment event, matched (or not) to a committer."""

    __tablename__ = "deployment_notice"
    __table_args__ = (Index("ix_deployment_notice_repo_pr", "repo_id", "pr_number"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True, description="what makes a repeated delivery a duplicate")
    event_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("deployment_event.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    event: str = Field(max_length=32)
    repo_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("repo.id", ondelete="SET NULL"))
    )
    pr_number: int
    pr_url: str = Field(max_length=500)
    author: str | None = Field(default=None, max_length=100)
    merged_by: str | None = Field(default=None, max_length=100)
    reverts: int | None = Field(
        default=None, description="the PR this one reverts, when the pipeline says so"
    )
    person_id: int | None = Field(default=None, sa_column=_person_fk(index=True))
    matched_by: str = Field(default="unmatched", max_length=16)
    state: str = Field(default=NoticeState.RECORDED.value, max_length=16)
    received_at: dt.datetime = Field(sa_column=utc_column(index=True))
    reverting_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reverted_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class NominationState(enum.StrEnum):
    """Where a nomination stands."""

    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"


class Nomination(SQLModel, table=True):
    """A proposal to give someone core committer rights on repositories, voted on for a comment period."""

    id: int | None = Field(default=None, primary_key=True)
    nominee_github: str = Field(max_length=100)
    nominee_name: str = Field(default="", max_length=200)
    nominee_slack_id: str | None = Field(default=None, max_length=32)
    nominee_organization: str | None = Field(default=None, max_length=200)
    repos: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    nominated_by_id: int | None = Field(default=None, sa_column=_person_fk())
    opened_at: dt.datetime = Field(sa_column=utc_column())
    closes_at: dt.datetime = Field(sa_column=utc_column(index=True))
    state: str = Field(default=NominationState.OPEN.value, max_length=16)
    closed_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    expands_person_id: int | None = Field(
        default=None,
        sa_column=_person_fk(),
        description="set: a rights expansion for this existing committer, not a new nominee",
    )


class NominationVote(SQLModel, table=True):
    """One voter's current vote on a nomination (changeable until it closes)."""

    __tablename__ = "nomination_vote"

    nomination_id: int = Field(
        sa_column=Column(Integer, ForeignKey("nomination.id", ondelete="CASCADE"), primary_key=True)
    )
    voter_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    yes: bool
    at: dt.datetime = Field(sa_column=utc_column())


class RepoArea(SQLModel, table=True):
    """In the scale phase: a group of repositories with its own channel, responders and owning manager."""

    __tablename__ = "repo_area"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    channel: str = Field(max_length=32)
    manager_id: int | None = Field(default=None, sa_column=_person_fk())


class AreaRepo(SQLModel, table=True):
    """A repository (or `org/*`) that belongs to an area."""

    __tablename__ = "area_repo"

    pattern: str = Field(primary_key=True, max_length=200, description="lower-cased org/repo or org/*")
    area_id: int = Field(
        sa_column=Column(Integer, ForeignKey("repo_area.id", ondelete="CASCADE"), nullable=False)
    )


class AreaResponder(SQLModel, table=True):
    """A person in an area's responder rotation."""

    __tablename__ = "area_responder"

    area_id: int = Field(
        sa_column=Column(Integer, ForeignKey("repo_area.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )


class GitHubDelivery(SQLModel, table=True):
    """A GitHub webhook delivery already handled (by X-GitHub-Delivery), so a redelivery changes nothing."""

    __tablename__ = "github_delivery"

    delivery_id: str = Field(primary_key=True, max_length=64)
    event: str = Field(max_length=32)
    action: str = Field(default="", max_length=32)
    received_at: dt.datetime = Field(sa_column=utc_column(index=True))


class ActivityKind(enum.StrEnum):
    """A sign of a person's activity: what they did with the bot, or on GitHub (the last three)."""

    QUESTION = "question"
    VOTE = "vote"
    RETRO = "retro"
    RECOMMITTED = "recommitted"
    REINSTATED = "reinstated"
    MERGED = "merged"
    AUTHORED = "authored"
    REVIEWED = "reviewed"


GITHUB_KINDS = (ActivityKind.MERGED, ActivityKind.AUTHORED, ActivityKind.REVIEWED)


class GitHubActivity(SQLModel, table=True):
    """A committer's work seen on GitHub, once per PR and kind, for its counts; each is an `Activity` too."""

    __tablename__ = "github_activity"
    __table_args__ = (
        UniqueConstraint("person_id", "kind", "repo_id", "pr_number", name="uq_github_activity"),
        Index("ix_github_activity_person_at", "person_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=_person_fk(nullable=False, ondelete="CASCADE"))
    kind: ActivityKind = Field(sa_column=Column(String(16), nullable=False))
    repo_id: int = Field(sa_column=Column(Integer, ForeignKey("repo.id", ondelete="CASCADE"), nullable=False))
    pr_number: int
    at: dt.datetime = Field(sa_column=utc_column(index=True))
    delivery_id: str = Field(default="", max_length=64)


class ReviewAskState(enum.StrEnum):
    """Where a request for a committer's review (the review label) stands."""

    ASKED = "asked"
    TAKEN = "taken"
    REVIEWED = "reviewed"
    UNASSIGNED = "unassigned"


class ReviewAsk(SQLModel, table=True):
    """A pull request labelled for a committer's review: who is asked now, who passed; one per PR."""

    __tablename__ = "review_ask"
    __table_args__ = (
        UniqueConstraint("repo_id", "pr_number", name="uq_review_ask_pr"),
        Index("ix_review_ask_person_state", "person_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    repo_id: int = Field(sa_column=Column(Integer, ForeignKey("repo.id", ondelete="CASCADE"), nullable=False))
    pr_number: int
    title: str = Field(default="", max_length=300)
    author: str = Field(default="", max_length=100)
    person_id: int | None = Field(default=None, sa_column=_person_fk())
    state: ReviewAskState = Field(default=ReviewAskState.ASKED, sa_column=Column(String(16), nullable=False))
    asked_at: dt.datetime = Field(sa_column=utc_column())
    answered_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    passed: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class TeamAccessState(enum.StrEnum):
    """A committer's membership of one GitHub team, as last compared with what the roster calls for."""

    MEMBER = "member"
    PENDING = "pending"
    MISSING = "missing"
    EXTRA = "extra"


class GitHubAccess(SQLModel, table=True):
    """The last comparison of a person's GitHub team membership with the roster, per team."""

    __tablename__ = "github_access"

    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    team: str = Field(primary_key=True, max_length=200)
    state: TeamAccessState = Field(sa_column=Column(String(16), nullable=False))
    checked_at: dt.datetime = Field(sa_column=utc_column())


class AccessChange(SQLModel, table=True):
    """One change ccbot made (or set out to make) to GitHub team membership, and why.

    A write is recorded as `pending` before GitHub is called; a run killed mid-call leaves it pending,
    and the next run reconciles it with what GitHub shows (`reconciled_at`).
    """

    __tablename__ = "access_change"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(sa_column=utc_column(index=True))
    actor: str = Field(max_length=100)
    team: str = Field(max_length=200)
    login: str = Field(max_length=100)
    github_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    person_id: int | None = Field(default=None, sa_column=_person_fk())
    change: str = Field(max_length=16, description="add | remove")
    reason: str = Field(default="", max_length=300)
    result: str = Field(
        max_length=16,
        index=True,
        description="pending | added | invited | removed | cancelled | failed | not made",
    )
    error: str | None = Field(default=None, max_length=500)
    plan: str | None = Field(default=None, max_length=64, description="the digest of the plan applied")
    reconciled_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class AccessNotice(SQLModel, table=True):
    """A removal from GitHub teams announced ahead (an agreement ended, inactivity); applied after `remove_after`."""

    __tablename__ = "access_notice"

    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    cause: str = Field(max_length=16, description="lapsed | inactive")
    reason: str = Field(default="", max_length=300)
    teams: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    noticed_at: dt.datetime = Field(sa_column=utc_column())
    remove_after: dt.datetime = Field(sa_column=utc_column())


class AccessPlanRecord(SQLModel, table=True):
    """A plan shown to the admins (by its digest), so an "Apply this plan" click applies exactly it."""

    __tablename__ = "access_plan"

    digest: str = Field(primary_key=True, max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(sa_column=utc_column())
    applied_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    applied_by: str | None = Field(default=None, max_length=100)


# -- the program's yearly life: activity, reminders' quiet, renewals, agreement history, inactivity -----------


class Activity(SQLModel, table=True):
    """One sign of a person's activity (a question, a vote, a retro answer, a merge or a review), recorded once.

    The one record of activity: the inactivity review, `/cc` and App Home all read the latest row.
    """

    __table_args__ = (
        UniqueConstraint("person_id", "kind", "ref", name="uq_activity_person_kind_ref"),
        Index("ix_activity_person_at", "person_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=_person_fk(nullable=False, ondelete="CASCADE"))
    kind: ActivityKind = Field(sa_column=Column(AutoString(32), nullable=False))
    at: dt.datetime = Field(sa_column=utc_column())
    ref: str = Field(
        max_length=255, description="what it was about, e.g. question:12 or openedx/edx-platform#12"
    )


class ReminderPreference(SQLModel, table=True):
    """A person's own quiet: reminders paused until a date, and working hours of their own for reminders."""

    __tablename__ = "reminder_preference"

    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    paused_until: dt.date | None = Field(default=None, description="reminders resume on this day")
    hours_start: dt.time | None = None
    hours_end: dt.time | None = None
    updated_at: dt.datetime = Field(sa_column=utc_column())


class ReminderHold(SQLModel, table=True):
    """A reminder DM held back in the outbox: snoozed by its recipient, or waiting for their quiet to end."""

    __tablename__ = "reminder_hold"

    key: str = Field(primary_key=True, max_length=255, description="the held outbox message's key")
    person_id: int = Field(sa_column=_person_fk(nullable=False, index=True, ondelete="CASCADE"))
    due_at: dt.datetime = Field(sa_column=utc_column(), description="when it would go out without any quiet")
    snoozed_from: str | None = Field(
        default=None, max_length=255, description="the reminder this one repeats"
    )
    created_at: dt.datetime = Field(sa_column=utc_column())


class RenewalAudience(enum.StrEnum):
    """Who a yearly recommitment round asks: committers themselves, or the organisations' contacts."""

    INDIVIDUALS = "individuals"
    ORGANIZATIONS = "organizations"


class RenewalAnswer(enum.StrEnum):
    """What a committer (or an organisation) answered in a recommitment round."""

    PENDING = "pending"
    RECOMMITTED = "recommitted"
    STEPPED_DOWN = "stepped_down"


class RenewalOutcome(enum.StrEnum):
    """What came of a member of a round once its deadline passed (or an admin acted)."""

    RECOMMITTED = "recommitted"
    ALUMNI = "alumni"
    AGREEMENT_ENDED = "agreement_ended"
    LISTED = "listed"
    EXTENDED = "extended"


class Renewal(SQLModel, table=True):
    """A yearly recommitment round (OEP-54: organisations in December, individuals in January)."""

    __table_args__ = (UniqueConstraint("year", "audience", name="uq_renewal_year_audience"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    audience: RenewalAudience = Field(sa_column=enum_column(RenewalAudience))
    opened_at: dt.datetime = Field(sa_column=utc_column())
    closes_at: dt.datetime = Field(sa_column=utc_column(index=True))
    opened_by: str = Field(default="", max_length=100)
    closed_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class RenewalMember(SQLModel, table=True):
    """One committer (or organisation) asked in a round, its answer, and what came of it after its deadline."""

    __tablename__ = "renewal_member"
    __table_args__ = (
        UniqueConstraint("renewal_id", "person_id", name="uq_renewal_member_person"),
        UniqueConstraint("renewal_id", "organization_id", name="uq_renewal_member_organization"),
        CheckConstraint("(person_id IS NULL) <> (organization_id IS NULL)", name="renewal_member_has_one"),
        Index("ix_renewal_member_due", "settled_at", "deadline"),
    )

    id: int | None = Field(default=None, primary_key=True)
    renewal_id: int = Field(
        sa_column=Column(Integer, ForeignKey("renewal.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    person_id: int | None = Field(default=None, sa_column=_person_fk(ondelete="CASCADE"))
    organization_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("organization.id", ondelete="CASCADE"))
    )
    contact_id: int | None = Field(default=None, sa_column=_person_fk(), description="who is asked")
    invited_at: dt.datetime = Field(sa_column=utc_column())
    deadline: dt.datetime = Field(sa_column=utc_column())
    answer: RenewalAnswer = Field(default=RenewalAnswer.PENDING, sa_column=enum_column(RenewalAnswer))
    answered_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    answered_by_id: int | None = Field(default=None, sa_column=_person_fk())
    settled_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    outcome: RenewalOutcome | None = Field(default=None, sa_column=enum_column(RenewalOutcome, nullable=True))
    extensions: int = Field(default=0)
    followup_on: dt.date | None = Field(
        default=None, description="the deadline it was listed for the admins at"
    )


class AgreementAction(enum.StrEnum):
    """A change in an agreement's history."""

    RECORDED = "recorded"
    RENEWED = "renewed"
    REVOKED = "revoked"
    INVALIDATED = "invalidated"


class AgreementEvent(SQLModel, table=True):
    """One entry of an agreement's history: recorded, renewed, revoked or invalidated; never changed after."""

    __tablename__ = "agreement_event"
    __table_args__ = (
        CheckConstraint(
            "(person_id IS NULL) <> (organization_id IS NULL)", name="agreement_event_has_one_holder"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("agreement.id", ondelete="SET NULL"), index=True),
    )
    person_id: int | None = Field(default=None, sa_column=_person_fk(index=True, ondelete="CASCADE"))
    organization_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("organization.id", ondelete="CASCADE"), index=True),
    )
    kind: AgreementKind = Field(sa_column=enum_column(AgreementKind))
    action: AgreementAction = Field(sa_column=enum_column(AgreementAction))
    effective_on: dt.date
    signed_on: dt.date | None = None
    expires_on: dt.date | None = Field(default=None, description="the agreement's end after this change")
    previous_expires_on: dt.date | None = Field(default=None, description="its end before this change")
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    recorded_by: str = Field(max_length=100)
    recorded_at: dt.datetime = Field(sa_column=utc_column())


class InactivityDecision(enum.StrEnum):
    """What an admin decided about a committer proposed as inactive."""

    KEPT = "kept"
    MOVED = "moved"


class InactivityProposal(SQLModel, table=True):
    """A committer proposed to the admins as inactive in one week's review, and the admins' decision."""

    __tablename__ = "inactivity_proposal"
    __table_args__ = (UniqueConstraint("person_id", "period", name="uq_inactivity_proposal_period"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=_person_fk(nullable=False, index=True, ondelete="CASCADE"))
    period: str = Field(max_length=16, description="the ISO week of the review, e.g. 2026-W50")
    proposed_at: dt.datetime = Field(sa_column=utc_column())
    last_active_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    decision: InactivityDecision | None = Field(
        default=None, sa_column=enum_column(InactivityDecision, nullable=True)
    )
    decided_by: str | None = Field(default=None, max_length=100)
    decided_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    kept_until: dt.date | None = Field(default=None, description="not proposed again before this day")
