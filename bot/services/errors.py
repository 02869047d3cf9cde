"""Errors that services raise with a message meant for the person who acted."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix; the message says what is wrong and what to do."""


class NotOnRoster(UserError):
    """The caller is not on the program's roster."""


class FieldErrors(UserError):
    """Input that fails validation, field by field (keys are field names, values what to fix)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
