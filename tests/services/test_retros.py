"""Opening a retro: a unique name, at least a day to answer, and someone to ask."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from bot.services.errors import UserError
from bot.services.retros import open_retro
from storage.models import RetroAudience
from tests.conftest import NOW, load_pilot

CLOSES = dt.date(2026, 12, 9)


def test_opening_checks_the_name_and_the_date(session: Session) -> None:
    load_pilot(session)
    open_retro(session, name="r1", closes_on=CLOSES, audience=RetroAudience.ALL, now=NOW, actor="t")
    with pytest.raises(UserError, match="already a retro"):
        open_retro(session, name="r1", closes_on=CLOSES, audience=RetroAudience.ALL, now=NOW, actor="t")
    with pytest.raises(UserError, match="at least a day"):
        open_retro(session, name="r2", closes_on=NOW.date(), audience=RetroAudience.ALL, now=NOW, actor="t")


def test_a_retro_needs_someone_in_its_audience(session: Session) -> None:
    with pytest.raises(UserError, match="Nobody on the roster"):
        open_retro(session, name="empty", closes_on=CLOSES, audience=RetroAudience.CCS, now=NOW, actor="t")
