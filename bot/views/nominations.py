"""Blocks for nominations: the modal, the voting post, the result and the onboarding checklist."""

from __future__ import annotations

from collections.abc import Sequence
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
from bot.views.text import Mrkdwn, escape, join, mention, mrkdwn, person_ref, slack_date
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
        mention(nomination.nominee_slack_id)
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


def nomination_text(card: NominationCard) -> Mrkdwn:
    """Return the notification text of the nomination post."""
    what = "Rights expansion" if card.is_expansion else "Nomination"
    return mrkdwn(
        "{what} #{id}: {who} for {repos}",
        what=what,
        id=card.id,
        who=card.nomination.nominee_github,
        repos=join(", ", card.nomination.repos),
    )


def post_failed_notice(card: NominationCard, reason: str) -> Mrkdwn:
    """Tell the nominator their nomination was saved but Slack refused its post, so nobody can vote yet."""
    return mrkdwn(
        ":warning: I saved your nomination of `{who}` (#{id}) but could "
        "not post it to the coordination channel (`{reason}`), so nobody can vote on it yet. "
        "Ask a program admin to check that the bot is in that channel.",
        who=card.nomination.nominee_github,
        id=card.id,
        reason=reason,
    )


def _code_list(names: Sequence[str]) -> Mrkdwn:
    return join(", ", [mrkdwn("`{name}`", name=name) for name in names])


def _nominee(card: NominationCard) -> Mrkdwn:
    return person_ref(card.expands) if card.expands else mrkdwn("`{who}`", who=card.nomination.nominee_github)


def result_text(card: NominationCard) -> Mrkdwn:
    """Return the thread note with the result."""
    tally = card.tally
    if card.is_expansion and tally.approved:
        who = _nominee(card)
        if not card.granted:
            return mrkdwn(
                ":information_source: Approved, but {who} is no longer an active committer: nothing was granted.",
                who=who,
            )
        return mrkdwn(
            ":tada: Approved with {yes} yes and no `no`. {who} now holds rights on "
            "{repos} too; the admins have the checklist.",
            yes=tally.yes,
            who=who,
            repos=_code_list(card.granted),
        )
    if card.created is not None:
        return mrkdwn(
            ":tada: Approved with {yes} yes and no `no`. {who} joins the roster as "
            "*onboarding*; the admins have the checklist.",
            yes=tally.yes,
            who=person_ref(card.created),
        )
    return mrkdwn(":x: Not approved: {missing}.", missing=join("; ", tally.missing()))


def checklist_text(card: NominationCard, *, champions_needed: int) -> Mrkdwn:
    """Return the onboarding checklist the admins get for an approved nominee."""
    assert card.created is not None
    steps = [
        mrkdwn(
            "• Collect the individual contributor agreement (and the entity agreement if their employer is a provider)"
        ),
        mrkdwn("• Collect the NDA / program agreement, if the program requires it"),
        mrkdwn("• Grant commit access on GitHub to {repos}", repos=_code_list(card.nomination.repos)),
    ]
    if champions_needed:
        steps.insert(2, mrkdwn("• Assign {n} champions (`/cc-admin` → Assign champions)", n=champions_needed))
    if not card.created.slack_user_id:
        steps.append(mrkdwn("• Link their Slack account (`/cc-admin` → Add or edit a person)"))
    return mrkdwn(
        ":clipboard: Onboarding checklist for {who} (nomination #{id}):\n{steps}",
        who=person_ref(card.created),
        id=card.id,
        steps=join("\n", steps),
    )


def expansion_checklist_text(card: NominationCard) -> Mrkdwn:
    """Return the checklist the admins get for an approved rights expansion."""
    return mrkdwn(
        ":clipboard: Rights expansion #{id} approved for {who}: {repos} recorded as grants.\n"
        "• Grant them commit access on GitHub (`ccbot access plan` lists what the roster now calls for)",
        id=card.id,
        who=_nominee(card),
        repos=_code_list(card.granted),
    )


def expansion_granted_text(card: NominationCard) -> Mrkdwn:
    """Tell the committer their rights now cover more repositories."""
    return mrkdwn(
        ":tada: The committers approved rights on {repos} for you; `/cc` lists your repositories.",
        repos=_code_list(card.granted),
    )
