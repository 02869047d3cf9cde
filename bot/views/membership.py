"""Texts and blocks of membership over time: alumni notices, reinstatement, the inactivity list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject, HeaderBlock
from slack_sdk.models.views import View

from bot.ids import Action, Input, ViewId
from bot.views.blocks import context, modal, section, text_field
from bot.views.text import Mrkdwn, activity_text, day, escape, gap_text, join, mrkdwn, person_ref
from storage.models import Activity, InactivityDecision, InactivityProposal, Person

if TYPE_CHECKING:
    from bot.types.membership import Inactive, InactivitySummary, ProposalRow
    from bot.types.policy import LifecyclePolicy, PhasePolicy
    from bot.types.standing import Gap


def _admins(admins: Sequence[Person]) -> Mrkdwn:
    return join(", ", [person_ref(a) for a in admins]) or mrkdwn("a program admin")


def alumni_text(person: Person, reason: str, admins: Sequence[Person]) -> Mrkdwn:
    """Tell someone they are now an alumnus, why, with thanks, and how to come back."""
    return mrkdwn(
        ":wave: {name}, you are now an alumnus of the Core Committer program "
        "({reason}). Thank you for everything you contributed! Your roles and history are kept: "
        "to come back, ask {admins}, who can reinstate you.",
        name=person.name or person.github,
        reason=reason,
        admins=_admins(admins),
    )


def _gaps(gaps: Sequence[Gap]) -> Mrkdwn:
    return join("\n", [mrkdwn("• {gap}", gap=gap_text(g)) for g in gaps])


def welcome_back_text(person: Person, gaps: Sequence[Gap]) -> Mrkdwn:
    """Welcome a reinstated alumnus and say what their standing needs, if anything."""
    if not gaps:
        return mrkdwn(
            ":tada: Welcome back to the Core Committer program! Your standing is *active* again; `/cc` shows it."
        )
    return mrkdwn(
        ":tada: Welcome back to the Core Committer program! Before your standing is active again:\n"
        "{gaps}\n`/cc` shows your status.",
        gaps=_gaps(gaps),
    )


def reinstated_done(person: Person, gaps: Sequence[Gap]) -> Mrkdwn:
    """Return the admin's confirmation of a reinstatement, with the standing recomputed."""
    missing = mrkdwn(":\n{gaps}", gaps=_gaps(gaps)) if gaps else "."
    return mrkdwn(
        "{github} is back on the roster, standing *{status}*{missing}",
        github=person.github,
        status=person.status,
        missing=missing,
    )


def moved_done(person: Person) -> Mrkdwn:
    """Return the confirmation of a move to alumni."""
    return mrkdwn(
        "{github} is now an alumnus; `/cc-admin` → Reinstate brings them back.", github=person.github
    )


def kept_done(person: Person, until: dt.date | None) -> Mrkdwn:
    """Return the confirmation of keeping a committer proposed as inactive."""
    return mrkdwn(
        "Kept {github}; they are not proposed as inactive again before {until}.",
        github=person.github,
        until=day(until),
    )


def already_decided(proposal: InactivityProposal) -> str:
    """Say that another admin decided a proposal first, and what they decided (plain text: refusals are escaped)."""
    what = "kept" if proposal.decision == InactivityDecision.KEPT else "moved to alumni"
    return f"{proposal.decided_by or 'Another admin'} already {what} this committer ({day(proposal.decided_at and proposal.decided_at.date())})."


def active_since_text(person: Person, sign: Activity) -> str:
    """Refuse a move to alumni: the person was active after the proposal (plain text: refusals are escaped)."""
    return f"{person.github} {activity_text(sign)} on {sign.at:%Y-%m-%d}, after this proposal; not moved."


def inactive_reason(proposal: InactivityProposal, policy: LifecyclePolicy) -> str:
    """Return the reason recorded when an inactive committer is moved to alumni."""
    since = proposal.last_active_at.date() if proposal.last_active_at else None
    return f"no recorded activity since {day(since)}, more than {policy.inactive_days} days"


def _since(row: ProposalRow, now: dt.datetime) -> str:
    last = row.proposal.last_active_at
    if last is None:
        return "no recorded activity"
    return f"last active {day(last.date())} ({(now - last).days} days ago)"


def inactivity_list(
    rows: Sequence[ProposalRow],
    *,
    period: str,
    part: tuple[int, int],
    policy: LifecyclePolicy,
    now: dt.datetime,
) -> tuple[Mrkdwn, list[Any]]:
    """Return one admin's inactivity list for a week: each committer with Keep and Move to alumni, or the decision."""
    index, total = part
    title = f"Inactive committers, {period}" + (f" ({index + 1}/{total})" if total > 1 else "")
    blocks: list[Block] = [
        HeaderBlock(text=title[:150]),
        context(
            f"No recorded activity (questions, votes, retro answers, merges, reviews) for more than "
            f"{policy.inactive_days} days. *Keep* stops proposing them for {policy.keep_days} days; "
            "*Move to alumni* takes every power away (`/cc-admin` → Reinstate brings them back)."
        ),
    ]
    for row in rows:
        person, proposal = row.person, row.proposal
        blocks.append(section(f"{person_ref(person)} (`{escape(person.github)}`): {_since(row, now)}"))
        if proposal.decision is None and person.removed_on is None:
            blocks.append(
                ActionsBlock(
                    block_id=f"inactive-{proposal.id}",
                    elements=[
                        ButtonElement(
                            text="Keep", action_id=Action.INACTIVE_KEEP.value, value=str(proposal.id)
                        ),
                        ButtonElement(
                            text="Move to alumni",
                            action_id=Action.INACTIVE_MOVE.value,
                            value=str(proposal.id),
                            style="danger",
                            confirm=ConfirmObject(
                                title="Move to alumni?",
                                text=f"{escape(person.github)} loses every power in the program.",
                                confirm="Move to alumni",
                                deny="Cancel",
                            ),
                        ),
                    ],
                )
            )
        else:
            blocks.append(context(_decision(proposal, person)))
    text = mrkdwn(
        "{count} committer(s) inactive for more than {days} days ({period})",
        count=len(rows),
        days=policy.inactive_days,
        period=period,
    )
    return text, blocks


def _decision(proposal: InactivityProposal, person: Person) -> str:
    by = escape(proposal.decided_by or "an admin")
    if proposal.decision == InactivityDecision.KEPT:
        return f":white_check_mark: Kept by {by} until {day(proposal.kept_until)}"
    if proposal.decision == InactivityDecision.MOVED:
        return f":wave: Moved to alumni by {by} on {day(proposal.decided_at and proposal.decided_at.date())}"
    return f":wave: Alumnus since {day(person.removed_on)}"


def inactivity_lines(inactive: Sequence[Inactive]) -> list[str]:
    """Return one line per inactive committer, for App Home and the digest."""
    return [
        f"• {person_ref(i.person)}: "
        + (f"last active {day(i.last_active_at.date())}" if i.last_active_at else "no recorded activity")
        + f", {i.days} days"
        for i in inactive
    ]


def inactivity_summary_text(summary: InactivitySummary, limit: int = 10) -> str:
    """Return the one-section summary of inactivity for the digest and App Home."""
    lines = inactivity_lines(summary.inactive[:limit])
    more = f"\n…and {len(summary.inactive) - limit} more" if len(summary.inactive) > limit else ""
    head = f"*Inactive for more than {summary.days} days:* {len(summary.inactive) or 'none'}"
    waiting = f" · {summary.undecided} proposal(s) awaiting a decision" if summary.undecided else ""
    return head + waiting + ("\n" + "\n".join(lines) + more if lines else "")


def reinstate_modal(policy: PhasePolicy) -> View:
    """Return the admin modal that brings an alumnus back."""
    return modal(
        ViewId.ADMIN_REINSTATE,
        "Reinstate an alumnus",
        [
            text_field(Input.GITHUB, "Alumnus (GitHub handle)"),
            text_field(Input.REASON, "Why (for the audit log)", optional=True, multiline=True),
        ],
        submit="Reinstate",
    )
