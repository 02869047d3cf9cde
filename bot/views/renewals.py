"""Texts and blocks of the yearly recommitment: the invitation and reminders, answers, the admins' list."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject

from bot.ids import Action
from bot.views.blocks import (
    actions_json,
    button_json,
    confirm_json,
    context_json,
    header_json,
    section,
    section_json,
)
from bot.views.text import Mrkdwn, day, escape, join, join_some, mrkdwn, person_ref
from storage.models import Person, Renewal, RenewalAnswer, RenewalAudience, RenewalOutcome

if TYPE_CHECKING:
    from bot.types.renewals import MemberCard, RoundProgress

MAX_NAMES = 15


# The admins named in a round's thousands of DMs, built once per set of admins.
_ADMIN_REFS: dict[tuple[tuple[str | None, str, str], ...], Mrkdwn] = {}


def _admins(admins: Sequence[Person]) -> Mrkdwn:
    key = tuple((a.slack_user_id, a.name, a.github) for a in admins)
    found = _ADMIN_REFS.get(key)
    if found is None:
        if len(_ADMIN_REFS) >= 64:
            _ADMIN_REFS.clear()
        found = _ADMIN_REFS[key] = join(", ", [person_ref(a) for a in admins]) or mrkdwn("a program admin")
    return found


def _admin_names(admins: Sequence[Person]) -> str:
    # Refusals are escaped before they are shown, so they name people instead of mentioning them.
    return ", ".join(a.name or a.github for a in admins) or "a program admin"


def last_day(deadline: dt.datetime) -> dt.date:
    """Return the last day for answers: a deadline falls at the end of that day (UTC)."""
    return (deadline - dt.timedelta(seconds=1)).astimezone(dt.UTC).date()


def member_label(card: MemberCard, *, plain: bool = False) -> str:
    """Return who a member is: the committer, or the organisation (plain text with `plain`, else mrkdwn)."""
    if card.organization is not None:
        return card.organization.name if plain else mrkdwn("*{name}*", name=card.organization.name)
    assert card.person is not None
    return card.person.github if plain else person_ref(card.person)


def _audience(renewal: Renewal) -> str:
    return "organisations" if renewal.audience is RenewalAudience.ORGANIZATIONS else "individuals"


def answer_actions(card: MemberCard) -> ActionsBlock:
    """Return the Recommit for YEAR and Step down buttons of a member."""
    year, value = card.renewal.year, str(card.id)
    leaving = _leaving(card)
    return ActionsBlock(
        block_id=f"renewal-{card.id}",
        elements=[
            ButtonElement(
                text=f"Recommit for {year}",
                action_id=Action.RENEWAL_RECOMMIT.value,
                value=value,
                style="primary",
            ),
            ButtonElement(
                text="Step down",
                action_id=Action.RENEWAL_STEP_DOWN.value,
                value=value,
                style="danger",
                confirm=ConfirmObject(title="Step down?", text=leaving, confirm="Step down", deny="Cancel"),
            ),
        ],
    )


def _leaving(card: MemberCard) -> str:
    return (
        f"{escape(card.organization.name)}'s entity agreement ends at the deadline."
        if card.organization is not None
        else "You become an alumnus at the deadline; you can be reinstated later."
    )


def answer_actions_json(card: MemberCard) -> dict[str, Any]:
    """Return `answer_actions(card).to_dict()`, built directly (a round's DMs carry thousands of them)."""
    year, value = card.renewal.year, str(card.id)
    return actions_json(
        f"renewal-{card.id}",
        [
            button_json(f"Recommit for {year}", Action.RENEWAL_RECOMMIT.value, value, style="primary"),
            button_json(
                "Step down",
                Action.RENEWAL_STEP_DOWN.value,
                value,
                style="danger",
                confirm=confirm_json(
                    title="Step down?", text=_leaving(card), confirm="Step down", deny="Cancel"
                ),
            ),
        ],
    )


def _ask_text(card: MemberCard, admins: Sequence[Person]) -> Mrkdwn:
    name = card.organization.name if card.organization is not None else None
    return _ask(name, card.renewal.year, _by(card.member.deadline), _admins(admins))


@functools.lru_cache(maxsize=256)
def _ask(name: str | None, year: int, by: str, admins: Mrkdwn) -> Mrkdwn:
    """The question itself: the same for every committer of a round (a round's DMs build it thousands of times)."""
    if name is not None:
        return mrkdwn(
            "As {name}'s contact for the Core Committer program: does *{name}* recommit to the program for "
            "*{year}*? Its core committers keep their standing through its entity agreement. Please answer by "
            "*{by}*. If {name} steps down, its entity agreement ends at the deadline. Questions: {admins}.",
            name=name,
            year=year,
            by=by,
            admins=admins,
        )
    return mrkdwn(
        "Each year the program asks its core committers whether they continue (OEP-54). Do you recommit "
        "as a core committer for *{year}*? Please answer by *{by}*. If you step down you become an alumnus "
        "at the deadline, thanked and with your history kept; {admins} can reinstate you any time.",
        year=year,
        by=by,
        admins=admins,
    )


def invitation(card: MemberCard, admins: Sequence[Person]) -> tuple[Mrkdwn, list[Any]]:
    """Return the DM that opens a member's recommitment, with its answer buttons."""
    year = card.renewal.year
    text = _invitation_text(year, _by(card.member.deadline))
    blocks = [
        header_json(f"Recommitment for {year}"),
        section_json(_ask_text(card, admins)),
        answer_actions_json(card),
    ]
    return text, blocks


def reminder(
    card: MemberCard, stage: str, admins: Sequence[Person], *, now: dt.datetime
) -> tuple[Mrkdwn, list[Any]]:
    """Return a reminder to a member who has not answered: at the midpoint, or two days before the deadline."""
    lead = _reminder_lead(card.renewal.year, _by(card.member.deadline), stage == "last")
    return lead, [section_json(lead), section_json(_ask_text(card, admins)), answer_actions_json(card)]


# The texts every member of a round shares, built once per round (its DMs build them thousands of times).


@functools.lru_cache(maxsize=256)
def _by(deadline: dt.datetime) -> str:
    return day(last_day(deadline))


@functools.lru_cache(maxsize=256)
def _invitation_text(year: int, by: str) -> Mrkdwn:
    return mrkdwn(
        ":spiral_calendar_pad: Core Committer recommitment for {year}: please answer by {by}",
        year=year,
        by=by,
    )


@functools.lru_cache(maxsize=256)
def _reminder_lead(year: int, by: str, last: bool) -> Mrkdwn:
    if last:
        return mrkdwn(
            ":hourglass_flowing_sand: Two days left: the {year} recommitment closes at the end of {by}.",
            year=year,
            by=by,
        )
    return mrkdwn(
        ":spiral_calendar_pad: Reminder: the {year} recommitment is waiting for your answer (by {by}).",
        year=year,
        by=by,
    )


def extended(card: MemberCard, admins: Sequence[Person]) -> tuple[Mrkdwn, list[Any]]:
    """Return the DM telling a member the admins gave them a month more to answer."""
    by = day(last_day(card.member.deadline))
    lead = mrkdwn(
        ":spiral_calendar_pad: You have until {by} to answer the {year} recommitment.",
        by=by,
        year=card.renewal.year,
    )
    return lead, [section(lead), section(_ask_text(card, admins)), answer_actions(card)]


def unreachable_note(card: MemberCard) -> str:
    """Say that a member cannot be asked in Slack, so the admins must follow it up."""
    if card.organization is not None:
        return (
            f"{card.organization.name} has no contact on the roster with a Slack account "
            "(its contact e-mail must match a person on the roster): follow it up yourself"
        )
    assert card.person is not None
    return f"{card.person.github} has no Slack account linked: follow it up yourself"


def answer_confirmation(
    card: MemberCard, answer: RenewalAnswer, *, final: bool, changeable: bool | None = None
) -> Mrkdwn:
    """Return the confirmation the person who answered sees (`final`: it took effect now)."""
    year = card.renewal.year
    who = card.organization.name if card.organization is not None else "you"
    if answer is RenewalAnswer.RECOMMITTED:
        head = mrkdwn(
            ":white_check_mark: Thank you! Recorded: {who} recommit{s} for {year}.",
            who=who,
            s="s" if card.organization else "",
            year=year,
        )
    elif card.organization is not None:
        head = mrkdwn(
            ":wave: Recorded: {who} steps down; its entity agreement ends {when}",
            who=who,
            when="today." if final else "when the round closes.",
        )
    else:
        head = mrkdwn(
            ":wave: Recorded: you step down. {what}",
            what="You are now an alumnus: thank you for everything!"
            if final
            else "You become an alumnus when the round closes.",
        )
    if final or changeable is False:
        return head
    return mrkdwn(
        "{head} You can change your answer until the end of {by}.",
        head=head,
        by=day(last_day(card.member.deadline)),
    )


def step_down_reason(card: MemberCard) -> str:
    """Return the reason recorded when a member stepped down."""
    return f"stepped down in the {card.renewal.year} recommitment"


def no_answer_reason(card: MemberCard) -> str:
    """Return the reason recorded when an admin settles a member who did not answer."""
    return f"no answer to the {card.renewal.year} recommitment by {day(last_day(card.member.deadline))}"


def settled_away_text(card: MemberCard, admins: Sequence[Person]) -> str:
    """Say that the member's recommitment is over because they left, and how to come back."""
    if card.organization is not None:
        return (
            f"The {card.renewal.year} recommitment of {card.organization.name} is settled: its entity agreement "
            f"ended. To return, ask {_admin_names(admins)} to record a new one."
        )
    return (
        f"Your {card.renewal.year} recommitment is settled: you are an alumnus. "
        f"To come back, ask {_admin_names(admins)} to reinstate you."
    )


def no_longer_contact_text(card: MemberCard, alumnus: Person) -> Mrkdwn:
    """Refuse an alumnus's answer for the organisation they were the contact of."""
    assert card.organization is not None
    return mrkdwn(
        "You are no longer {name}'s contact for the Core Committer program: you have "
        "been an alumnus since {since}, so your answer is not recorded. The program admins "
        "are asked to name a new contact.",
        name=card.organization.name,
        since=day(alumnus.removed_on),
    )


def new_contact_needed_text(card: MemberCard, alumnus: Person, *, set_aside: RenewalAnswer | None) -> Mrkdwn:
    """Ask the admins to name a new contact for an organisation whose contact is an alumnus."""
    assert card.organization is not None
    aside = f", and their answer ({_ANSWERS[set_aside]}) was set aside" if set_aside is not None else ""
    return mrkdwn(
        ":warning: {name} needs a new contact for the {year} recommitment: "
        "{who} (`{github}`) has been an alumnus since {since} "
        "and no longer answers for it{aside}. Name a new contact (the organisation's `contact` in the roster "
        "file, then `ccbot roster import`): they are asked within the hour. Without an answer by "
        "{by}, {name} is listed for you to decide (end its agreement or extend a month).",
        name=card.organization.name,
        year=card.renewal.year,
        who=person_ref(alumnus),
        github=alumnus.github,
        since=day(alumnus.removed_on),
        aside=aside,
        by=day(last_day(card.member.deadline)),
    )


_ANSWERS = {RenewalAnswer.RECOMMITTED: "recommit", RenewalAnswer.STEPPED_DOWN: "step down"}


def final_text(card: MemberCard, admins: Sequence[Person]) -> str:
    """Say that an answer can no longer change after the deadline."""
    return (
        f"Your answer to the {card.renewal.year} recommitment is final since "
        f"{day(last_day(card.member.deadline))}. To step down now, tell {_admin_names(admins)}."
    )


def organization_ended_text(card: MemberCard, affected: Sequence[Person], *, ended: bool) -> Mrkdwn:
    """Tell an organisation's contact that its entity agreement ended as it stepped down."""
    assert card.organization is not None
    who = join_some(", ", [person_ref(p) for p in affected]) or "none at the moment"
    what = "its entity agreement has ended" if ended else "it had no entity agreement in force to end"
    return mrkdwn(
        ":wave: {name} stepped down from the Core Committer program for {year}: {what}. "
        "Its core committers ({who}) need an entity agreement to stay active. Thank you for your support!",
        name=card.organization.name,
        year=card.renewal.year,
        what=what,
        who=who,
    )


def _state(card: MemberCard) -> str:
    member = card.member
    if member.outcome is RenewalOutcome.EXTENDED or (member.outcome is None and member.extensions):
        return f":hourglass: Extended to {day(last_day(member.deadline))}"
    if member.outcome is RenewalOutcome.RECOMMITTED:
        return f":white_check_mark: Recommitted {day(member.answered_at and member.answered_at.date())}"
    if member.outcome is RenewalOutcome.ALUMNI:
        return ":wave: Moved to alumni"
    if member.outcome is RenewalOutcome.AGREEMENT_ENDED:
        return ":wave: Entity agreement ended"
    return ""


def followup_list(
    rows: Sequence[MemberCard], *, renewal: Renewal, on: dt.date, part: tuple[int, int], now: dt.datetime
) -> tuple[Mrkdwn, list[Any]]:
    """Return one admin's list of a round's members with no answer by a deadline, each with its two buttons."""
    index, total = part
    organizations = renewal.audience is RenewalAudience.ORGANIZATIONS
    title = f"No answer: {renewal.year} recommitment ({_audience(renewal)})" + (
        f" {index + 1}/{total}" if total > 1 else ""
    )
    move = "End agreement" if organizations else "Move to alumni"
    # Plain dicts, as slack_sdk would give them: a round's list runs to thousands of rows.
    blocks: list[dict[str, Any]] = [
        header_json(title[:150]),
        context_json(
            f"These did not answer by their deadline. *{move}* settles them now"
            + (
                " (the organisation's entity agreement ends)"
                if organizations
                else " (they keep their history)"
            )
            + "; *Extend a month* asks them again with a new deadline."
        ),
    ]
    for card in rows:
        member = card.member
        contact = f" (contact {person_ref(card.contact)})" if organizations and card.contact else ""
        blocks.append(
            section_json(
                f"{member_label(card)}{contact}: asked {day(member.invited_at.date())}, "
                f"deadline {day(last_day(member.deadline))}"
            )
        )
        if member.outcome is RenewalOutcome.LISTED:
            blocks.append(
                actions_json(
                    f"renewal-followup-{card.id}",
                    [
                        button_json(
                            move,
                            Action.RENEWAL_MOVE.value,
                            str(card.id),
                            style="danger",
                            confirm=confirm_json(
                                title=f"{move}?",
                                text=f"{escape(member_label(card, plain=True))}: {move.lower()} now.",
                                confirm=move,
                                deny="Cancel",
                            ),
                        ),
                        button_json("Extend a month", Action.RENEWAL_EXTEND.value, str(card.id)),
                    ],
                )
            )
        else:
            blocks.append(context_json(_state(card) or "settled"))
    text = mrkdwn(
        "{count} did not answer the {year} recommitment ({audience})",
        count=len(rows),
        year=renewal.year,
        audience=_audience(renewal),
    )
    return text, blocks


def extended_done(card: MemberCard) -> Mrkdwn:
    """Return the admin's confirmation of an extension."""
    return mrkdwn(
        "{who} has until {by} to answer; they were told.",
        who=member_label(card, plain=True),
        by=day(last_day(card.member.deadline)),
    )


def moved_done(card: MemberCard) -> Mrkdwn:
    """Return the admin's confirmation of settling a member who did not answer."""
    if card.organization is not None:
        return mrkdwn(
            "{name}'s entity agreement has ended; its committers lapse unless covered.",
            name=card.organization.name,
        )
    return mrkdwn(
        "{who} is now an alumnus; `/cc-admin` → Reinstate brings them back.",
        who=member_label(card, plain=True),
    )


def already_settled_text(card: MemberCard) -> str:
    """Say that another admin (or the member) settled this one first."""
    state = _state(card) or f"answered: {card.member.answer.value}"
    return f"{member_label(card, plain=True)} is already settled ({state.split(' ', 1)[-1]})."


def _names(cards: Sequence[MemberCard]) -> str:
    shown = [member_label(c) for c in cards[:MAX_NAMES]]
    more = f" and {len(cards) - MAX_NAMES} more" if len(cards) > MAX_NAMES else ""
    return (", ".join(shown) + more) if shown else "none"


def progress_text(progress: RoundProgress) -> str:
    """Return who answered what in one round, as one section's text."""
    renewal = progress.renewal
    state = (
        f"closed {day(renewal.closed_at.date())}"
        if renewal.closed_at
        else f"open until {day(last_day(renewal.closes_at))}"
    )
    answered = len(progress.recommitted) + len(progress.stepped_down)
    lines = [
        f"*Recommitment {renewal.year}, {_audience(renewal)}* ({state}): {answered} of {progress.total} answered",
        f"• Recommitted ({len(progress.recommitted)}): {_names(progress.recommitted)}",
        f"• Stepped down ({len(progress.stepped_down)}): {_names(progress.stepped_down)}",
    ]
    if progress.waiting:
        lines.append(f"• Not answered yet ({len(progress.waiting)}): {_names(progress.waiting)}")
    if progress.listed:
        lines.append(f"• No answer, awaiting an admin ({len(progress.listed)}): {_names(progress.listed)}")
    return "\n".join(lines)


def my_renewal_blocks(cards: Sequence[MemberCard]) -> list[Block]:
    """Return the App Home section asking the person for the recommitments they have not settled."""
    blocks: list[Block] = []
    for card in cards:
        answer = card.member.answer
        said = (
            "You have not answered yet."
            if answer is RenewalAnswer.PENDING
            else f"Your answer: *{'recommit' if answer is RenewalAnswer.RECOMMITTED else 'step down'}* (you can change it)."
        )
        blocks.append(
            section(
                f":spiral_calendar_pad: *Recommitment for {card.renewal.year}*"
                + (f" ({escape(card.organization.name)})" if card.organization else "")
                + f": answer by {day(last_day(card.member.deadline))}. {said}"
            )
        )
        blocks.append(answer_actions(card))
    return blocks
