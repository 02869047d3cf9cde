"""Champions' responsiveness as Block Kit: a week's percentiles against the target, per champion and per area,
how nudges fared, and the last weeks for App Home."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Block, HeaderBlock

from bot.views.blocks import context, section
from bot.views.text import escape, person_ref

if TYPE_CHECKING:
    from bot.types.responsiveness import NudgeReport, Percentiles, ResponsivenessSeries, WeekResponsiveness

MAX_ROWS = 15


def _questions(count: int) -> str:
    return f"{count} question" + ("s" if count != 1 else "")


FOOTNOTE = (
    "Business hours of the responder (a champion's own for their row). Percentiles are nearest-rank: "
    "of n times in order, the p-th is the one at rank ⌈p·n⌉. Time waiting on champions adds up every turn "
    "a question spent waiting on them; a turn still open counts up to now."
)


def business(value: dt.timedelta | None) -> str:
    """Return business time in hours and minutes (`27h 30m`), since a business day is not 24 hours; a dash for None."""
    if value is None:
        return "—"
    minutes = max(0, int(value.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def spread(numbers: Percentiles) -> str:
    """Return `p50 1h · p75 3h · p90 9h`."""
    return f"p50 {business(numbers.p50)} · p75 {business(numbers.p75)} · p90 {business(numbers.p90)}"


def verdict(numbers: Percentiles, target: dt.timedelta) -> str:
    """Say whether the 75th percentile of first response is within the target."""
    meets = numbers.meets(target)
    if meets is None:
        return ""
    return " :white_check_mark: within target" if meets else " :warning: over target"


def responsiveness_blocks(
    week: WeekResponsiveness, target: dt.timedelta, nudges: NudgeReport | None = None
) -> list[Block]:
    """Return a week's responsiveness: overall against the target, per champion, per area, nudges, footnote."""
    first, waiting = week.first_response, week.waiting_on_champions
    blocks: list[Block] = [
        section(
            f"*Time to first response:* {spread(first)} (target p75 ≤ {business(target)}){verdict(first, target)}"
            f" · {first.count} responded\n"
            f"*Time waiting on champions:* {spread(waiting)} · {_questions(waiting.count)}"
        )
    ]
    if week.by_champion:
        rows = [
            f"• {person_ref(c.person)}: first response {spread(c.first_response)}"
            f"{verdict(c.first_response, target)}; waiting p75 {business(c.waiting_on_champions.p75)}"
            f" ({_questions(c.waiting_on_champions.count)})"
            for c in week.by_champion[:MAX_ROWS]
        ]
        more = len(week.by_champion) - MAX_ROWS
        rows += [f"…and {more} more"] if more > 0 else []
        blocks.append(section("*Responsiveness by champion:*\n" + "\n".join(rows)))
    if week.by_area:
        rows = [
            f"• {escape(a.area) if a.area else 'no area'}: first response {spread(a.first_response)}"
            f"{verdict(a.first_response, target)}; waiting p75 {business(a.waiting_on_champions.p75)}"
            for a in week.by_area[:MAX_ROWS]
        ]
        blocks.append(section("*Responsiveness by area:*\n" + "\n".join(rows)))
    if nudges is not None:
        blocks.append(section(nudge_text(nudges)))
    blocks.append(context(FOOTNOTE))
    return blocks


def nudge_text(nudges: NudgeReport) -> str:
    """Return how the nudges fared: sent, skipped, rated helpful, and the time to response with and without."""
    share = nudges.helpful_share
    rated = f"{nudges.rated} rated, {share:.0%} helpful" if share is not None else "none rated yet"
    return (
        f"*Nudges:* {nudges.sent} sent · {nudges.skipped} skipped over the daily cap · {rated}\n"
        f"Median time to first response after the last nudge: {business(nudges.after_nudge.p50)} "
        f"({_questions(nudges.after_nudge.count)}) · without a nudge: {business(nudges.without_nudge.p50)} "
        f"({_questions(nudges.without_nudge.count)})"
    )


def series_blocks(series: ResponsivenessSeries) -> list[Block]:
    """Return the last weeks, one line each: first response and waiting on champions against the target."""
    lines = [
        f"• {week.week}: {week.asked} asked · first response {spread(week.first_response)}"
        f"{verdict(week.first_response, series.target)} · waiting p75 {business(week.waiting_on_champions.p75)}"
        for week in series.weeks
    ]
    return [
        HeaderBlock(text="Champions' responsiveness"),
        section("\n".join(lines) or "No questions yet."),
        context(
            f"Target: p75 of first response ≤ {business(series.target)} (CCBOT_RESPONSE_TARGET). {FOOTNOTE}"
        ),
    ]
