"""The agreements part of a roster diff: what a file adds, renews, ends or removes, with each change's history."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlmodel import Session

from bot.services.roster.formats.document import AgreementSpec
from bot.services.standing import is_valid
from bot.types.roster import ImportReport
from storage import roster as store
from storage.models import Agreement, AgreementAction, AgreementEvent, AgreementKind


class Row(dict[str, Any]):
    """A row dict whose columns read as attributes too, for the standing rules (`.kind`, `.expires_on`)."""

    __getattr__ = dict.get


def as_agreement(row: dict[str, Any]) -> Agreement:
    """Read an agreement row as the standing rules read an Agreement (they use its attributes only)."""
    return cast(Agreement, row if isinstance(row, Row) else Row(row))


def _dates(signed: dt.date | None, expires: dt.date | None) -> str:
    parts = [f"signed {signed}" if signed else "", f"expires {expires}" if expires else ""]
    text = ", ".join(part for part in parts if part)
    return f" ({text})" if text else ""


class AgreementDiff:
    """The agreements a roster file changes for its holders, written after the holders have their ids.

    `report`, `ending` and `updates` are the whole diff's: what the import reports, who it ends, and the
    column updates by model and row id.
    """

    def __init__(
        self,
        *,
        report: ImportReport,
        ending: set[str],
        updates: dict[type, dict[int, dict[str, Any]]],
        source: str,
        file_name: str,
        actor: str,
        today: dt.date,
        on: dt.date,
        now: dt.datetime,
    ) -> None:
        self.report = report
        self.ending = ending
        self.updates = updates
        self.source = source
        self.file_name = file_name
        self.actor = actor
        self.today = today
        self.on = on
        self.now = now
        self.new: list[dict[str, Any]] = []
        self.deleted: list[int] = []
        # Agreements' history: entries for changed and removed agreements (new ones get theirs once inserted).
        self.history: list[dict[str, Any]] = []

    def sync(
        self,
        existing: list[dict[str, Any]],
        specs: list[AgreementSpec],
        scope: set[AgreementKind],
        label: str,
        holder: tuple[str, Any],
    ) -> None:
        """Make a holder's agreements of the kinds in `scope` those the file states."""
        unmatched = [a for a in existing if a["kind"] in scope]
        for spec in specs:
            match = next(
                (a for a in unmatched if a["kind"] == spec.kind and a["signed_on"] == spec.signed), None
            )
            if match is None:
                row = {
                    "kind": spec.kind,
                    "signed_on": spec.signed,
                    "expires_on": spec.expires,
                    "source": self.source,
                    "holder": holder,
                }
                existing.append(row)
                self.new.append(row)
                self.report.added.append(
                    f"agreement {spec.kind} for {label}{_dates(spec.signed, spec.expires)}"
                )
                continue
            unmatched.remove(match)
            if match["expires_on"] != spec.expires:
                self.report.changed.append(
                    f"agreement {spec.kind} for {label}: expires {match['expires_on']} -> {spec.expires}"
                )
                if (
                    spec.expires is not None
                    and spec.expires <= self.today
                    and is_valid(as_agreement(match), self.today)
                ):
                    self.ending.add(label.split(" ", 1)[1])
                later = spec.expires is None or (
                    match["expires_on"] is not None and spec.expires > match["expires_on"]
                )
                self._note(
                    match,
                    AgreementAction.RENEWED if later else AgreementAction.REVOKED,
                    expires_on=spec.expires,
                    previous=match["expires_on"],
                    reason=f"expiry changed by the import of {self.file_name}",
                )
                match["expires_on"] = spec.expires
                self.updates[Agreement][match["id"]]["expires_on"] = spec.expires
        for agreement in unmatched:
            self.report.removed.append(
                f"agreement {agreement['kind']} for {label}{_dates(agreement['signed_on'], agreement['expires_on'])}"
            )
            if is_valid(as_agreement(agreement), self.today):
                self.ending.add(label.split(" ", 1)[1])
            existing.remove(agreement)
            if agreement.get("id") is not None:
                self._note(
                    agreement,
                    AgreementAction.REVOKED,
                    expires_on=agreement["expires_on"],
                    previous=agreement["expires_on"],
                    reason=f"not in {self.file_name} (removed by its import)",
                )
                self.deleted.append(agreement["id"])

    def ensure(
        self,
        existing: list[dict[str, Any]],
        kind: AgreementKind,
        wanted: bool,
        label: str,
        holder: tuple[str, Any],
    ) -> None:
        """Make a holder have an agreement of `kind` in force (`wanted`) or none (the CSV's counts)."""
        valid = [a for a in existing if a["kind"] == kind and is_valid(as_agreement(a), self.today)]
        if wanted and not valid:
            row = {
                "kind": kind,
                "signed_on": None,
                "expires_on": None,
                "source": self.source,
                "holder": holder,
            }
            existing.append(row)
            self.new.append(row)
            self.report.added.append(f"agreement {kind} for {label} (active, no expiry given)")
        elif not wanted:
            for agreement in valid:
                agreement["expires_on"] = self.today
                if agreement.get("id") is not None:
                    self.updates[Agreement][agreement["id"]]["expires_on"] = self.today
                self.report.changed.append(f"agreement {kind} for {label}: ended {self.today}")
                self.ending.add(label.split(" ", 1)[1])

    def write(self, session: Session) -> None:
        """Write the history, the removals and the new agreements (each with its `recorded` entry)."""
        agreements = []
        for row in self.new:
            holder = row.pop("holder")
            agreements.append({**row, **_holder_id(holder)})
        # History first: an entry outlives its agreement's removal (its agreement_id becomes NULL).
        store.insert_rows(session, AgreementEvent, self.history)
        store.delete_by_ids(session, Agreement, self.deleted)
        first_id = store.next_agreement_id(session) if agreements else 0
        store.insert_rows(session, Agreement, agreements)
        if agreements:
            store.insert_rows(session, AgreementEvent, self._recorded(session, agreements, first_id))

    def _note(
        self,
        agreement: dict[str, Any],
        action: AgreementAction,
        *,
        expires_on: dt.date | None,
        previous: dt.date | None,
        reason: str,
    ) -> None:
        self.history.append(
            {
                "agreement_id": agreement["id"],
                "person_id": agreement["person_id"],
                "organization_id": agreement["organization_id"],
                "kind": AgreementKind(agreement["kind"]),
                "action": action,
                "effective_on": self.on
                if action is AgreementAction.REVOKED
                else agreement["signed_on"] or self.on,
                "signed_on": agreement["signed_on"],
                "expires_on": expires_on,
                "previous_expires_on": previous,
                "reason": reason[:300],
                "recorded_by": self.actor,
                "recorded_at": self.now,
            }
        )

    def _recorded(
        self, session: Session, agreements: list[dict[str, Any]], first_id: int
    ) -> list[dict[str, Any]]:
        """Return a `recorded` history entry for each agreement inserted from `first_id` on."""
        inserted = {
            (row["person_id"], row["organization_id"], row["kind"], row["signed_on"]): row["id"]
            for row in store.agreement_rows_from(session, first_id)
        }
        entries = []
        for row in agreements:
            agreement_id = inserted.get(
                (row["person_id"], row["organization_id"], row["kind"], row["signed_on"])
            )
            if agreement_id is None:
                continue
            entries.append(
                {
                    "agreement_id": agreement_id,
                    "person_id": row["person_id"],
                    "organization_id": row["organization_id"],
                    "kind": AgreementKind(row["kind"]),
                    "action": AgreementAction.RECORDED,
                    "effective_on": row["signed_on"] or self.on,
                    "signed_on": row["signed_on"],
                    "expires_on": row["expires_on"],
                    "previous_expires_on": None,
                    "reason": f"imported from {self.file_name}"[:300],
                    "recorded_by": self.actor,
                    "recorded_at": self.now,
                }
            )
        return entries


def _holder_id(holder: tuple[str, Any]) -> dict[str, Any]:
    column, owner = holder
    return {"person_id": None, "organization_id": None, column: owner.row["id"]}
