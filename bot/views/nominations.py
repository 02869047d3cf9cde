"""Blocks for nominations: the modal, the voting post, the result and the onboarding checklist."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InputBlock,
    PlainTextInputElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import Action, Input, ViewId
from bot.types.limits import REASON_MAX
from bot.views.blocks import context, modal, section, text_field
from bot.views.text import escape, person_ref, slack_date
from storage.models import NominationState, Person

if TYPE_CHECKING:
    from bot.types.nominations import NominationCard


def nominate_modal(*, slack_user: str | None = None, repos: str = "", reason: str = "") -> View:
    """Return the nomination modal, pre-filled from `/cc-nominate @user repos... reason`."""
    return modal(
        ViewId.NOMINATE,
        "Nominate a committer",
        [
            InputBlock(
                block_id=Input.SLACK_USER.value,
                label="Who (in Slack)",
                optional=True,
                element=UserSelectElement(action_id=Input.SLACK_USER.value, initial_user=slack_user),
            ),
            InputBlock(
                block_id=Input.GITHUB.value,
                label="Their GitHub handle",
                element=PlainTextInputElement(action_id=Input.GITHUB.value, max_length=100),
            ),
            InputBlock(
                block_id=Input.NAME.value,
                label="Their name",
                optional=True,
                element=PlainTextInputElement(action_id=Input.NAME.value, max_length=200),
            ),
            InputBlock(
                block_id=Input.ORGANIZATION.value,
                label="Their organisation",
                optional=True,
                element=PlainTextInputElement(action_id=Input.ORGANIZATION.value, max_length=200),
            ),
            InputBlock(
                block_id=Input.REPOS.value,
                label="Repositories (org/repo, separated by spaces)",
                element=PlainTextInputElement(
                    action_id=Input.REPOS.value, initial_value=repos or None, max_length=1000
                ),
            ),
            InputBlock(
                block_id=Input.REASON.value,
                label="Why",
                element=PlainTextInputElement(
                    action_id=Input.REASON.value,
                    multiline=True,
                    initial_value=reason or None,
                    max_length=REASON_MAX,
                ),
            ),
        ],
        submit="Nominate",
    )


def expansion_modal(person: Person, *, repos: str = "", reason: str = "") -> View:
    """Return the modal proposing more repositories for an existing committer (`/cc-nominate @committer ...`)."""
    return modal(
        ViewId.NOMINATE,
        "Propose more repos",
        [
            section(
                f"{person_ref(person)} is already a core committer: this proposes rights on more "
                "repositories. Committers vote on it like on a nomination, over a shorter comment period."
            ),
            text_field(Input.GITHUB, "Their GitHub handle", initial=person.github, max_length=100),
            text_field(
                Input.REPOS, "More repositories (org/repo, separated by spaces)", initial=repos or None
            ),
            text_field(Input.REASON, "Why", multiline=True, initial=reason or None, max_length=REASON_MAX),
        ],
        submit="Propose",
    )


def nomination_blocks(card: NominationCard) -> list[Block]:
    """Return the coordination-channel post: who, for which repos, why, the tally and the vote buttons."""
    nomination = card.nomination
    who = (
        f"<@{nomination.nominee_slack_id}>"
        if nomination.nominee_slack_id
        else escape(nomination.nominee_name)
    )
    org = f" ({escape(nomination.nominee_organization)})" if nomination.nominee_organization else ""
    sponsor = person_ref(card.nominated_by) if card.nominated_by else "someone"
    tally = card.tally
    repos = ", ".join(f"`{escape(r)}`" for r in nomination.repos)
    headline = (
        f":ballot_box: *Rights expansion #{card.id}:* core committer {who} (`{escape(nomination.nominee_github)}`){org} "
        f"to get rights on {repos} as well, proposed by {sponsor}."
        if card.is_expansion
        else f":ballot_box: *Nomination #{card.id}:* {who} (`{escape(nomination.nominee_github)}`){org} "
        f"for core committer rights on {repos}, nominated by {sponsor}."
    )
    blocks: list[Block] = [
        section(f"{headline}\n> {escape(nomination.reason)}"),
        context(
            f"*{tally.yes} yes · {tally.no} no* ({tally.outside_yes} yes from outside their organisation). "
            f"Passes with at least {tally.rules.min_yes} yes, no `no`, and one yes from outside their "
            f"organisation. Voting closes {slack_date(nomination.closes_at)}."
        ),
    ]
    if nomination.state == NominationState.OPEN:
        value = str(card.id)
        blocks.append(
            ActionsBlock(
                block_id=f"nomination-{card.id}",
                elements=[
                    ButtonElement(text="Yes", action_id=Action.VOTE_YES.value, value=value, style="primary"),
                    ButtonElement(text="No", action_id=Action.VOTE_NO.value, value=value, style="danger"),
                ],
            )
        )
    else:
        verdict = (
            ":white_check_mark: *Approved*"
            if nomination.state == NominationState.APPROVED
            else ":x: *Not approved*"
        )
        blocks.append(section(f"{verdict}: voting closed."))
    return blocks


def nomination_text(card: NominationCard) -> str:
    """Return the notification text of the nomination post."""
    what = "Rights expansion" if card.is_expansion else "Nomination"
    return f"{what} #{card.id}: {card.nomination.nominee_github} for {', '.join(card.nomination.repos)}"


def post_failed_notice(card: NominationCard, reason: str) -> str:
    """Tell the nominator their nomination was saved but Slack refused its post, so nobody can vote yet."""
    return (
        f":warning: I saved your nomination of `{escape(card.nomination.nominee_github)}` (#{card.id}) but could "
        f"not post it to the coordination channel (`{escape(reason)}`), so nobody can vote on it yet. "
        "Ask a program admin to check that the bot is in that channel."
    )


def result_text(card: NominationCard) -> str:
    """Return the thread note with the result."""
    tally = card.tally
    if card.is_expansion and tally.approved:
        who = person_ref(card.expands) if card.expands else f"`{escape(card.nomination.nominee_github)}`"
        if not card.granted:
            return f":information_source: Approved, but {who} is no longer an active committer: nothing was granted."
        return (
            f":tada: Approved with {tally.yes} yes and no `no`. {who} now holds rights on "
            f"{', '.join(f'`{escape(r)}`' for r in card.granted)} too; the admins have the checklist."
        )
    if card.created is not None:
        return (
            f":tada: Approved with {tally.yes} yes and no `no`. {person_ref(card.created)} joins the roster as "
            "*onboarding*; the admins have the checklist."
        )
    return f":x: Not approved: {'; '.join(tally.missing())}."


def checklist_text(card: NominationCard, *, champions_needed: int) -> str:
    """Return the onboarding checklist the admins get for an approved nominee."""
    assert card.created is not None
    steps = [
        "• Collect the individual contributor agreement (and the entity agreement if their employer is a provider)",
        "• Collect the NDA / program agreement, if the program requires it",
        f"• Grant commit access on GitHub to {', '.join(f'`{escape(r)}`' for r in card.nomination.repos)}",
    ]
    if champions_needed:
        steps.insert(2, f"• Assign {champions_needed} champions (`/cc-admin` → Assign champions)")
    if not card.created.slack_user_id:
        steps.append("• Link their Slack account (`/cc-admin` → Add or edit a person)")
    return (
        f":clipboard: Onboarding checklist for {person_ref(card.created)} (nomination #{card.id}):\n"
        + "\n".join(steps)
    )


def expansion_checklist_text(card: NominationCard) -> str:
    """Return the checklist the admins get for an approved rights expansion."""
    who = person_ref(card.expands) if card.expands else f"`{escape(card.nomination.nominee_github)}`"
    repos = ", ".join(f"`{escape(r)}`" for r in card.granted)
    return (
        f":clipboard: Rights expansion #{card.id} approved for {who}: {repos} recorded as grants.\n"
        "• Grant them commit access on GitHub (`ccbot access plan` lists what the roster now calls for)"
    )


def expansion_granted_text(card: NominationCard) -> str:
    """Tell the committer their rights now cover more repositories."""
    repos = ", ".join(f"`{escape(r)}`" for r in card.granted)
    return f":tada: The committers approved rights on {repos} for you; `/cc` lists your repositories."
