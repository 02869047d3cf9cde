"""Messages about GitHub: merges for the champions, review asks with Take it / Pass it on, review requests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.ids import Action
from bot.views.blocks import context, section
from bot.views.text import Mrkdwn, escape, join, join_some, link, mrkdwn, person_ref, slack_date
from storage.models import ReviewAskState

if TYPE_CHECKING:
    from bot.types.github import MergeNotice, PullRequest, ReviewAskCard, ReviewRequest


def pr_link(pr: PullRequest) -> Mrkdwn:
    """Return a link to the pull request: the canonical URL, named `org/repo#N`."""
    return link(pr.url, mrkdwn("{repo}#{number}", repo=pr.repo, number=pr.number))


def _title(pr: PullRequest) -> Mrkdwn:
    return mrkdwn(" “{title}”", title=pr.title) if pr.title else mrkdwn("")


def _login(login: str | None) -> Mrkdwn:
    return mrkdwn("`{login}`", login=login) if login else mrkdwn("someone")


def merge_text(notice: MergeNotice) -> Mrkdwn:
    """Return the merge notice: who merged what, the champions to tell, and a mark when none was around."""
    pr, committer = notice.pr, notice.committer
    if notice.merged_by and notice.merged_by.lower() == committer.github_key:
        what = mrkdwn("{who} merged {pr}{title}", who=person_ref(committer), pr=pr_link(pr), title=_title(pr))
        if pr.author and pr.author.lower() != committer.github_key:
            what = mrkdwn("{what} by {author}", what=what, author=_login(pr.author))
    else:
        what = mrkdwn(
            "{pr}{title} by {who} was merged by {merger}",
            pr=pr_link(pr),
            title=_title(pr),
            who=person_ref(committer),
            merger=_login(notice.merged_by),
        )
    lines = [mrkdwn(":twisted_rightwards_arrows: {what}.", what=what)]
    if notice.champions:
        lines.append(
            mrkdwn("Champions: {names}", names=join_some(", ", [person_ref(c) for c in notice.champions]))
        )
    if notice.off_hours and notice.merged_at is not None:
        lines.append(
            mrkdwn(
                ":crescent_moon: Merged {when}, outside both champions' working hours: "
                "the pilot's rule is to merge while a champion is around, so please take a look now.",
                when=slack_date(notice.merged_at),
            )
        )
    return join("\n", lines)


def merge_fallback(notice: MergeNotice) -> Mrkdwn:
    """Return the notification text of a merge notice."""
    mark = " (outside the champions' working hours)" if notice.off_hours else ""
    return mrkdwn("{repo}#{number} merged{mark}", repo=notice.pr.repo, number=notice.pr.number, mark=mark)


def review_ask_text(card: ReviewAskCard) -> Mrkdwn:
    """Return the notification text of a review ask."""
    return mrkdwn("Could you review {repo}#{number}?", repo=card.pr.repo, number=card.pr.number)


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
    blocks: list[Block] = [section("\n".join(lines))]
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
        blocks.append(context(":white_check_mark: You took it. Thank you!"))
    elif state == ReviewAskState.REVIEWED:
        blocks.append(context(":white_check_mark: Reviewed. Thank you!"))
    return blocks


def passed_text(card: ReviewAskCard) -> Mrkdwn:
    """Return the notification text of the passer's DM once they passed the review on."""
    return mrkdwn("You passed the review of {repo}#{number} on", repo=card.pr.repo, number=card.pr.number)


def passed_blocks(card: ReviewAskCard) -> list[Block]:
    """Return the passer's DM once they passed the review on: who has it now."""
    pr = card.pr
    if card.reviewer is not None:
        outcome = f"You passed it on; {person_ref(card.reviewer)} is asked now."
    else:
        outcome = "You passed it on; no other committer is free, so the coordination channel was told."
    return [
        section(f"Review of {pr_link(pr)}{_title(pr)}"),
        context(f":arrow_right: {outcome}"),
    ]


def unassigned_text(card: ReviewAskCard) -> Mrkdwn:
    """Return the coordination-channel note when no committer is free to review a labelled PR."""
    pr = card.pr
    why = (
        "everyone with commit rights on it passed"
        if card.ask.passed
        else "nobody with commit rights on it is free"
    )
    return mrkdwn(
        ":warning: {pr}{title} asks for a core committer's review, but {why} "
        "(away, the author, or not linked to Slack). Please find a reviewer.",
        pr=pr_link(pr),
        title=_title(pr),
        why=why,
    )


def review_request_text(request: ReviewRequest) -> Mrkdwn:
    """Return the DM telling a committer that their review was requested on GitHub."""
    pr = request.pr
    return mrkdwn(
        ":mag: {who} asked for your review of {pr}{title} on GitHub.",
        who=_login(request.requested_by),
        pr=pr_link(pr),
        title=_title(pr),
    )
