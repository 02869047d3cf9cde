"""Blocks for production notices: the committer's DM with revert guidance, the champions' thread, admin notes.

A committer's DM shows the structured fields and the redacted summary; the redacted monitoring details appear in
the champions' thread only. Text is escaped, then clipped, so every section stays within Slack's 3,000 characters.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.ids import Action
from bot.views.blocks import context, section
from bot.views.text import (
    Mrkdwn,
    escape,
    escape_clipped,
    join,
    join_some,
    link,
    mrkdwn,
    person_ref,
    slack_date,
)
from storage.models import DeploymentEventKind, NoticeState

if TYPE_CHECKING:
    from bot.types.notices import NoticeCard

HEADLINES = {
    DeploymentEventKind.ESCAPED_ISSUE: ":rotating_light: A production issue may come from your change",
    DeploymentEventKind.DEPLOY_FAILED: ":x: A deployment with your change failed",
    DeploymentEventKind.ROLLED_BACK: ":leftwards_arrow_with_hook: A deployment with your change was rolled back",
}
THIRD_PERSON = {
    DeploymentEventKind.ESCAPED_ISSUE: ":rotating_light: A production issue may come from",
    DeploymentEventKind.DEPLOY_FAILED: ":x: A deployment failed with",
    DeploymentEventKind.ROLLED_BACK: ":leftwards_arrow_with_hook: A deployment was rolled back with",
}
ANSWERS = {
    NoticeState.REVERTING: ":leftwards_arrow_with_hook: You are reverting it. Thank you!",
    NoticeState.NOT_MINE: ":ballot_box_with_check: You said it is not your change; the champions will look.",
    NoticeState.HELP: ":sos: You asked for help; your champions are in the thread.",
    NoticeState.REVERTED: ":white_check_mark: The revert reached production.",
}
SECTION_MAX = 3000  # Slack's limit on a section's text
# Budgets of escaped text: a section's fixed words, the PR link and these together stay under SECTION_MAX.
FIELD_MAX = 200  # environment, incident id
SUMMARY_MAX = 1500
DETAILS_MAX = SECTION_MAX - 200
FENCE, FENCE_STANDIN = "```", "'''"


def _pr(card: NoticeCard) -> Mrkdwn:
    return link(card.pr_link, mrkdwn("{repo}#{number}", repo=card.repo, number=card.notice.pr_number))


def _environment(card: NoticeCard) -> Mrkdwn:
    return mrkdwn("*{environment}*", environment=escape_clipped(card.event.environment, FIELD_MAX))


def _facts(card: NoticeCard) -> list[str]:
    """The incident id and the redacted summary, as lines."""
    lines = []
    if card.event.incident_id:
        lines.append(f"Incident `{escape_clipped(card.event.incident_id, FIELD_MAX)}`")
    if card.event.summary:
        lines.append(escape_clipped(card.event.summary, SUMMARY_MAX))
    return lines


def _pipeline(card: NoticeCard) -> Mrkdwn:
    pipeline = card.pipeline_link
    return link(pipeline, "the pipeline run") if pipeline else mrkdwn("the pipeline")


def notice_text(card: NoticeCard) -> Mrkdwn:
    """Return the notification text of a committer's notice."""
    return mrkdwn(
        "{headline}: {repo}#{number}",
        headline=HEADLINES.get(card.notice.event, "Deployment notice"),
        repo=card.repo,
        number=card.notice.pr_number,
    )


def notice_blocks(card: NoticeCard) -> list[Block]:
    """Return the committer's DM: what happened, where, the (redacted) details, what to do, and the buttons."""
    lines = [
        f"*{HEADLINES.get(card.notice.event, 'Deployment notice')}*: {_pr(card)} in {_environment(card)}."
    ]
    blocks: list[Block] = [section("\n".join(lines + _facts(card)))]
    pipeline = _pipeline(card)
    blocks.append(
        section(
            f"*What to do:* open {_pr(card)} on GitHub and use *Revert*; merge the revert pull request and CD "
            f"deploys it. Details are in {pipeline}. Production data stays with the operators: ask your "
            "champions if you need more than this."
        )
    )
    answer = ANSWERS.get(card.notice.state)
    if answer:
        blocks.append(context(answer))
    if card.notice.state in {NoticeState.NOTIFIED, NoticeState.HELP, NoticeState.NOT_MINE}:
        value = str(card.id)
        blocks.append(
            ActionsBlock(
                block_id=f"notice-{card.id}",
                elements=[
                    ButtonElement(
                        text="I'm reverting",
                        action_id=Action.NOTICE_REVERTING.value,
                        value=value,
                        style="primary",
                    ),
                    ButtonElement(text="Not my change", action_id=Action.NOTICE_NOT_MINE.value, value=value),
                    ButtonElement(text="Need help", action_id=Action.NOTICE_HELP.value, value=value),
                ],
            )
        )
    return blocks


def champion_thread_text(card: NoticeCard) -> Mrkdwn:
    """Return the coordination-channel post that tells the champions about a notice (its notification text)."""
    assert card.person is not None
    champions = join_some(", ", [person_ref(c) for c in card.champions])
    to = mrkdwn("{champions}: ", champions=champions) if champions else ""
    lead = THIRD_PERSON.get(card.notice.event, "A deployment notice names")
    return mrkdwn(
        "{to}{lead} {who}'s {pr} in {environment}. "
        "They have the revert guidance; their answers appear in this thread.",
        to=to,
        lead=lead,
        who=person_ref(card.person),
        pr=_pr(card),
        environment=_environment(card),
    )


def champion_thread_blocks(card: NoticeCard) -> list[Block]:
    """Return the champions' post: who and what, the incident and summary, and the redacted monitoring details."""
    blocks: list[Block] = [section(champion_thread_text(card))]
    facts = _facts(card)
    if facts:
        blocks.append(section("\n".join(facts)))
    if card.event.details:
        # A fence inside the details would end the code block early and the rest would be read as mrkdwn.
        details = escape_clipped(card.event.details.replace(FENCE, FENCE_STANDIN), DETAILS_MAX)
        blocks.append(section(f"{FENCE}{details}{FENCE}"))
    blocks.append(
        context(f"Details are redacted and shown to champions only; the full record is in {_pipeline(card)}.")
    )
    return blocks


def answer_thread_text(card: NoticeCard) -> Mrkdwn:
    """Return the thread note for the committer's answer."""
    assert card.person is not None
    who = person_ref(card.person)
    if card.notice.state == NoticeState.REVERTING:
        return mrkdwn(":leftwards_arrow_with_hook: {who} is reverting {pr}.", who=who, pr=_pr(card))
    if card.notice.state == NoticeState.NOT_MINE:
        return mrkdwn(
            ":ballot_box_with_check: {who} says {pr} is not the cause. Can someone look further?",
            who=who,
            pr=_pr(card),
        )
    champions = join(" ", [person_ref(c) for c in card.champions]) or "Champions"
    return mrkdwn(
        ":sos: {champions}: {who} needs help with {pr}. Please reply here.",
        champions=champions,
        who=who,
        pr=_pr(card),
    )


def unmatched_text(card: NoticeCard) -> Mrkdwn:
    """Tell admins a notice named a PR no committer could be matched to."""
    author = mrkdwn(" by `{author}`", author=card.notice.author) if card.notice.author else ""
    return mrkdwn(
        ":grey_question: A `{event}` notice names {pr}{author}, and I could not match it to a "
        "committer (no author or merger on the roster, no question about it). It is recorded, not sent.",
        event=card.notice.event,
        pr=_pr(card),
        author=author,
    )


def deployment_line(card_event: DeploymentEventKind, repo: str, pr_number: int, received: dt.datetime) -> str:
    """Return one line of a committer's recent deployments for `/cc` and App Home."""
    where = {
        DeploymentEventKind.DEPLOYED_PRODUCTION: "reached production",
        DeploymentEventKind.DEPLOYED_STAGE: "reached stage",
        DeploymentEventKind.DEPLOY_FAILED: "failed to deploy",
        DeploymentEventKind.ROLLED_BACK: "was rolled back",
        DeploymentEventKind.ESCAPED_ISSUE: "may have caused a production issue",
    }.get(card_event, card_event)
    return f"• your PR {escape(repo)}#{pr_number} {where} {slack_date(received)}"
