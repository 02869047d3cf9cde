"""Repository owners as last synced, and committers' requests to be introduced to them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, Text
from sqlmodel import Field, SQLModel

from storage.models.columns import person_fk, utc_column


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
    committer_id: int = Field(sa_column=person_fk(nullable=False, ondelete="CASCADE"))
    repo_id: int = Field(sa_column=Column(Integer, ForeignKey("repo.id", ondelete="CASCADE"), nullable=False))
    path: str = Field(default="", max_length=500)
    owners: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    requested_at: dt.datetime = Field(sa_column=utc_column())
