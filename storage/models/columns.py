"""Column helpers shared by the tables: UTC timestamps, enums stored by value, references to a person."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer
from sqlalchemy import Enum as SAEnum

from storage.db import UTCDateTime


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


def person_fk(*, nullable: bool = True, index: bool = False, ondelete: str = "SET NULL") -> Any:
    """Return a Column referring to a person (by default nullable, set to NULL when they are deleted)."""
    return Column(Integer, ForeignKey("person.id", ondelete=ondelete), nullable=nullable, index=index)
