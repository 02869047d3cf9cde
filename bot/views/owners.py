"""Blocks for `/cc-owners`: a repository's technical owners, and the intro post in the coordination channel."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.ids import Action
from bot.views.blocks import context, section
from bot.views.text import escape, person_ref

if TYPE_CHECKING:
    from bot.types.owners import IntroCard, Owner, OwnersAnswer
    from storage.models import SlackPosting


def owner_text(owner: Owner) -> str:
    """Return an owner as a mention when the roster knows them, else as written in the metadata."""
    written = (
        f"`{escape(owner.name)}`"
        if owner.kind == "email"
        else f"`{'@' if owner.kind != 'group' else 'group:'}{escape(owner.name)}`"
    )
    if not owner.people:
        return written
    people = ", ".join(person_ref(p) for p in owner.people[:10])
    return people if owner.kind == "user" else f"{written} ({people})"


def owners_blocks(answer: OwnersAnswer) -> list[Block]:
    """Return the answer to `/cc-owners`: catalog owner, path owners by CODEOWNERS, and the intro button."""
    title = f"*Technical owners of {escape(answer.repo)}*" + (
        f" `{escape(answer.path)}`" if answer.path else ""
    )
    lines = []
    if answer.path or answer.rule:
        rule = f"CODEOWNERS line {answer.rule_line}: `{escape(answer.rule or '')}`"
        if answer.coverage == "owned":
            lines.append(f"• Path owners: {', '.join(owner_text(o) for o in answer.path_owners)} ({rule})")
        elif answer.coverage == "ownerless":
            lines.append(
                f"• Path owners: none, on purpose: {rule} names no owners, so anyone with write access "
                "may approve changes here"
            )
        elif answer.coverage == "uncovered":
            lines.append("• Path owners: no CODEOWNERS rule covers this path")
        else:
            lines.append("• Path owners: this repository has no CODEOWNERS file")
    if answer.catalog_owner is not None:
        lifecycle = f" · {escape(answer.lifecycle)}" if answer.lifecycle else ""
        lines.append(f"• Repository owner (catalog-info.yaml): {owner_text(answer.catalog_owner)}{lifecycle}")
    if not lines:
        lines.append("• No owner is recorded for this repository.")
    blocks: list[Block] = [section(title + "\n" + "\n".join(lines))]
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


def intro_text(card: IntroCard) -> str:
    """Return the intro posted in the coordination channel."""
    owners = ", ".join(person_ref(p) for p in card.owners.people) or ", ".join(
        f"`{escape(label)}`" for label in card.owners.labels
    )
    where = escape(card.repo) + (f" `{escape(card.owners.path)}`" if card.owners.path else "")
    champions = (
        f" Their champions {', '.join(person_ref(c) for c in card.champions)} are here to help."
        if card.champions
        else ""
    )
    return (
        f":wave: {owners}: meet {person_ref(card.committer)}, a core committer who would like an introduction "
        f"about {where}, as the review process asks.{champions} Reply in this thread to connect."
    )


def intro_confirmation(card: IntroCard, posting: SlackPosting | None) -> str:
    """Tell the committer where their intro is, that it was already requested, or that it is on its way."""
    if posting is None:
        if card.repeated:
            return (
                f"You already asked for this intro on {card.intro.requested_at:%Y-%m-%d}; "
                "it is queued for the coordination channel and will appear there shortly."
            )
        return (
            f":wave: Your intro to the owners of {escape(card.repo)} is queued; "
            "it will appear in the coordination channel shortly."
        )
    where = (
        f"<{posting.permalink}|in the coordination channel>"
        if posting.permalink
        else "in the coordination channel"
    )
    if card.repeated:
        return f"You already asked for this intro on {card.intro.requested_at:%Y-%m-%d}; it is {where}."
    return f":wave: I posted your intro to the owners of {escape(card.repo)} {where}."


def intro_failed_text(card: IntroCard, reason: str) -> str:
    """Tell the committer Slack refused their intro's post for good (the request itself is saved)."""
    return (
        f":warning: I saved your intro request for {escape(card.repo)} but could not post it in the coordination "
        f"channel (`{escape(reason)}`). A program admin can check that the bot is in that channel."
    )
