"""The program's phase and its settings changed at run time."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class Phase(enum.StrEnum):
    """The program's phase, which decides champions, routing and required agreements."""

    PILOT = "pilot"
    ESTABLISH = "establish"
    SCALE = "scale"


class ProgramSetting(SQLModel, table=True):
    """A program-wide setting changed at run time (the phase, for one)."""

    __tablename__ = "program_setting"

    key: str = Field(primary_key=True, max_length=64)
    value: Any = Field(sa_column=Column(JSON, nullable=False))
