"""Retrospectives, their participants and responses."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.columns import enum_column, person_fk, utc_column


class RetroAudience(enum.StrEnum):
    """Who is invited to a retrospective."""

    ALL = "all"
    CCS = "ccs"
    CHAMPIONS = "champions"


class Retro(SQLModel, table=True):
    """A retrospective of the program (Liked, Lacked, Learned, Longed for), open until it closes."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    audience: RetroAudience = Field(default=RetroAudience.ALL, sa_column=enum_column(RetroAudience))
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
    person_id: int = Field(sa_column=person_fk(nullable=False, ondelete="CASCADE"))
    liked: str = Field(default="", sa_column=Column(Text, nullable=False))
    lacked: str = Field(default="", sa_column=Column(Text, nullable=False))
    learned: str = Field(default="", sa_column=Column(Text, nullable=False))
    longed_for: str = Field(default="", sa_column=Column(Text, nullable=False))
    anonymous: bool = Field(default=False)
    submitted_at: dt.datetime = Field(sa_column=utc_column())
    updated_at: dt.datetime = Field(sa_column=utc_column())
