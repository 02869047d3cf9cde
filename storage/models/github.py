"""GitHub: webhook deliveries handled, committers' work seen there, and requests for their review."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.activity import ActivityKind
from storage.models.columns import enum_column, person_fk, utc_column


class GitHubDelivery(SQLModel, table=True):
    """A GitHub webhook delivery already handled (by X-GitHub-Delivery), so a redelivery changes nothing."""

    __tablename__ = "github_delivery"

    delivery_id: str = Field(primary_key=True, max_length=64)
    event: str = Field(max_length=32)
    action: str = Field(default="", max_length=32)
    received_at: dt.datetime = Field(sa_column=utc_column(index=True))


class GitHubActivity(SQLModel, table=True):
    """A committer's work seen on GitHub, once per PR and kind, for its counts; each is an `Activity` too."""

    __tablename__ = "github_activity"
    __table_args__ = (
        UniqueConstraint("person_id", "kind", "repo_id", "pr_number", name="uq_github_activity"),
        Index("ix_github_activity_person_at", "person_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=person_fk(nullable=False, ondelete="CASCADE"))
    kind: ActivityKind = Field(sa_column=enum_column(ActivityKind))
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
    person_id: int | None = Field(default=None, sa_column=person_fk())
    state: ReviewAskState = Field(default=ReviewAskState.ASKED, sa_column=enum_column(ReviewAskState))
    asked_at: dt.datetime = Field(sa_column=utc_column())
    answered_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    passed: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
