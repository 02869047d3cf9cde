"""GitHub team access: the last comparison with the roster, the changes made, removals announced and plans shown."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer, Text
from sqlmodel import Field, SQLModel

from storage.models.columns import enum_column, person_fk, utc_column


class AccessOp(enum.StrEnum):
    """A write to GitHub team membership."""

    ADD = "add"
    REMOVE = "remove"


class AccessCause(enum.StrEnum):
    """Why a membership is added or removed; the causes in NOTICE_CAUSES are announced before a removal."""

    GRANTED = "granted"
    LAPSED = "lapsed"
    INACTIVE = "inactive"
    ALUMNI = "alumni"
    REVOKED = "revoked"
    ROLE_DROPPED = "role dropped"
    ONBOARDING = "onboarding"
    NO_GRANT = "no grant"


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
    state: TeamAccessState = Field(sa_column=enum_column(TeamAccessState))
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
    person_id: int | None = Field(default=None, sa_column=person_fk())
    change: AccessOp = Field(sa_column=enum_column(AccessOp))
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
    cause: AccessCause = Field(sa_column=enum_column(AccessCause), description="lapsed | inactive")
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
