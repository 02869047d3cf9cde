"""Reminders' quiet, in one place: every reminder DM is built here with its Snooze buttons, and held in the
outbox while its recipient has paused reminders or is outside their own working hours.

A held or snoozed reminder is an outbox message whose `next_attempt_at` lies ahead, with a `reminder_hold`
row saying when it would have gone out without the quiet; changing one's preferences moves those messages.
The outbox delivers each once, when it falls due, so nothing is lost or sent twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.services.business_hours import add_working_time, zone
from bot.services.errors import FieldErrors, NotOnRoster, UserError
from bot.services.outbox import Outgoing, commit, dm
from bot.types.keys import Kind, message_key
from bot.types.policy import DEFAULT_HOURS, WorkingHours
from bot.types.quiet import PreferencesSaved, QuietSummary, SnoozeChoice, Snoozed
from bot.views import quiet as views
from bot.views.text import Mrkdwn, stored
from storage import quiet as store
from storage.models import OutboxStatus, Person, ReminderHold, ReminderPreference
from storage.outbox import get_message_by_key

LONGEST_PAUSE = dt.timedelta(days=366)
NOTHING = dt.timedelta(0)


@dataclass(frozen=True)
class Quiet:
    """When a person may hear reminders: their time zone, their pause and their own working hours."""

    tz: ZoneInfo
    paused_until: dt.date | None = None
    own_hours: tuple[dt.time, dt.time] | None = None

    def hours(self, program: WorkingHours) -> WorkingHours:
        """Return the working hours reminders keep to for this person: their own times, else the program's."""
        if self.own_hours is None:
            return program
        return WorkingHours(start=self.own_hours[0], end=self.own_hours[1], weekdays=program.weekdays)

    def opens_at(self, at: dt.datetime, *, program: WorkingHours) -> dt.datetime:
        """Return the first instant at or after `at` when a reminder may reach this person.

        During a pause that is the start of their working day on the day it ends; outside their own
        working hours, the next start of those hours. The program's hours alone hold nothing back:
        each reminder already falls due in working time as its feature reckons it.
        """
        if self.paused_until is not None and at.astimezone(self.tz).date() < self.paused_until:
            midnight = dt.datetime.combine(self.paused_until, dt.time(), tzinfo=self.tz)
            return add_working_time(midnight, NOTHING, tz=self.tz, hours=self.hours(program))
        if self.own_hours is not None:
            return add_working_time(at, NOTHING, tz=self.tz, hours=self.hours(program))
        return at


def quiet_of(session: Session, person: Person) -> Quiet:
    """Return a person's quiet as their preferences set it."""
    preference = store.get_preference(session, person.id or 0) if person.id else None
    return _quiet(person, preference)


def _quiet(person: Person, preference: ReminderPreference | None) -> Quiet:
    tz = zone(person.timezone)
    if preference is None:
        return Quiet(tz=tz)
    own = None
    if preference.hours_start is not None and preference.hours_end is not None:
        own = (preference.hours_start, preference.hours_end)
    return Quiet(tz=tz, paused_until=preference.paused_until, own_hours=own)


@dataclass(frozen=True)
class Wanted:
    """A reminder to build: its kind and key parts, who gets it, its text and blocks."""

    kind: Kind | str
    parts: list[Any]
    person: Person
    text: Mrkdwn
    blocks: list[Any] | None = None
    # With a subject the DM becomes a posting that can be redrawn (a nudge's rating).
    subject: str | None = None


def reminder(
    session: Session,
    kind: Kind | str,
    parts: list[Any],
    person: Person,
    text: Mrkdwn,
    *,
    now: dt.datetime,
    blocks: list[Any] | None = None,
    hours: WorkingHours = DEFAULT_HOURS,
    subject: str | None = None,
) -> Outgoing | None:
    """Return a reminder DM with its Snooze buttons, held until the person's pause or own hours allow it.

    `hours` are the program's working hours, when a pause ends; with `subject` the DM becomes a posting that
    can be redrawn. None when the person has no Slack id.
    The hold is written in the caller's transaction, so it commits (or not) with the reminder itself.
    """
    return reminders(session, [Wanted(kind, parts, person, text, blocks, subject)], now=now, hours=hours)[0]


def reminders(
    session: Session, wanted: Sequence[Wanted], *, now: dt.datetime, hours: WorkingHours = DEFAULT_HOURS
) -> list[Outgoing | None]:
    """Return the reminders `reminder` returns for each of `wanted`, in order, with their people's
    preferences read in one query and their holds written together (each once)."""
    ids = {w.person.id for w in wanted if w.person.id is not None and w.person.slack_user_id}
    preferences = store.list_preferences(session, ids) if ids else {}
    quiets: dict[int, Quiet] = {}
    holds: list[dict[str, Any]] = []
    found: list[Outgoing | None] = []
    for w in wanted:
        key = message_key(w.kind, *w.parts)
        message = dm(
            w.kind,
            w.parts,
            w.person.slack_user_id,
            w.text,
            blocks=views.reminder_blocks(w.text, w.blocks, key),
            subject=w.subject,
        )
        person_id = w.person.id
        if message is None or person_id is None:
            found.append(message)
            continue
        quiet = quiets.get(person_id)
        if quiet is None:
            quiet = quiets[person_id] = _quiet(w.person, preferences.get(person_id))
        release = quiet.opens_at(now, program=hours)
        if release <= now:
            found.append(message)
            continue
        holds.append(
            {"key": key, "person_id": person_id, "due_at": now, "snoozed_from": None, "created_at": now}
        )
        found.append(replace(message, not_before=release))
    store.add_holds(session, holds)
    return found


def snooze_until(
    choice: SnoozeChoice, quiet: Quiet, *, now: dt.datetime, program: WorkingHours
) -> dt.datetime:
    """Return when a reminder snoozed now comes back: a day or three later, or at the start of next Monday."""
    if choice is SnoozeChoice.DAY:
        return now + dt.timedelta(days=1)
    if choice is SnoozeChoice.THREE_DAYS:
        return now + dt.timedelta(days=3)
    local = now.astimezone(quiet.tz).date()
    monday = local + dt.timedelta(days=(7 - local.weekday()) % 7 or 7)
    midnight = dt.datetime.combine(monday, dt.time(), tzinfo=quiet.tz)
    return add_working_time(midnight, NOTHING, tz=quiet.tz, hours=quiet.hours(program))


def snooze(
    session: Session,
    person: Person | None,
    *,
    key: str,
    choice: SnoozeChoice,
    now: dt.datetime,
    hours: WorkingHours = DEFAULT_HOURS,
) -> Snoozed:
    """Bring a reminder back once after the snooze (a second snooze of the same reminder moves that one copy)."""
    if person is None or person.id is None or not person.slack_user_id:
        raise NotOnRoster("Only people on the Core Committer roster have reminders to snooze.")
    original = get_message_by_key(session, key)
    if original is None or original.channel != person.slack_user_id:
        raise UserError("This Snooze button no longer points at one of your reminders.")
    quiet = quiet_of(session, person)
    due = snooze_until(choice, quiet, now=now, program=hours)
    release = quiet.opens_at(due, program=hours)
    copy_key = message_key(Kind.SNOOZED, key)
    existing = get_message_by_key(session, copy_key)
    if existing is not None:
        hold = store.get_hold(session, copy_key)
        if existing.status != OutboxStatus.PENDING or not store.reschedule_message(
            session, copy_key, at=release
        ):
            raise UserError(
                "You snoozed this reminder before and it has come back already: use the Snooze buttons on that one."
            )
        if hold is not None:
            hold.due_at = due
            session.add(hold)
        session.commit()
        return Snoozed(release, copy_key, views.snoozed_confirmation(release))
    copy = Outgoing(
        key=copy_key,
        kind=str(Kind.SNOOZED),
        channel=person.slack_user_id,
        text=stored(original.text),
        blocks=views.snoozed_copy_blocks(original.blocks, copy_key, now),
        not_before=release,
    )
    store.add_hold(
        session, ReminderHold(key=copy_key, person_id=person.id, due_at=due, snoozed_from=key, created_at=now)
    )
    commit(session, [copy], now=now)
    return Snoozed(release, copy_key, views.snoozed_confirmation(release))


# -- preferences ---------------------------------------------------------------------------------------


def quiet_summary(
    session: Session, person: Person, *, now: dt.datetime, hours: WorkingHours = DEFAULT_HOURS
) -> QuietSummary:
    """Return a person's reminder preferences and the reminders held for them."""
    quiet = quiet_of(session, person)
    held = store.list_held_messages(session, person.id or 0)
    releases = [
        m.next_attempt_at for _, m in held if m.next_attempt_at is not None and m.next_attempt_at > now
    ]
    today = now.astimezone(quiet.tz).date()
    return QuietSummary(
        paused_until=quiet.paused_until if quiet.paused_until and quiet.paused_until > today else None,
        own_hours=quiet.own_hours,
        program_hours=(hours.start, hours.end),
        timezone=str(quiet.tz),
        held=len(releases),
        next_release=min(releases) if releases else None,
    )


def parse_hours(text: str) -> tuple[dt.time, dt.time] | None:
    """Return (start, end) from `08:00-16:00` (None when empty); FieldErrors for anything else."""
    value = text.strip()
    if not value:
        return None
    start_text, _, end_text = value.replace(" ", "").replace("\u2013", "-").partition("-")
    try:
        start, end = dt.time.fromisoformat(start_text), dt.time.fromisoformat(end_text)
    except ValueError:
        raise FieldErrors({"own_hours": "Write your hours like 08:00-16:00, or leave it empty."}) from None
    if start >= end:
        raise FieldErrors({"own_hours": "Your day must end after it starts, like 08:00-16:00."})
    return start, end


def set_preferences(
    session: Session,
    person: Person | None,
    *,
    paused_until: dt.date | None,
    own_hours: tuple[dt.time, dt.time] | None,
    now: dt.datetime,
    hours: WorkingHours = DEFAULT_HOURS,
) -> PreferencesSaved:
    """Save a person's pause and working hours, and move the reminders held for them to fit (committed)."""
    if person is None or person.id is None:
        raise NotOnRoster("Only people on the Core Committer roster have reminders to set.")
    today = now.astimezone(zone(person.timezone)).date()
    if paused_until is not None and paused_until <= today:
        paused_until = None  # a pause that has already ended pauses nothing
    if paused_until is not None and paused_until > today + LONGEST_PAUSE:
        raise FieldErrors({"pause_until": "Pause reminders for a year at most."})
    store.put_preference(
        session,
        ReminderPreference(
            person_id=person.id,
            paused_until=paused_until,
            hours_start=own_hours[0] if own_hours else None,
            hours_end=own_hours[1] if own_hours else None,
            updated_at=now,
        ),
    )
    quiet = quiet_of(session, person)
    due_now = []
    for hold, message in store.list_held_messages(session, person.id):
        release = max(now, quiet.opens_at(max(now, hold.due_at), program=hours))
        if message.next_attempt_at != release:
            store.reschedule_message(session, hold.key, at=release)
        if release <= now:
            due_now.append(hold.key)
    session.commit()
    summary = quiet_summary(session, person, now=now, hours=hours)
    return PreferencesSaved(summary, views.quiet_saved(summary), tuple(due_now))
