"""Limits on what people type: the forms that ask and the services that check share these."""

from __future__ import annotations

QUESTION_MAX = 2000
SUMMARY_MAX = 150
IMPACT_MAX = 2000
RESOLUTION_MAX = 2000
REASON_MAX = 2000
FIELD_MAX = 2000
NAME_MAX = 200  # a person's or an organisation's name, as the roster stores it
