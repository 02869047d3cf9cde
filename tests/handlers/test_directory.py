"""user_change and team_join: a member's new time zone is kept, a newcomer is linked by e-mail, hostile values are
refused, and Slack is asked nothing."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from storage.models import AuditEntry, Person
from tests.conftest import RunningBot

ZIA = "U0PILOT01"  # ziafazal, Asia/Karachi on the pilot roster


def _user(user_id: str, **fields: Any) -> dict[str, Any]:
    profile = {"email": fields.pop("email", None), "real_name": fields.pop("name", "Someone")}
    return {
        "id": user_id,
        "team_id": "T0CCBOT00",
        "deleted": False,
        "is_bot": False,
        "profile": profile,
        **fields,
    }


def _person(bot: RunningBot, **where: Any) -> Person:
    with bot.runtime.session_factory() as session:
        column, value = next(iter(where.items()))
        return session.exec(select(Person).where(getattr(Person, column) == value)).one()


def test_user_change_keeps_a_members_time_zone_current(bot: RunningBot) -> None:
    event = {"type": "user_change", "user": _user(ZIA, tz="Europe/Berlin"), "event_ts": "1.1"}
    assert bot.sender.event(event, event_id="EvUC1").status_code == 200
    assert _person(bot, slack_user_id=ZIA).timezone == "Europe/Berlin"
    assert bot.slack.calls("users.info") == []
    assert bot.slack.calls("users.list") == []
    with bot.runtime.session_factory() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "person.timezone")).one()
    assert entry.details == {"timezone": "Europe/Berlin", "by": "slack"}


def test_a_time_zone_not_in_zoneinfo_is_refused(bot: RunningBot) -> None:
    for n, zone in enumerate(["<!channel>", "Mars/Olympus", "../../etc/passwd", "Europe/Paris\n*x*"]):
        event = {"type": "user_change", "user": _user(ZIA, tz=zone), "event_ts": f"1.{n}"}
        assert bot.sender.event(event, event_id=f"EvBad{n}").status_code == 200
    assert _person(bot, slack_user_id=ZIA).timezone == "Asia/Karachi"


def test_team_join_links_a_newcomer_by_their_unique_email(bot: RunningBot) -> None:
    with bot.runtime.session_factory() as session:
        zia = session.exec(select(Person).where(Person.slack_user_id == ZIA)).one()
        zia.slack_user_id, zia.timezone = None, None  # as if Zia were joining Slack now
        session.add(zia)
        session.commit()
    user = _user("U0ZIANEW1", email="Zia.Fazal@EXAMPLE.org", tz="Asia/Karachi", name="<!channel> *Zia*")
    assert (
        bot.sender.event({"type": "team_join", "user": user, "event_ts": "2.1"}, event_id="EvTJ1").status_code
        == 200
    )
    zia = _person(bot, github_key="ziafazal")
    assert (zia.slack_user_id, zia.timezone) == ("U0ZIANEW1", "Asia/Karachi")
    assert zia.name == "Zia Fazal", "Slack's display name is not taken"
    assert bot.slack.messages() == [], "nothing is posted about it"


def test_a_forged_id_a_bot_or_a_deleted_member_links_no_one(bot: RunningBot) -> None:
    with bot.runtime.session_factory() as session:
        zia = session.exec(select(Person).where(Person.slack_user_id == ZIA)).one()
        zia.slack_user_id = None
        session.add(zia)
        session.commit()
    for n, user in enumerate(
        [
            _user("<!channel>", email="zia.fazal@example.org"),
            _user("U0BOT0001", email="zia.fazal@example.org", is_bot=True),
            _user("U0GONE001", email="zia.fazal@example.org", deleted=True),
        ]
    ):
        bot.sender.event({"type": "team_join", "user": user, "event_ts": f"3.{n}"}, event_id=f"EvTJX{n}")
    assert _person(bot, github_key="ziafazal").slack_user_id is None
