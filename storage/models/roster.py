"""The roster's tables: people and their roles, organisations, repositories, commit grants, champions and agreements."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from storage.models.columns import enum_column


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
    status: Status = Field(default=Status.ACTIVE, sa_column=enum_column(Status, index=True))
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
    role: Role = Field(sa_column=enum_column(Role, primary_key=True, index=True))


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
    kind: AgreementKind = Field(sa_column=enum_column(AgreementKind))
    person_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    )
    organization_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    )
    signed_on: dt.date | None = None
    expires_on: dt.date | None = None
    source: str = Field(default="", max_length=200)
