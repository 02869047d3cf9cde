"""A roster import: one transaction that applies a parsed file, reports what changed and tells whom it moves.

It asks Slack nothing: missing Slack ids and time zones are filled in afterwards by the background resolution
(bot.services.directory), which the import asks for in its own transaction."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.services.audit import audit
from bot.services.directory import request_resolution
from bot.services.outbox import Outgoing, commit
from bot.services.roster.diff import RosterDiff
from bot.services.roster.formats.document import RosterDocument, RosterError
from bot.services.roster.formats.yaml_lines import gc_paused
from bot.services.roster.statuses import status_notices, tellable_changes
from bot.types.roster import ImportReport
from storage import roster as store
from storage.models import Status


class ConfirmationNeeded(RosterError):
    """The import would end or lapse many at once; nothing changed; its dry-run report is attached."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(
            [
                f"{report.source}: this import would end agreements, commit rights or standing of "
                f"{len(report.ending)} people and organisations at once ({', '.join(report.ending[:8])}"
                f"{', ...' if len(report.ending) > 8 else ''}); check the dry run above and re-run with --yes"
            ]
        )
        self.report = report


def import_roster(
    session: Session,
    doc: RosterDocument,
    *,
    now: dt.datetime,
    actor: str,
    dry_run: bool = False,
    prune: bool = False,
    confirmed: bool = True,
) -> ImportReport:
    """Apply a parsed roster in one transaction; raise RosterError (changing nothing) on any problem.

    With `confirmed=False`, an import that would end or lapse many at once changes nothing and
    raises ConfirmationNeeded carrying the dry-run report.
    """
    report = ImportReport(source=doc.source, format=doc.format, dry_run=dry_run, warnings=list(doc.warnings))
    try:
        with gc_paused():
            diff = RosterDiff(session, doc, report, today=now.date(), now=now, actor=actor)
            diff.run(prune=prune)
        if not dry_run and not confirmed and diff.is_mass_change():
            report.dry_run = True
            report.needs_confirmation = True
            session.rollback()
            session.expire_all()
            raise ConfirmationNeeded(report)
        if not dry_run:
            report.resolving = request_resolution(session, now=now, actor=actor)
        audit(
            session,
            now,
            actor,
            "roster.import",
            doc.source,
            format=doc.format,
            added=report.added,
            changed=report.changed,
            removed=report.removed,
        )
    except ConfirmationNeeded:
        raise
    except BaseException:
        session.rollback()
        session.expire_all()
        raise
    if dry_run:
        session.rollback()
    else:
        # Whoever the import lapses or makes active is told, committed with the import (never silently).
        commit(session, _status_notices(session, diff.moved, today=now.date()), now=now)
    session.expire_all()
    return report


def _status_notices(
    session: Session, moved: list[tuple[int, Status, Status]], *, today: dt.date
) -> list[Outgoing | None]:
    people = store.list_people_by_ids(session, [pid for pid, _, _ in moved])
    triples = [(people[pid], old, new) for pid, old, new in moved if pid in people]
    return status_notices(session, tellable_changes(session, triples, today=today), today=today)
