"""Stored standings: recomputed from the roster, and the lapses and activations they imply told to whom they concern."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from sqlmodel import Session

from bot.services.admins import admin_ids
from bot.services.outbox import Outgoing, commit, dm
from bot.services.policy import current_policy
from bot.services.roster.people import list_admins
from bot.services.roster.profiles import get_profile
from bot.services.standing import derive_standing
from bot.types.keys import Kind
from bot.types.policy import Channels
from bot.types.reminders import StatusChange
from bot.views import reminders as views
from storage import roster as store
from storage.models import Person, Role, Status


def refresh_statuses(session: Session, *, today: dt.date) -> list[tuple[Person, Status, Status]]:
    """Recompute every person's stored status; return (person, old, new) for each that changed."""
    policy = current_policy(session)
    roles = store.roles_by_person(session)
    by_person, by_org = store.agreements_by_holder(session)
    champion_counts = Counter(a.committer_id for a in store.active_assignments(session))
    orgs = {org.id: org for org in store.list_organizations(session)}
    changes = []
    for person in store.list_people(session):
        assert person.id is not None
        org = orgs.get(person.organization_id) if person.organization_id else None
        standing = derive_standing(
            roles=roles.get(person.id, set()),
            removed_on=person.removed_on,
            agreements=by_person.get(person.id, []),
            organization=org,
            organization_agreements=by_org.get(org.id, []) if org and org.id else [],
            champion_count=champion_counts[person.id],
            policy=policy,
            today=today,
        )
        if person.status != standing.status:
            changes.append((person, person.status, standing.status))
            person.status = standing.status
    session.flush()
    return changes


def _is_current_committer(session: Session, person: Person) -> bool:
    return person.removed_on is None and Role.COMMITTER in store.list_roles(session, person.id or 0)


def apply_status_changes(session: Session, *, today: dt.date) -> list[StatusChange]:
    """Recompute standings (without committing) and return the committers who lapsed or became active."""
    return tellable_changes(session, refresh_statuses(session, today=today), today=today)


def tellable_changes(
    session: Session, moved: Iterable[tuple[Person, Status, Status]], *, today: dt.date
) -> list[StatusChange]:
    """Return, of the stored standings that moved (person, old, new), the lapses and activations to tell."""
    changes: list[StatusChange] = []
    moved = list(moved)
    if not moved:
        return changes
    managers = store.list_people_with_role(session, Role.MANAGER)
    for person, old, new in moved:
        if new not in {Status.LAPSED, Status.ACTIVE} or old == Status.ALUMNI:
            continue
        if not _is_current_committer(session, person):
            continue
        gaps = get_profile(session, person.id or 0, today=today).standing.gaps
        changes.append(StatusChange(person, old, new, gaps, managers))
    return changes


def status_change_messages(
    session: Session, *, today: dt.date, channels: Channels | None = None
) -> list[Outgoing | None]:
    """Recompute standings (uncommitted) and return the notices each lapse or activation implies."""
    return status_notices(session, apply_status_changes(session, today=today), today=today, channels=channels)


def status_notices(
    session: Session, changes: list[StatusChange], *, today: dt.date, channels: Channels | None = None
) -> list[Outgoing | None]:
    """Return the notices these lapses and activations imply: the committer, and for a lapse managers and admins
    (those on the roster, and CCBOT_ADMINS from `channels`)."""
    admins = list_admins(session) if changes else []
    lapses = any(change.new == Status.LAPSED for change in changes)
    told = admin_ids(session, channels or Channels()) if lapses else []
    messages: list[Outgoing | None] = []
    for change in changes:
        person = change.person
        if change.new == Status.LAPSED:
            messages.append(
                dm(
                    Kind.LAPSED,
                    [person.id, today, person.id],
                    person.slack_user_id,
                    views.lapsed_to_committer(change, admins),
                )
            )
            managers = [p.slack_user_id for p in change.managers if p.slack_user_id]
            # Each manager or admin once, by Slack id; the committer is told above, never twice.
            for recipient in dict.fromkeys([*managers, *told]):
                if recipient != person.slack_user_id:
                    messages.append(
                        dm(
                            Kind.LAPSED,
                            [person.id, today, recipient],
                            recipient,
                            views.lapsed_to_manager(change),
                        )
                    )
        elif change.old == Status.LAPSED:
            messages.append(
                dm(Kind.ACTIVE_AGAIN, [person.id, today], person.slack_user_id, views.active_again(change))
            )
        elif change.old == Status.ONBOARDING:
            messages.append(
                dm(Kind.NOW_ACTIVE, [person.id, today], person.slack_user_id, views.now_active(change))
            )
    return messages


def queue_status_notices(session: Session, *, now: dt.datetime, channels: Channels | None = None) -> int:
    """Record lapses and renewals and commit them with their notices; return how many notices were queued."""
    # Status changes and their notices commit together, so a notice is never lost or repeated.
    return len(commit(session, status_change_messages(session, today=now.date(), channels=channels), now=now))
