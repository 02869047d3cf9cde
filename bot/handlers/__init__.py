"""Slack surfaces, one module per feature, each registering all of its listeners through `register(app)`."""

from __future__ import annotations

from bot.handlers import (
    access,
    admin,
    escalations,
    github,
    home,
    lifecycle,
    nominations,
    notices,
    owners,
    questions,
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
    lifecycle,
)
