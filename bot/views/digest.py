"""The weekly digest as Block Kit (within 50 blocks) and as a CSV of the full champion-load table."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, TableBlock

from bot.views.blocks import context, section
from bot.views.responsiveness import responsiveness_blocks
from bot.views.text import (
    AGREEMENT_NAMES,
    Mrkdwn,
    day,
    duration,
    escape,
    gap_text,
    mrkdwn,
    person_ref,
    spreadsheet_safe,
)
from bot.views.yearly import overview_blocks

if TYPE_CHECKING:
    from bot.types.digest import Digest
    from storage.models import Person

# Rows of the champion-load table shown in the message; the rest go to the CSV upload.
MAX_LOAD_ROWS = 15
MAX_LIST = 10


def _span(value: dt.timedelta | None) -> str:
    return duration(value) if value is not None else "—"


def _more(total: int, shown: int) -> str:
    return f"\n…and {total - shown} more" if total > shown else ""


def _cell(text: str) -> dict[str, Any]:
    # raw_text is shown as typed: never read as mrkdwn, so a name cannot ping, mention or link.
    return {"type": "raw_text", "text": text}


def _person_cell(person: Person) -> dict[str, Any]:
    if person.slack_user_id:
        return {
            "type": "rich_text",
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "user", "user_id": person.slack_user_id}]}
            ],
        }
    return _cell(person.name or person.github)


def load_table(digest: Digest) -> TableBlock:
    """Return the champion load as a Block Kit table (a header row and at most MAX_LOAD_ROWS rows)."""
    rows = [[_cell("Champion"), _cell("Open"), _cell("Answered"), _cell("First response (median)")]]
    rows += [
        [
            _person_cell(load.person),
            _cell(str(load.open)),
            _cell(str(load.answered)),
            _cell(_span(load.median_first_response)),
        ]
        for load in digest.loads[:MAX_LOAD_ROWS]
    ]
    right = {"align": "right"}
    return TableBlock(rows=rows, column_settings=[{"is_wrapped": True}, right, right, right])


def digest_blocks(digest: Digest, *, onboarding: bool = True, table: bool = False) -> list[Block]:
    """Return the digest: questions, response times, champion load, escalations, agreements, onboarding, retro.

    With `table`, the champion load is a table block (messages only; the section list is its fallback).
    """
    week = f"{digest.start:%Y-%m-%d} to {digest.end:%Y-%m-%d}"
    blocks: list[Block] = [
        HeaderBlock(text=f"Core Committer weekly digest ({digest.period})"),
        context(f"The seven days to {digest.end:%Y-%m-%d %H:%M} UTC ({week})"),
        section(
            f"*Questions:* {digest.asked} asked · {digest.answered} answered · {digest.still_open} still open"
        ),
    ]
    if digest.responsiveness is not None and digest.response_target is not None:
        blocks += responsiveness_blocks(digest.responsiveness, digest.response_target, digest.nudges)
    else:
        blocks.append(
            section(
                f"*Time to first response:* median {_span(digest.first_response_median)} · "
                f"90th percentile {_span(digest.first_response_p90)}"
            )
        )
    if digest.loads and table:
        note = (
            f"…{len(digest.loads) - MAX_LOAD_ROWS} more in the attached CSV"
            if len(digest.loads) > MAX_LOAD_ROWS
            else ""
        )
        blocks.append(section("*Champion load:*"))
        blocks.append(load_table(digest))
        if note:
            blocks.append(context(note))
    elif digest.loads:
        rows = [
            f"• {person_ref(load.person)}: {load.open} open, {load.answered} answered"
            + (
                f", first response in {_span(load.median_first_response)} (median)"
                if load.median_first_response
                else ""
            )
            for load in digest.loads[:MAX_LOAD_ROWS]
        ]
        note = (
            f"\n…{len(digest.loads) - MAX_LOAD_ROWS} more in the attached CSV"
            if len(digest.loads) > MAX_LOAD_ROWS
            else ""
        )
        blocks.append(section("*Champion load:*\n" + "\n".join(rows) + note))
    blocks.append(
        section(
            f"*Escalations:* {digest.escalations_opened} opened · {digest.escalations_acknowledged} acknowledged · "
            f"{digest.escalations_resolved} resolved · {digest.escalations_overdue} overdue now"
        )
    )
    blocks.append(
        section(
            f"*Production notices:* {digest.notices} sent to committers · {digest.reverted} reverted · "
            f"median time to revert {_span(digest.time_to_revert)}"
        )
    )
    blocks.append(
        section(
            f"*On GitHub:* {digest.github.get('merged', 0)} merges and "
            f"{digest.github.get('reviewed', 0)} reviews by committers"
        )
    )
    blocks.append(DividerBlock())
    if digest.expiring:
        lines = [
            f"• {escape(e.holder)}: {AGREEMENT_NAMES[e.kind]} ends {day(e.expires_on)}"
            for e in digest.expiring[:MAX_LIST]
        ]
        blocks.append(
            section(
                "*Agreements ending in the next 30 days:*\n"
                + "\n".join(lines)
                + _more(len(digest.expiring), MAX_LIST)
            )
        )
    else:
        blocks.append(section("*Agreements ending in the next 30 days:* none"))
    lapsed = ", ".join(person_ref(p) for p in digest.lapsed[:MAX_LIST]) or "none"
    blocks.append(section(f"*Lapsed committers:* {lapsed}{_more(len(digest.lapsed), MAX_LIST)}"))
    if onboarding and digest.onboarding:
        lines = [
            f"• {person_ref(s.person)}: {'; '.join(gap_text(g) for g in s.gaps)}"
            for s in digest.onboarding[:MAX_LIST]
        ]
        blocks.append(
            section("*Onboarding blockers:*\n" + "\n".join(lines) + _more(len(digest.onboarding), MAX_LIST))
        )
    elif onboarding:
        blocks.append(section("*Onboarding blockers:* none"))
    if digest.pending_nominations:
        blocks.append(section(f"*Pending nominations:* {digest.pending_nominations} open for votes"))
    if digest.retro is not None:
        retro, responses, participants = digest.retro
        rate = f"{responses / participants:.0%}" if participants else "—"
        state = "closed" if retro.closed_at else f"open until {retro.closes_at:%Y-%m-%d}"
        blocks.append(
            section(
                f"*Retro “{escape(retro.name)}”* ({state}): {responses} of {participants} responded ({rate})"
            )
        )
    if digest.yearly is not None:
        blocks += overview_blocks(digest.yearly)
    return blocks


def digest_text(digest: Digest) -> Mrkdwn:
    """Return the notification text of the digest."""
    return mrkdwn(
        "Weekly digest {period}: {asked} questions asked, {answered} answered, {opened} escalations opened",
        period=digest.period,
        asked=digest.asked,
        answered=digest.answered,
        opened=digest.escalations_opened,
    )


def load_csv(digest: Digest) -> str:
    """Return the full champion-load table as CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["github", "name", "open_questions", "answered_this_week", "median_first_response_seconds"]
    )
    for load in digest.loads:
        median = int(load.median_first_response.total_seconds()) if load.median_first_response else ""
        writer.writerow(
            [
                spreadsheet_safe(load.person.github),
                spreadsheet_safe(load.person.name),
                load.open,
                load.answered,
                median,
            ]
        )
    return out.getvalue()
