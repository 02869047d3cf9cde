"""Blocks for agreements with a history: a committer's My agreements, the admins' change form, the history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Block, HeaderBlock, InputBlock, Option, StaticSelectElement
from slack_sdk.models.views import View

from bot.ids import Input, ViewId
from bot.views.blocks import date_field, modal, section, text_field
from bot.views.text import AGREEMENT_NAMES, Mrkdwn, day, escape, mrkdwn, person_ref, relative_days
from storage.models import AgreementAction, AgreementKind, Person

if TYPE_CHECKING:
    from bot.types.agreements import AgreementStatus, History
    from bot.types.policy import PhasePolicy

ACTION_LABELS = {
    AgreementAction.RENEWED: "Renewal (a new signing)",
    AgreementAction.REVOKED: "Revocation (ends on the effective date)",
    AgreementAction.INVALIDATED: "Invalidation (void from its signing)",
}
STATE_MARKS = {"valid": ":white_check_mark:", "attention": ":warning:", "ended": ":no_entry:"}


def _admins(admins: Sequence[Person]) -> str:
    return ", ".join(person_ref(a) for a in admins) or "the program coordinator"


def _todo(line: AgreementStatus, admins: Sequence[Person], today: dt.date) -> str:
    entity = line.kind is AgreementKind.ENTITY
    who = (
        f"your organisation ({escape(line.organization or '')}) renews it with the program"
        if entity
        else f"ask {_admins(admins)}"
    )
    if line.state == "valid":
        until = f"valid until {day(line.expires_on)}" if line.expires_on else "valid, no expiry"
        return f"{until}. Nothing to do."
    if line.state == "attention" and line.missing:
        ask = (
            f"your organisation ({escape(line.organization or '')}) signs it with the program"
            if entity
            else f"ask {_admins(admins)} for it"
        )
        return f"missing. To be active, {ask}."
    if line.state == "attention":
        assert line.expires_on is not None
        return f"ends {day(line.expires_on)} ({relative_days(line.expires_on, today)}). To keep your rights, {who} before then."
    change = line.last_change
    why = f" ({change.action.value}: {escape(change.reason)})" if change is not None and change.reason else ""
    ended = f"ended {day(line.expires_on)}{why}"
    if not line.required:
        return f"{ended}. Not required any more: nothing to do."
    return f"{ended}. To be active again, {who}."


def my_agreements_blocks(
    lines: Sequence[AgreementStatus], admins: Sequence[Person], *, today: dt.date
) -> list[Block]:
    """Return the App Home section My agreements: each as valid, needs attention or ended, with what to do."""
    if not lines:
        return []
    text = "\n".join(
        f"{STATE_MARKS[line.state.value]} *{AGREEMENT_NAMES[line.kind]}*"
        + (f" (held by {escape(line.organization)})" if line.organization else "")
        + f": {_todo(line, admins, today)}"
        for line in lines
    )
    return [HeaderBlock(text="My agreements"), section(text)]


def change_modal(policy: PhasePolicy) -> View:
    """Return the admin modal that records a renewal, a revocation or an invalidation, with its reason."""
    actions = [Option(value=a.value, text=label) for a, label in ACTION_LABELS.items()]
    kinds = [Option(value=k.value, text=AGREEMENT_NAMES[k]) for k in AgreementKind]
    return modal(
        ViewId.ADMIN_AGREEMENT_CHANGE,
        "Agreement history",
        [
            InputBlock(
                block_id=Input.AGREEMENT_ACTION.value,
                label="Change",
                element=StaticSelectElement(action_id=Input.AGREEMENT_ACTION.value, options=actions),
            ),
            text_field(Input.HOLDER, "Committer (GitHub handle); entity: their organisation's"),
            InputBlock(
                block_id=Input.KIND.value,
                label="Agreement",
                element=StaticSelectElement(action_id=Input.KIND.value, options=kinds),
            ),
            date_field(Input.SIGNED, "Renewal: signed on", optional=True),
            date_field(Input.EXPIRES, "Renewal: expires on", optional=True),
            date_field(Input.EFFECTIVE, "Revocation: effective on (empty: today)", optional=True),
            text_field(Input.REASON, "Reason (kept in the history)", multiline=True),
        ],
        submit="Record",
    )


def change_done(
    label: str,
    person: Person,
    kind: AgreementKind,
    action: AgreementAction,
    effective: dt.date,
    status: object,
) -> Mrkdwn:
    """Return the admin's confirmation of an agreement change, with the standing it leads to."""
    verb = {
        AgreementAction.RENEWED: "renewed from",
        AgreementAction.REVOKED: "revoked as of",
        AgreementAction.INVALIDATED: "invalidated (void from)",
    }[action]
    return mrkdwn(
        "Recorded: {label}'s {name} {verb} {effective}. "
        "{github}'s standing is now *{status}*; when it changes, they and their managers are told within the hour.",
        label=label,
        name=AGREEMENT_NAMES[kind],
        verb=verb,
        effective=day(effective),
        github=person.github,
        status=status,
    )


def history_lines(history: History) -> list[str]:
    """Return an agreement history as lines of text, oldest first (for `ccbot agreements history`)."""
    lines = []
    for event in history.events:
        holder = (
            history.organization.name
            if event.organization_id and history.organization
            else history.person.github
        )
        dates = ", ".join(
            part
            for part in (
                f"signed {event.signed_on}" if event.signed_on else "",
                f"ends {event.expires_on}" if event.expires_on else "no expiry",
                f"was {event.previous_expires_on}" if event.previous_expires_on else "",
            )
            if part
        )
        reason = f": {event.reason}" if event.reason else ""
        lines.append(
            f"{event.recorded_at:%Y-%m-%d %H:%M} {event.action.value:<11} {event.kind.value:<10} {holder} "
            f"effective {event.effective_on} ({dates}) by {event.recorded_by}{reason}"
        )
    return lines
