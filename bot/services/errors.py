"""Errors that services raise with a message meant for the person who acted."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix; the message says what is wrong and what to do."""


class NotOnRoster(UserError):
    """The caller is not on the program's roster."""
