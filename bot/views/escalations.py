"""Blocks for escalations: the escalate modal, the management-channel post, resolve and reassign modals, notices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import Action, Input, ViewId
from bot.types.limits import IMPACT_MAX, RESOLUTION_MAX, SUMMARY_MAX
from bot.views.blocks import context, modal, notice_modal, section
from bot.views.questions import URGENCY_LABELS
from bot.views.text import (
    Mrkdwn,
    duration,
    escape,
    link,
    link_to_posting,
    mrkdwn,
    person_ref,
    slack_date,
)
from storage.models import EscalationState, Person, Urgency

if TYPE_CHECKING:
    from bot.types.escalations import DueEscalationStep, EscalationCard, EscalationForm


def _people(people: Sequence[Person]) -> str:
    return ", ".join(person_ref(p) for p in people) or "none"


def escalate_modal(form: EscalationForm, prefill: Mapping[str, str | int] | None = None) -> View:
    """Return the escalate modal; a champion or admin also chooses which committer it is about."""
    values = dict(prefill or {})
    urgency = Urgency(str(values.get("urgency") or Urgency.NORMAL))
    levels = [Option(value=level.value, text=URGENCY_LABELS[level]) for level in Urgency]
    blocks: list[Block] = []
    if not form.own:
        options = [
            Option(value=str(p.id), text=f"{p.name or p.github} (@{p.github})"[:75])
            for p in form.committers[:100]
        ]
        initial = next((o for o in options if o.value == str(values.get("committer"))), None)
        blocks.append(
            InputBlock(
                block_id=Input.ESCALATION_COMMITTER.value,
                label="Which committer is blocked",
                element=StaticSelectElement(
                    action_id=Input.ESCALATION_COMMITTER.value, options=options, initial_option=initial
                ),
            )
        )
    blocks += [
        InputBlock(
            block_id=Input.ESCALATION_SUMMARY.value,
            label="Summary",
            element=PlainTextInputElement(
                action_id=Input.ESCALATION_SUMMARY.value,
                max_length=SUMMARY_MAX,
                initial_value=str(values.get("summary") or "")[:SUMMARY_MAX] or None,
                placeholder="One line: what is wrong",
            ),
        ),
        InputBlock(
            block_id=Input.ESCALATION_IMPACT.value,
            label="Impact: what is blocked",
            element=PlainTextInputElement(
                action_id=Input.ESCALATION_IMPACT.value,
                multiline=True,
                max_length=IMPACT_MAX,
                initial_value=str(values.get("impact") or "")[:IMPACT_MAX] or None,
            ),
        ),
        InputBlock(
            block_id=Input.ESCALATION_RELATED.value,
            label="Related pull request or repository",
            optional=True,
            element=PlainTextInputElement(
                action_id=Input.ESCALATION_RELATED.value,
                max_length=500,
                initial_value=str(values.get("related") or "")[:500] or None,
                placeholder="https://github.com/org/repo/pull/1 or org/repo",
            ),
        ),
        InputBlock(
            block_id=Input.URGENCY.value,
            label="Urgency",
            element=StaticSelectElement(
                action_id=Input.URGENCY.value,
                options=levels,
                initial_option=levels[list(Urgency).index(urgency)],
            ),
        ),
    ]
    metadata = {key: values[key] for key in ("question", "source") if values.get(key)}
    return modal(
        ViewId.ESCALATE,
        "Escalate to management",
        blocks,
        submit="Escalate",
        metadata=metadata,
    )


def state_text(card: EscalationCard) -> str:
    """Return the escalation's state line."""
    escalation = card.escalation
    if escalation.state == EscalationState.RESOLVED and escalation.resolved_at:
        who = f" by {person_ref(card.resolved_by)}" if card.resolved_by else ""
        took = duration(escalation.resolved_at - escalation.opened_at)
        return f":white_check_mark: *Resolved*{who} after {took}: {escape(escalation.resolution or '')}"[
            :2900
        ]
    if escalation.state == EscalationState.ACKNOWLEDGED and escalation.acknowledged_at:
        who = f" by {person_ref(card.acknowledged_by)}" if card.acknowledged_by else ""
        took = duration(escalation.acknowledged_at - escalation.opened_at)
        owner = f" · owner {person_ref(card.owner)}" if card.owner else ""
        return f":eyes: *Acknowledged*{who} after {took}{owner}"
    owner = f" · for {person_ref(card.owner)}" if card.owner else ""
    return f":hourglass_flowing_sand: *Waiting for a manager* since {slack_date(escalation.opened_at)}{owner}"


def escalation_blocks(card: EscalationCard) -> list[Block]:
    """Return the management-channel post: who is blocked, by what, and the buttons for managers."""
    escalation = card.escalation
    badge = ":rotating_light: *URGENT* " if escalation.urgency == Urgency.URGENT else ""
    related = ""
    if escalation.pr_url:
        related = f"\n*Pull request:* <{escalation.pr_url}|{escape(card.pr_ref or escalation.pr_url)}>"
    elif card.repo:
        related = f"\n*Repository:* {escape(card.repo)}"
    source = f" · <{escalation.source_url}|from this message>" if escalation.source_url else ""
    raised = f"raised by {person_ref(card.raised_by)}" if card.raised_by else "raised"
    blocks: list[Block] = [
        section(
            f"{badge}*Escalation #{card.id}: {escape(escalation.summary)}*\n"
            f"*Committer:* {person_ref(card.committer)} · *Champions:* {_people(card.champions)}{related}\n"
            f"*Impact:* {escape(escalation.impact)}"
        ),
        context(f"{raised} {slack_date(escalation.opened_at)}{source}"),
        section(state_text(card)),
    ]
    if escalation.state != EscalationState.RESOLVED:
        value = str(card.id)
        buttons = []
        if escalation.state == EscalationState.OPEN:
            buttons.append(
                ButtonElement(
                    text="Acknowledge",
                    action_id=Action.ACKNOWLEDGE_ESCALATION.value,
                    value=value,
                    style="primary",
                )
            )
        buttons.append(ButtonElement(text="Resolve", action_id=Action.RESOLVE_ESCALATION.value, value=value))
        buttons.append(
            ButtonElement(text="Reassign", action_id=Action.REASSIGN_ESCALATION.value, value=value)
        )
        blocks.append(ActionsBlock(block_id=f"escalation-actions-{card.id}", elements=buttons))
    return blocks


def escalation_text(card: EscalationCard) -> Mrkdwn:
    """Return the notification text of the management-channel post."""
    urgent = "Urgent escalation" if card.escalation.urgency == Urgency.URGENT else "Escalation"
    return mrkdwn(
        "{urgent} #{id} for {who}: {summary}",
        urgent=urgent,
        id=card.id,
        who=card.committer.name or card.committer.github,
        summary=card.escalation.summary,
    )


def resolve_modal(card: EscalationCard) -> View:
    """Return the modal asking for a resolution note."""
    return modal(
        ViewId.RESOLVE_ESCALATION,
        "Resolve escalation",
        [
            section(f"*#{card.id}: {escape(card.escalation.summary)}* for {person_ref(card.committer)}"),
            InputBlock(
                block_id=Input.RESOLUTION.value,
                label="How was it resolved? (the committer reads this)",
                element=PlainTextInputElement(
                    action_id=Input.RESOLUTION.value, multiline=True, max_length=RESOLUTION_MAX
                ),
            ),
        ],
        submit="Resolve",
        metadata={"escalation": card.id},
    )


def reassign_modal(card: EscalationCard, candidates: Sequence[Person]) -> View:
    """Return the modal to choose the next owner: managers by name (nothing preselected), or a handle to type."""
    # The option value is the GitHub handle, the same thing a person types when there is no list.
    options = [
        Option(value=p.github, text=f"{p.name or p.github} (@{p.github})"[:75]) for p in candidates[:100]
    ]
    element = (
        StaticSelectElement(
            action_id=Input.REASSIGN_TO.value, options=options, placeholder="Choose a manager"
        )
        if options
        else PlainTextInputElement(
            action_id=Input.REASSIGN_TO.value,
            max_length=60,
            placeholder="GitHub handle of a manager or admin, e.g. @jdoe",
        )
    )
    return modal(
        ViewId.REASSIGN_ESCALATION,
        "Reassign escalation",
        [
            section(f"*#{card.id}: {escape(card.escalation.summary)}* for {person_ref(card.committer)}"),
            InputBlock(block_id=Input.REASSIGN_TO.value, label="Give it to", element=element),
        ],
        submit="Reassign",
        metadata={"escalation": card.id},
    )


def _link(card: EscalationCard) -> Mrkdwn:
    label = mrkdwn("escalation #{id}", id=card.id)
    return link(card.permalink, label) if card.permalink else link_to_posting(label)


def already_raised_modal(card: EscalationCard) -> View:
    """Return the modal a repeated escalation submission is answered with: the earlier escalation and its post."""
    where = (
        link(card.permalink, "open its post")
        if card.permalink
        else mrkdwn("it is on its way to the management channel")
    )
    text = mrkdwn(
        ":rotating_light: You raised this {when}: it is escalation #{id} (“{summary}”), post: {where}. "
        "I did not raise it again; you will hear when it is acknowledged and resolved.",
        when=slack_date(card.escalation.opened_at),
        id=card.id,
        summary=card.escalation.summary,
        where=where,
    )
    return notice_modal("Already raised", text)


def opened_notice(card: EscalationCard, recipient: Person) -> Mrkdwn:
    """Tell the committer, the champions or whoever raised it that an escalation is with management."""
    about = mrkdwn("you") if recipient.id == card.committer.id else person_ref(card.committer)
    first = mrkdwn("; {owner} has it first", owner=person_ref(card.owner)) if card.owner else ""
    return mrkdwn(
        ":rotating_light: {link} (“{summary}”, about {about}) is with engineering management{first}. "
        "You will hear here when it is acknowledged and resolved.",
        link=_link(card),
        summary=card.escalation.summary,
        about=about,
        first=first,
    )


def change_notice(card: EscalationCard, change: str) -> Mrkdwn:
    """Tell the committer what happened to their escalation."""
    escalation = card.escalation
    if change == "acknowledged":
        who = person_ref(card.acknowledged_by) if card.acknowledged_by else "a manager"
        return mrkdwn(":eyes: {link} was acknowledged by {who}, who owns it now.", link=_link(card), who=who)
    if change == "resolved":
        who = person_ref(card.resolved_by) if card.resolved_by else "a manager"
        return mrkdwn(
            ":white_check_mark: {link} was resolved by {who}: {note}",
            link=_link(card),
            who=who,
            note=escalation.resolution or "",
        )
    owner = person_ref(card.owner) if card.owner else "another manager"
    return mrkdwn(":arrows_counterclockwise: {link} now belongs to {owner}.", link=_link(card), owner=owner)


def reassigned_dm(card: EscalationCard, actor: Person) -> Mrkdwn:
    """Tell the new owner an escalation was handed to them."""
    return mrkdwn(
        ":rotating_light: {actor} gave you {link}: “{summary}” for {committer}.",
        actor=person_ref(actor),
        link=_link(card),
        summary=card.escalation.summary,
        committer=person_ref(card.committer),
    )


def ladder_texts(due: DueEscalationStep) -> tuple[Mrkdwn, Mrkdwn | None]:
    """Return the thread text of a ladder step and the DM for its target (None when nobody is DMed)."""
    card = due.card
    waited = duration(due.waited)
    summary = card.escalation.summary
    if due.resolve_reminder:
        return (
            mrkdwn(":hourglass: Acknowledged but still unresolved after {waited}.", waited=waited),
            mrkdwn(
                ":hourglass: {link} (“{summary}”) is acknowledged but unresolved after {waited}. "
                "Resolve it with a note for the committer, or reassign it.",
                link=_link(card),
                summary=summary,
                waited=waited,
            ),
        )
    if due.overdue:
        return (
            mrkdwn(
                ":red_circle: Nobody has acknowledged this after {waited}; reported as overdue in the digest.",
                waited=waited,
            ),
            None,
        )
    target = person_ref(due.target) if due.target else "a manager"
    return (
        mrkdwn(
            ":rotating_light: Not acknowledged after {waited}. {target}, can you take it?",
            waited=waited,
            target=target,
        ),
        mrkdwn(
            ":rotating_light: {link} for {committer} has waited {waited} without an acknowledgement: "
            "“{summary}”. Please acknowledge it or reassign it.",
            link=_link(card),
            committer=person_ref(card.committer),
            waited=waited,
            summary=summary,
        ),
    )


def overdue_post(due: DueEscalationStep) -> Mrkdwn:
    """Return the digest-channel post for an escalation nobody acknowledged."""
    card = due.card
    return mrkdwn(
        ":red_circle: *Overdue:* {link} for {committer} (“{summary}”) has not been acknowledged after {waited}.",
        link=_link(card),
        committer=person_ref(card.committer),
        summary=card.escalation.summary,
        waited=duration(due.waited),
    )
