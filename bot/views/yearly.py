"""The yearly cycle in App Home and the digest: one's recommitments and agreements, reminder preferences,
and the rounds' progress with the inactive committers."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Block

from bot.views.agreements import my_agreements_blocks
from bot.views.blocks import section
from bot.views.membership import inactivity_summary_text
from bot.views.quiet import quiet_home_blocks
from bot.views.renewals import my_renewal_blocks, progress_text

if TYPE_CHECKING:
    from bot.types.yearly import YearlyHome, YearlyOverview


def overview_blocks(overview: YearlyOverview) -> list[Block]:
    """Return the rounds' progress (who answered what) and the inactive committers, for admins and the digest."""
    blocks: list[Block] = [section(progress_text(progress)) for progress in overview.rounds]
    if not overview.rounds:
        blocks.append(section("*Recommitment:* no round open (`ccbot renewal open YEAR` opens one)."))
    blocks.append(section(inactivity_summary_text(overview.inactivity)))
    return blocks


def yearly_personal_blocks(yearly: YearlyHome, *, today: dt.date) -> list[Block]:
    """Return one's own part of the yearly cycle in App Home: recommitments to answer, then My agreements."""
    return [
        *my_renewal_blocks(yearly.to_answer),
        *my_agreements_blocks(yearly.agreements, yearly.admins, today=today),
    ]


def yearly_closing_blocks(yearly: YearlyHome) -> list[Block]:
    """Return the end of App Home: one's reminder preferences."""
    return quiet_home_blocks(yearly.quiet) if yearly.quiet is not None else []
