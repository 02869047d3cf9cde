"""Messages about GitHub: merges for the champions, review asks with Take it / Pass it on, review requests, access."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.ids import Action
from bot.views.text import escape, person_ref, slack_date
from storage.models import ReviewAskState

if TYPE_CHECKING:
    from bot.services.access import AccessPlan, ApplyReport, Change
    from bot.services.github import MergeNotice, PullRequest, ReviewAskCard, ReviewRequest


def pr_link(pr: PullRequest) -> str:
    """Return a link to the pull request: the canonical URL, named `org/repo#N`."""
    return f"<{pr.url}|{escape(pr.repo)}#{pr.number}>"


def _title(pr: PullRequest) -> str:
    return f" “{escape(pr.title)}”" if pr.title else ""


def _login(login: str | None) -> str:
    return f"`{escape(login)}`" if login else "someone"


def merge_text(notice: MergeNotice) -> str:
    """Return the merge notice: who merged what, the champions to tell, and a mark when none was around."""
    pr, committer = notice.pr, notice.committer
    if notice.merged_by and notice.merged_by.lower() == committer.github_key:
        what = f"{person_ref(committer)} merged {pr_link(pr)}{_title(pr)}"
        if pr.author and pr.author.lower() != committer.github_key:
            what += f" by {_login(pr.author)}"
    else:
        what = (
            f"{pr_link(pr)}{_title(pr)} by {person_ref(committer)} was merged by {_login(notice.merged_by)}"
        )
    lines = [f":twisted_rightwards_arrows: {what}."]
    if notice.champions:
        lines.append("Champions: " + ", ".join(person_ref(c) for c in notice.champions))
    if notice.off_hours and notice.merged_at is not None:
        lines.append(
            f":crescent_moon: Merged {slack_date(notice.merged_at)}, outside both champions' working hours: "
            "the pilot's rule is to merge while a champion is around, so please take a look now."
        )
    return "\n".join(lines)


def merge_fallback(notice: MergeNotice) -> str:
    """Return the notification text of a merge notice."""
    mark = " (outside the champions' working hours)" if notice.off_hours else ""
    return f"{escape(notice.pr.repo)}#{notice.pr.number} merged{mark}"


def review_ask_text(card: ReviewAskCard) -> str:
    """Return the notification text of a review ask."""
    return f"Could you review {escape(card.pr.repo)}#{card.pr.number}?"


def review_ask_blocks(card: ReviewAskCard) -> list[Block]:
    """Return the DM asking a committer to review, with Take it / Pass it on while it is theirs to answer."""
    pr = card.pr
    lines = [
        f":eyes: *Could you review {pr_link(pr)}?*{_title(pr)}",
        f"Opened by {_login(pr.author)}; it carries the review label and you hold commit rights on "
        f"`{escape(pr.repo)}`.",
    ]
    if card.passed_by is not None:
        lines.append(f"{person_ref(card.passed_by)} passed it on to you.")
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text="\n".join(lines)[:3000]))]
    state = card.ask.state
    if state == ReviewAskState.ASKED:
        value = str(card.id)
        blocks.append(
            ActionsBlock(
                block_id=f"review_ask:{card.id}",
                elements=[
                    ButtonElement(
                        text="Take it", action_id=Action.TAKE_REVIEW.value, value=value, style="primary"
                    ),
                    ButtonElement(text="Pass it on", action_id=Action.PASS_REVIEW.value, value=value),
                ],
            )
        )
    elif state == ReviewAskState.TAKEN:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=":white_check_mark: You took it. Thank you!")])
        )
    elif state == ReviewAskState.REVIEWED:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=":white_check_mark: Reviewed. Thank you!")])
        )
    return blocks


def passed_text(card: ReviewAskCard) -> str:
    """Return the notification text of the passer's DM once they passed the review on."""
    return f"You passed the review of {escape(card.pr.repo)}#{card.pr.number} on"


def passed_blocks(card: ReviewAskCard) -> list[Block]:
    """Return the passer's DM once they passed the review on: who has it now."""
    pr = card.pr
    if card.reviewer is not None:
        outcome = f"You passed it on; {person_ref(card.reviewer)} is asked now."
    else:
        outcome = "You passed it on; no other committer is free, so the coordination channel was told."
    return [
        SectionBlock(text=MarkdownTextObject(text=f"Review of {pr_link(pr)}{_title(pr)}"[:3000])),
        ContextBlock(elements=[MarkdownTextObject(text=f":arrow_right: {outcome}")]),
    ]


def unassigned_text(card: ReviewAskCard) -> str:
    """Return the coordination-channel note when no committer is free to review a labelled PR."""
    pr = card.pr
    why = (
        "everyone with commit rights on it passed"
        if card.ask.passed
        else "nobody with commit rights on it is free"
    )
    return (
        f":warning: {pr_link(pr)}{_title(pr)} asks for a core committer's review, but {why} "
        "(away, the author, or not linked to Slack). Please find a reviewer."
    )


def review_request_text(request: ReviewRequest) -> str:
    """Return the DM telling a committer that their review was requested on GitHub."""
    pr = request.pr
    return (
        f":mag: {_login(request.requested_by)} asked for your review of {pr_link(pr)}{_title(pr)} on GitHub."
    )


def access_lines(lines: Sequence[tuple[str, str, str]]) -> str:
    """Return `/cc`'s GitHub access lines from (team, state, when) tuples."""
    marks = {
        "member": (":white_check_mark:", "member of"),
        "pending": (":hourglass_flowing_sand:", "invitation pending for"),
        "missing": (":x:", "not yet a member of"),
        "extra": (":warning:", "still a member of"),
    }
    out = []
    for team, state, when in lines:
        mark, words = marks.get(state, (":grey_question:", state))
        line = f"{mark} {words} `{escape(team)}`"
        if state == "pending":
            line += ": accept the invitation GitHub e-mailed you"
        elif state == "missing":
            line += ": the admins have been told"
        elif state == "extra":
            line += ": your commit rights there have ended, so it will be removed"
        out.append(f"{line} (checked {when})")
    return "\n".join(out)


def plan_lines(plan: AccessPlan) -> list[str]:
    """Return the plan as terminal lines: per team, who is added (+), removed (-), invited (~), unknown (?)."""
    lines: list[str] = []
    for team in plan.teams:
        if team.missing:
            waiting = len(team.add) or sum(1 for (_, t) in plan.states if t == team.team)
            lines.append(
                f"{team.team}: not found on GitHub: create the team ({waiting} committers wait for it)"
            )
            continue
        lines.append(f"{team.team}: {team.in_place} in place")
        lines += [f"  + {c.login:<24} {c.reason}" for c in team.add]
        lines += [
            f"  - {c.login:<24} {c.reason}" + (" (cancels the invitation)" if c.invitation else "")
            for c in team.remove
        ]
        lines += [f"  ~ {login:<24} invited, not accepted yet ({reason})" for login, reason in team.pending]
        lines += [f"  ? {login:<24} not on the roster: left alone" for login in team.unknown]
        lines += [
            f"  · {login:<24} on the roster but not a committer: left alone" for login in team.not_committers
        ]
    return lines


def _change_lines(changes: Sequence[Change], sign: str, limit: int) -> list[str]:
    shown = [
        f"{sign} `{escape(c.login)}` {sign_word(sign)} `{escape(c.team)}`: {escape(c.reason)}"
        for c in changes[:limit]
    ]
    if len(changes) > limit:
        shown.append(f"…and {len(changes) - limit} more")
    return shown


def sign_word(sign: str) -> str:
    """Return the preposition for an added (+) or removed (-) membership."""
    return "to" if sign == "+" else "from"


def drift_text(plan: AccessPlan, *, limit: int = 15) -> str:
    """Return the admins' report of GitHub team access that differs from the roster."""
    unknown = [(t.team, login) for t in plan.teams for login in t.unknown]
    missing = [t.team for t in plan.teams if t.missing]
    lines = [f":busts_in_silhouette: *GitHub team access differs from the roster:* {escape(plan.summary)}."]
    lines += _change_lines(plan.adds, "+", limit)
    lines += _change_lines(plan.removals, "-", limit)
    lines += [
        f"? `{escape(login)}` in `{escape(team)}` is not on the roster" for team, login in unknown[:limit]
    ]
    lines += [f":warning: `{escape(team)}` does not exist on GitHub: create it" for team in missing[:limit]]
    lines.append("`ccbot access plan` shows every reason; `ccbot access apply` makes GitHub match.")
    return "\n".join(lines)


def applied_text(report: ApplyReport, *, limit: int = 15) -> str:
    """Return the admins' report of what `access apply` changed on GitHub."""
    lines = [f":busts_in_silhouette: *GitHub team access applied:* {escape(report.summary)}."]
    lines += _change_lines([*report.added, *report.invited], "+", limit)
    lines += _change_lines(report.removed, "-", limit)
    lines += [
        f":x: `{escape(c.login)}` in `{escape(c.team)}`: {escape(error[:200])}"
        for c, error in report.failed[:limit]
    ]
    if report.invited:
        lines.append("Invited people join once they accept GitHub's e-mailed invitation.")
    return "\n".join(lines)


def refused_text(reason: str) -> str:
    """Return the admins' note that an automatic apply was refused."""
    return f":octagonal_sign: *GitHub team access was not changed:* {escape(reason)}"
