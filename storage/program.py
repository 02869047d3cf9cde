"""Repository functions for program-wide settings changed at run time."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import ProgramSetting


def get_program_setting(session: Session, key: str, default: Any = None) -> Any:
    """Return the stored value of a program setting, or `default`."""
    row = session.get(ProgramSetting, key)
    return default if row is None else row.value


def set_program_setting(session: Session, key: str, value: Any) -> None:
    """Store a program setting."""
    row = session.get(ProgramSetting, key)
    if row is None:
        session.add(ProgramSetting(key=key, value=value))
    else:
        row.value = value
    session.flush()


def add_program_setting_once(session: Session, key: str, value: Any) -> bool:
    """Store a program setting unless it exists (two instances may race to); return whether it was stored."""
    try:
        with session.begin_nested():
            session.add(ProgramSetting(key=key, value=value))
    except IntegrityError:
        return False
    return True
