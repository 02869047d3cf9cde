"""Areas of the scale phase: groups of repositories with their channel and responder rotation."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from storage.models.columns import person_fk


class RepoArea(SQLModel, table=True):
    """In the scale phase: a group of repositories with its own channel, responders and owning manager."""

    __tablename__ = "repo_area"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    channel: str = Field(max_length=32)
    manager_id: int | None = Field(default=None, sa_column=person_fk())


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
