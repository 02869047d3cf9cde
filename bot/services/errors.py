"""Errors that services raise with a message meant for the person who acted, and the field checks forms share."""

from __future__ import annotations

from storage.models import Urgency


class UserError(Exception):
    """Something the user can fix; the message says what is wrong and what to do."""


class NotOnRoster(UserError):
    """The caller is not on the program's roster."""


class FieldErrors(UserError):
    """Input that fails validation, field by field (keys are field names, values what to fix)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def urgency_field(value: str | None, errors: dict[str, str]) -> Urgency:
    """Return the urgency a form chose (normal when none); a forged value is a field error, read as normal."""
    try:
        return Urgency(value or Urgency.NORMAL)
    except ValueError:
        errors["urgency"] = "Choose normal or urgent."
        return Urgency.NORMAL
