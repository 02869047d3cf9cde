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


def _values(kinds: type[enum.StrEnum]) -> list[str]:
    return [kind.value for kind in kinds]


def enum_column(
    enum_type: type[enum.StrEnum],
    *,
    length: int = 16,
    nullable: bool = False,
    index: bool = False,
    primary_key: bool = False,
) -> Any:
    """Return a Column holding an enum by its value in a VARCHAR(`length`), with no database enum type to migrate.

    Rows come back as the enum. A string that is none of its values is written as it is (as the plain `str`
    columns did), and reading it back raises LookupError naming it.
    """
    return Column(
        SAEnum(enum_type, native_enum=False, length=length, values_callable=_values),
        nullable=nullable,
        index=index,
        primary_key=primary_key,
    )


def person_fk(*, nullable: bool = True, index: bool = False, ondelete: str = "SET NULL") -> Any:
    """Return a Column referring to a person (by default nullable, set to NULL when they are deleted)."""
    return Column(Integer, ForeignKey("person.id", ondelete=ondelete), nullable=nullable, index=index)
