"""Notice before a removal: a committer losing GitHub team access because an agreement ended or for inactivity
is told, with their champions, a number of days before the removal is applied."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.services.outbox import Outgoing, dm
from bot.types.access import AccessPlan
from bot.types.keys import Kind
from bot.views import access as views
from storage import access as store
from storage import roster as roster_store
from storage.models import AccessNotice


def notice_messages(session: Session, plan: AccessPlan, *, now: dt.datetime) -> list[Outgoing | None]:
    """Record the plan's notices due (once per person) and return the DMs telling them and their champions.

    Notices of people no longer due for removal (an agreement renewed, reinstated) are forgotten, so a later
    removal is announced afresh.
    """
    store.delete_notices(session, plan.settled_notices)
    added = store.add_notices(
        session,
        [
            AccessNotice(
                person_id=notice.person_id,
                cause=notice.cause,
                reason=notice.reason[:300],
                teams=list(notice.teams),
                noticed_at=now,
                remove_after=notice.remove_after,
            )
            for notice in plan.notices
        ],
    )
    new = {row.person_id for row in added}
    due = [notice for notice in plan.notices if notice.person_id in new]
    people = roster_store.list_people_by_ids(session, [n.person_id for n in due])
    champions = roster_store.champions_by_committer(session, [n.person_id for n in due])
    messages: list[Outgoing | None] = []
    for notice in due:
        person = people.get(notice.person_id)
        if person is None:
            continue
        parts = [notice.person_id, f"{now:%Y%m%d}"]
        messages.append(
            dm(Kind.ACCESS_NOTICE, [*parts, "self"], person.slack_user_id, views.notice_text(notice))
        )
        for champion in champions.get(notice.person_id, []):
            text = views.notice_text(notice, champion_of=person.name or person.github)
            messages.append(dm(Kind.ACCESS_NOTICE, [*parts, champion.id], champion.slack_user_id, text))
    return messages
