"""Slack surfaces, one module per feature, each registering all of its listeners through `register(app)`."""

from __future__ import annotations

from bot.handlers import (
    access,
    admin,
    directory,
    escalations,
    github,
    home,
    membership,
    nominations,
    notices,
    owners,
    questions,
    quiet,
    renewals,
    retros,
)

HANDLER_MODULES = (
    home,
    questions,
    escalations,
    notices,
    owners,
    retros,
    nominations,
    admin,
    github,
    access,
    membership,
    quiet,
    renewals,
    directory,
)
