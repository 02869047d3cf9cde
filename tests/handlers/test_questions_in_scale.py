"""Scale phase: a question goes to its area's channel and the least-loaded responder who is not away."""

from __future__ import annotations

import datetime as dt
import json

from sqlmodel import Session

from bot.services.admin import set_phase
from bot.services.areas import import_areas, pick_responder
from bot.services.questions import get_card
from bot.types.policy import Channels
from storage.areas import get_area_by_name
from storage.models import Phase, Question
from storage.questions import add_question
from storage.roster import get_person_by_github
from tests.conftest import NOW, ROOT, RunningBot, wait_until
from tests.handlers.test_questions import _open_modal, _submit

AREA_CHANNEL = "C0AREALRN"


def _load(session: Session, handle: str, count: int) -> None:
    person = get_person_by_github(session, handle)
    zia = get_person_by_github(session, "pdpinch")
    assert person is not None
    assert zia is not None
    for i in range(count):
        question = Question(
            committer_id=zia.id or 0,
            pr_url=f"https://github.com/o/r/pull/{i + 1}",
            pr_number=i + 1,
            text="q",
            asked_at=NOW,
        )
        add_question(session, question, [person.id or 0])
    session.commit()


def _scale(bot: RunningBot) -> None:
    with bot.runtime.session_factory() as session:
        admin = get_person_by_github(session, "cc-coordinator")
        assert admin is not None
        set_phase(
            session, admin, phase=Phase.SCALE, nda_required=True, milestones="", now=NOW, channels=Channels()
        )
        import_areas(session, ROOT / "examples" / "areas.yaml", now=NOW, actor="test")
        jbowman = get_person_by_github(session, "jbowman")
        assert jbowman is not None
        jbowman.away_until = NOW.date() + dt.timedelta(days=7)
        session.commit()
        _load(session, "feanil", 2)
        _load(session, "ormsbee", 1)


def test_after_switching_to_scale_a_question_goes_to_the_area_and_least_loaded_available_responder(
    bot: RunningBot,
) -> None:
    _scale(bot)
    view = _open_modal(bot)
    assert (
        _submit(
            bot, view, url="https://github.com/openedx/edx-platform/pull/9", question="Who reviews?"
        ).status_code
        == 200
    )
    root = wait_until(
        lambda: next(iter(bot.slack.messages(AREA_CHANNEL)), None), what="post in the area channel"
    )
    assert isinstance(root, dict)
    text = json.dumps(root["blocks"])
    assert "<@U0CHAMP03>" in text, "ormsbee: one open question, fewer than feanil's two"
    assert "<@U0CHAMP01>" not in text, "jbowman is away"
    assert "<@U0CHAMP02>" not in text
    assert not [m for m in bot.slack.messages("C0COORD01") if "Question from" in m["text"]]
    with bot.runtime.session_factory() as session:
        card = get_card(session, _question_of(bot))
        assert card.manager is not None
        assert card.manager.github == "nimisha", "the ladder ends at the area's manager"


def _question_of(bot: RunningBot) -> int:
    with bot.runtime.session_factory() as session:
        from sqlmodel import select

        ids = session.exec(select(Question.id).where(Question.pr_number == 9)).all()
        return int(ids[0] or 0)


def test_ties_go_round_robin_and_an_all_away_area_still_gets_the_channel(bot: RunningBot) -> None:
    _scale(bot)
    with bot.runtime.session_factory() as session:
        area = get_area_by_name(session, "authoring")
        assert area is not None
        first = pick_responder(session, area, today=NOW.date())
        assert first is not None
        assert first.github == "kdmccormick", "no loads yet: by handle"
        _load(session, "kdmccormick", 1)
        second = pick_responder(session, area, today=NOW.date())
        assert second is not None
        assert second.github == "nedbat"
        for handle in ("kdmccormick", "nedbat", "rraposa"):
            person = get_person_by_github(session, handle)
            assert person is not None
            person.away_until = NOW.date() + dt.timedelta(days=1)
        session.commit()
        assert pick_responder(session, area, today=NOW.date()) is None
