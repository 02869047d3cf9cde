"""The App Home tab by role: a committer's status, a champion's queue, a manager's week, an admin's roster health."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.ids import Action
from bot.services.keys import Subject
from bot.views.digest import digest_blocks
from bot.views.questions import duration
from bot.views.status import AGREEMENT_NAMES, gap_text, status_blocks
from bot.views.text import day, escape, person_ref
from bot.views.yearly import yearly_closing_blocks, yearly_personal_blocks
from storage.models import Escalation

if TYPE_CHECKING:
    from bot.services.home import HomeData

# Slack allows 100 blocks in a Home tab; one page keeps room for the navigation.
PAGE_BLOCKS = 95
LIST_CHUNK = 10


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text[:3000]))


def _chunked(title: str, lines: Sequence[str], empty: str) -> list[Block]:
    if not lines:
        return [_section(f"*{title}:* {empty}")]
    blocks: list[Block] = []
    for start in range(0, len(lines), LIST_CHUNK):
        head = f"*{title}* ({len(lines)}):\n" if start == 0 else ""
        blocks.append(_section(head + "\n".join(lines[start : start + LIST_CHUNK])))
    return blocks


def _overdue_line(escalation: Escalation, permalink: str | None, now: dt.datetime) -> str:
    label = f"#{escalation.id} {escape(escalation.summary)}"
    waiting = duration(now - escalation.opened_at)
    return f"• <{permalink}|{label}> waiting {waiting}" if permalink else f"• {label} waiting {waiting}"


def home_blocks(data: HomeData, *, now: dt.datetime) -> list[Block]:
    """Return every block of a person's App Home, before pagination."""
    own = replace(data.activity, waiting_on_me=[])
    blocks = status_blocks(data.profile, today=now.date(), activity=own)
    if data.yearly is not None:
        blocks += yearly_personal_blocks(data.yearly, today=now.date())
    queue = data.activity.waiting_on_me
    if queue or data.profile.committers:
        blocks.append(HeaderBlock(text="Questions waiting on you"))
        lines = [
            f"• <{data.activity.link(Subject.question(q.id or 0)) or q.pr_url}|{escape(repo)}#{q.pr_number}> "
            f"({q.state}), waiting {duration(now - q.asked_at)}"
            for q, repo in queue
        ]
        blocks += _chunked("Open", lines, "none, well done")
    if data.digest is not None:
        blocks.append(DividerBlock())
        # An admin's roster health lists the onboarding blockers with what to do; the digest's copy would repeat them.
        blocks += digest_blocks(data.digest, onboarding=data.health is None)
        overdue = [
            _overdue_line(e, data.activity.link(Subject.escalation(e.id or 0)), now) for e in data.overdue
        ]
        blocks += _chunked("Overdue escalations", overdue, "none")
    if data.health is not None:
        health = data.health
        blocks.append(HeaderBlock(text="Roster health"))
        blocks += _chunked(
            "Onboarding blockers",
            [
                f"• {person_ref(s.person)}: {'; '.join(gap_text(g, for_admin=True) for g in s.gaps)}"
                for s in health.onboarding
            ],
            "none",
        )
        blocks += _chunked(
            "Agreements ending in 30 days",
            [
                f"• {escape(e.holder)}: {AGREEMENT_NAMES[e.kind]} ends {day(e.expires_on)}"
                for e in health.expiring
            ],
            "none",
        )
        if health.champions_required:
            blocks += _chunked(
                f"Committers with fewer than {health.champions_required} champions",
                [f"• {person_ref(p)}: {count}" for p, count in health.short_of_champions],
                "none",
            )
    if data.yearly is not None:
        blocks += yearly_closing_blocks(data.yearly)
    return blocks


def paged_home(blocks: list[Block], page: int) -> View:
    """Return one page of the Home tab, with Previous / Next buttons when there is more than one."""
    pages = max(1, -(-len(blocks) // PAGE_BLOCKS))
    page = min(max(page, 1), pages)
    shown = blocks[(page - 1) * PAGE_BLOCKS : page * PAGE_BLOCKS]
    if pages > 1:
        buttons = []
        if page > 1:
            buttons.append(
                ButtonElement(
                    text="Previous", action_id=f"{Action.HOME_PAGE.value}:prev", value=str(page - 1)
                )
            )
        if page < pages:
            buttons.append(
                ButtonElement(text="Next", action_id=f"{Action.HOME_PAGE.value}:next", value=str(page + 1))
            )
        shown = [
            *shown,
            ContextBlock(elements=[MarkdownTextObject(text=f"Page {page} of {pages}")]),
            ActionsBlock(block_id="home-pages", elements=buttons),
        ]
    return View(type="home", blocks=shown)
