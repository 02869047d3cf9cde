"""Blocks for `/cc-owners`: a repository's technical owners, and the intro post in the coordination channel."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.ids import Action
from bot.views.blocks import context
from bot.views.text import Mrkdwn, TextSection, join, join_some, link, mrkdwn, person_ref

if TYPE_CHECKING:
    from bot.types.owners import IntroCard, Owner, OwnersAnswer
    from storage.models import SlackPosting


def owner_text(owner: Owner) -> Mrkdwn:
    """Return an owner as a mention when the roster knows them, else as written in the metadata."""
    written = (
        mrkdwn("`{name}`", name=owner.name)
        if owner.kind == "email"
        else mrkdwn("`{sign}{name}`", sign="@" if owner.kind != "group" else "group:", name=owner.name)
    )
    if not owner.people:
        return written
    people = join(", ", [person_ref(p) for p in owner.people[:10]])
    return people if owner.kind == "user" else mrkdwn("{written} ({people})", written=written, people=people)


def owners_blocks(answer: OwnersAnswer) -> list[Block]:
    """Return the answer to `/cc-owners`: catalog owner, path owners by CODEOWNERS, and the intro button."""
    path = mrkdwn(" `{path}`", path=answer.path) if answer.path else ""
    title = mrkdwn("*Technical owners of {repo}*{path}", repo=answer.repo, path=path)
    lines = []
    if answer.path or answer.rule:
        rule = mrkdwn("CODEOWNERS line {line}: `{rule}`", line=answer.rule_line, rule=answer.rule or "")
        if answer.coverage == "owned":
            owners = join(", ", [owner_text(o) for o in answer.path_owners])
            lines.append(mrkdwn("• Path owners: {owners} ({rule})", owners=owners, rule=rule))
        elif answer.coverage == "ownerless":
            lines.append(
                mrkdwn(
                    "• Path owners: none, on purpose: {rule} names no owners, so anyone with write access "
                    "may approve changes here",
                    rule=rule,
                )
            )
        elif answer.coverage == "uncovered":
            lines.append(mrkdwn("• Path owners: no CODEOWNERS rule covers this path"))
        else:
            lines.append(mrkdwn("• Path owners: this repository has no CODEOWNERS file"))
    if answer.catalog_owner is not None:
        lifecycle = mrkdwn(" · {lifecycle}", lifecycle=answer.lifecycle) if answer.lifecycle else ""
        lines.append(
            mrkdwn(
                "• Repository owner (catalog-info.yaml): {owner}{lifecycle}",
                owner=owner_text(answer.catalog_owner),
                lifecycle=lifecycle,
            )
        )
    if not lines:
        lines.append(mrkdwn("• No owner is recorded for this repository."))
    blocks: list[Block] = [TextSection(mrkdwn("{title}\n{lines}", title=title, lines=join("\n", lines)))]
    blocks.append(
        context(
            f"From repository metadata synced {answer.synced_at:%Y-%m-%d}. "
            "An intro posts in the coordination channel with the owners, you and your champions."
        )
    )
    if answer.labels:
        value = json.dumps({"repo": answer.repo, "path": answer.path})
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Request an intro", action_id=Action.REQUEST_INTRO.value, value=value[:2000]
                    )
                ]
            )
        )
    return blocks


def intro_text(card: IntroCard) -> Mrkdwn:
    """Return the intro posted in the coordination channel."""
    owners = join_some(", ", [person_ref(p) for p in card.owners.people]) or join(
        ", ", [mrkdwn("`{label}`", label=label) for label in card.owners.labels]
    )
    path = mrkdwn(" `{path}`", path=card.owners.path) if card.owners.path else ""
    champions = (
        mrkdwn(
            " Their champions {names} are here to help.",
            names=join_some(", ", [person_ref(c) for c in card.champions]),
        )
        if card.champions
        else ""
    )
    return mrkdwn(
        ":wave: {owners}: meet {committer}, a core committer who would like an introduction "
        "about {repo}{path}, as the review process asks.{champions} Reply in this thread to connect.",
        owners=owners,
        committer=person_ref(card.committer),
        repo=card.repo,
        path=path,
        champions=champions,
    )


def intro_confirmation(card: IntroCard, posting: SlackPosting | None) -> Mrkdwn:
    """Tell the committer where their intro is, that it was already requested, or that it is on its way."""
    asked = f"{card.intro.requested_at:%Y-%m-%d}"
    if posting is None:
        if card.repeated:
            return mrkdwn(
                "You already asked for this intro on {asked}; "
                "it is queued for the coordination channel and will appear there shortly.",
                asked=asked,
            )
        return mrkdwn(
            ":wave: Your intro to the owners of {repo} is queued; it will appear in the coordination channel shortly.",
            repo=card.repo,
        )
    where = (
        link(posting.permalink, "in the coordination channel")
        if posting.permalink
        else mrkdwn("in the coordination channel")
    )
    if card.repeated:
        return mrkdwn("You already asked for this intro on {asked}; it is {where}.", asked=asked, where=where)
    return mrkdwn(":wave: I posted your intro to the owners of {repo} {where}.", repo=card.repo, where=where)


def intro_failed_text(card: IntroCard, reason: str) -> Mrkdwn:
    """Tell the committer Slack refused their intro's post for good (the request itself is saved)."""
    return mrkdwn(
        ":warning: I saved your intro request for {repo} but could not post it in the coordination "
        "channel (`{reason}`). A program admin can check that the bot is in that channel.",
        repo=card.repo,
        reason=reason,
    )
