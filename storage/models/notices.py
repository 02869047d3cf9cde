"""Notices: deployment events and the production notices they give committers."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Column, ForeignKey, Index, Integer, Text
from sqlmodel import Field, SQLModel

from storage.models.columns import enum_column, person_fk, utc_column


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


class DeploymentEvent(SQLModel, table=True):
    """One delivery of the deployment webhook (its free text redacted before it is stored)."""

    __tablename__ = "deployment_event"

    id: int | None = Field(default=None, primary_key=True)
    event: DeploymentEventKind = Field(sa_column=enum_column(DeploymentEventKind, length=32))
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
    event: DeploymentEventKind = Field(sa_column=enum_column(DeploymentEventKind, length=32))
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
    person_id: int | None = Field(default=None, sa_column=person_fk(index=True))
    matched_by: str = Field(default="unmatched", max_length=16)
    state: NoticeState = Field(default=NoticeState.RECORDED, sa_column=enum_column(NoticeState))
    received_at: dt.datetime = Field(sa_column=utc_column(index=True))
    reverting_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reverted_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
