"""Production notices: the committer's answers (I'm reverting, Not my change, Need help) to a notice DM."""

from __future__ import annotations

import datetime as dt
from typing import Any

from slack_bolt import App
from sqlmodel import Session

from bot.handlers.answer import decides
from bot.handlers.state import button_id
from bot.ids import Action
from bot.services.notices import answer_notice
from bot.types.decided import Decided
from storage.models import NoticeState, Person

NOTICE_ANSWERS = {
    Action.NOTICE_REVERTING.value: NoticeState.REVERTING,
    Action.NOTICE_NOT_MINE.value: NoticeState.NOT_MINE,
    Action.NOTICE_HELP.value: NoticeState.HELP,
}


def handle_notice_action(
    action: dict[str, Any], session: Session, person: Person | None, now: dt.datetime
) -> Decided:
    """Record the committer's answer to a production notice, then redraw the DM and tell the champions' thread."""
    notice_id = button_id(action, "a production notice")
    return answer_notice(session, notice_id, person, NOTICE_ANSWERS[str(action.get("action_id"))], now=now)


def register(app: App) -> None:
    """Register everything of the notices feature."""
    listener = decides(handle_notice_action)
    for action_id in NOTICE_ANSWERS:
        app.action(action_id)(listener)
