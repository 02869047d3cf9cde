"""Blocks for questions: the ask modal, the thread root with its buttons, confirmations, nudges, hand-off."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import Action, Input, ViewId
from bot.types.limits import QUESTION_MAX
from bot.types.policy import Step
from bot.views.blocks import context, modal, notice_modal, section
from bot.views.text import (
    Mrkdwn,
    channel_ref,
    duration,
    escape,
    gap_text,
    join,
    link,
    link_to_posting,
    mrkdwn,
    person_ref,
    slack_date,
)
from storage.models import NudgeRating, Person, QuestionState, Turn, Urgency

if TYPE_CHECKING:
    from bot.types.questions import AskRefusal, DueStep, QuestionCard

PR_URL_MAX = 500
URGENCY_LABELS = {Urgency.NORMAL: "Normal: within a working day", Urgency.URGENT: "Urgent: blocking me now"}


def _names(people: Sequence[Person]) -> Mrkdwn:
    refs = [person_ref(p) for p in people]
    return join(" and ", [join(", ", refs[:-1]), refs[-1]]) if len(refs) > 1 else join("", refs)


def _ask_modal_template() -> dict[str, Any]:
    """Build and validate the `/cc-ask` modal without prefill, as the dict Slack receives."""
    options = [Option(value=level.value, text=URGENCY_LABELS[level]) for level in Urgency]
    return modal(
        ViewId.ASK,
        "Ask your champions",
        [
            InputBlock(
                block_id=Input.PR_URL.value,
                label="Pull request",
                hint="https://github.com/<org>/<repo>/pull/<number>",
                element=PlainTextInputElement(
                    action_id=Input.PR_URL.value,
                    placeholder="https://github.com/openedx/edx-platform/pull/123",
                    max_length=PR_URL_MAX,
                ),
            ),
            InputBlock(
                block_id=Input.QUESTION.value,
                label="Your question",
                element=PlainTextInputElement(
                    action_id=Input.QUESTION.value, multiline=True, max_length=QUESTION_MAX
                ),
            ),
            InputBlock(
                block_id=Input.URGENCY.value,
                label="Urgency",
                element=StaticSelectElement(action_id=Input.URGENCY.value, options=options),
            ),
        ],
        submit="Ask",
    ).to_dict()


# Built and validated once: a request only fills in its own values (the ack path stays short).
_ASK_MODAL = _ask_modal_template()
_URGENCY_OPTIONS = {option["value"]: option for option in _ASK_MODAL["blocks"][2]["element"]["options"]}


def ask_modal(*, pr_url: str = "", question: str = "", urgency: Urgency = Urgency.NORMAL) -> dict[str, Any]:
    """Return the `/cc-ask` modal, pre-filled with what followed the command."""
    pr_block, question_block, urgency_block = _ASK_MODAL["blocks"]
    filled = [
        (pr_block, pr_url[:PR_URL_MAX] or None, "initial_value"),
        (question_block, question[:QUESTION_MAX] or None, "initial_value"),
        (urgency_block, _URGENCY_OPTIONS[urgency.value], "initial_option"),
    ]
    # Only the changed block and element are copied; the rest is shared with the template, never mutated.
    blocks = [
        {**block, "element": {**block["element"], key: value}} if value is not None else block
        for block, value, key in filled
    ]
    return {**_ASK_MODAL, "blocks": blocks}


NO_CHANNEL = mrkdwn(
    "The program has no coordination channel configured, so questions cannot be posted yet. "
    "Ask a program admin to set CCBOT_COORDINATION_CHANNEL."
)


def refusal_text(refusal: AskRefusal) -> Mrkdwn:
    """Say why `/cc-ask` is closed to this person and what to do."""
    if refusal.reason == "not_on_roster":
        return mrkdwn(
            "You are not on the Core Committer roster, so `/cc-ask` is not open to you. `/cc` says how to join."
        )
    if refusal.reason == "not_committer":
        return mrkdwn(
            "`/cc-ask` is for core committers asking their champions. "
            "Champions answer in the threads of the coordination channel."
        )
    status = refusal.status.value if refusal.status else "unknown"
    if status == "alumni":
        return mrkdwn(
            "You are an alumnus of the program, so `/cc-ask` is closed to you. Thank you for your work!"
        )
    lines = join("\n", [mrkdwn("• {gap}", gap=gap_text(gap)) for gap in refusal.gaps])
    return mrkdwn(
        "You cannot ask yet: your standing is *{status}*. What is missing:\n{lines}\n"
        "Once that is in place `/cc-ask` opens for you; `/cc` shows your status.",
        status=status,
        lines=lines,
    )


def state_text(card: QuestionCard) -> Mrkdwn:
    """Return the question's state line: open, claimed by X, answered by X in 1h 20m."""
    question = card.question
    # An absolute date: a message's text does not age the way "2h ago" would.
    waited = mrkdwn("asked {when}", when=slack_date(question.asked_at))
    first = (
        mrkdwn(" · first response in {took}", took=duration(question.first_response_at - question.asked_at))
        if question.first_response_at
        else mrkdwn("")
    )
    if question.state == QuestionState.ANSWERED and question.answered_at:
        who = mrkdwn(" by {who}", who=person_ref(card.answered_by)) if card.answered_by else mrkdwn("")
        took = duration(question.answered_at - question.asked_at)
        return mrkdwn(":white_check_mark: *Answered*{who} in {took}{first}", who=who, took=took, first=first)
    reopened = mrkdwn(" (reopened)") if question.reopened_at else mrkdwn("")
    turn = (
        mrkdwn(" · :hourglass: *waiting on {who}*", who=person_ref(card.committer))
        if question.turn == Turn.COMMITTER
        else mrkdwn(" · waiting on the champions")
    )
    if card.claimed_by is not None:
        return mrkdwn(
            ":raising_hand: *Claimed* by {who}{reopened} · {waited}{first}{turn}",
            who=person_ref(card.claimed_by),
            reopened=reopened,
            waited=waited,
            first=first,
            turn=turn,
        )
    return mrkdwn(
        ":hourglass_flowing_sand: *Open*{reopened} · {waited}{first}{turn}",
        reopened=reopened,
        waited=waited,
        first=first,
        turn=turn,
    )


def question_blocks(card: QuestionCard) -> list[Block]:
    """Return the thread root for a question: who asks, about which PR, for whom, its state and buttons."""
    question = card.question
    urgent = question.urgency == Urgency.URGENT
    badge = ":rotating_light: *URGENT* " if urgent else ""
    link = f"<{question.pr_url}|{escape(card.repo)}#{question.pr_number}>"
    quoted = "\n".join("> " + line for line in escape(question.text).splitlines() or [""])
    blocks: list[Block] = [
        SectionBlock(
            block_id=f"question-{card.id}",
            text=MarkdownTextObject(
                text=f"{badge}*Question from {person_ref(card.committer)}* on {link}\n{quoted}"[:3000]
            ),
        ),
    ]
    routed = f"{_names(card.responders)}" if card.responders else "the champions on duty"
    holder = card.claimed_by
    # After a hand-off to someone it was not routed to, the root says who has it now, not only who it went to.
    handed = holder is not None and all(r.id != holder.id for r in card.responders)
    notes = [
        f"Now with {person_ref(holder)} · first routed to {routed}" if handed and holder else f"For {routed}",
        f"question #{card.id}",
    ]
    if not question.has_grant:
        notes.append(f":warning: {person_ref(card.committer)} has no commit rights on {escape(card.repo)}")
    blocks.append(context(" · ".join(notes)))
    blocks.append(section(state_text(card)))
    value = str(card.id)
    if question.state != QuestionState.ANSWERED:
        buttons = []
        if card.claimed_by is None:
            buttons.append(ButtonElement(text="Claim", action_id=Action.CLAIM_QUESTION.value, value=value))
        buttons.append(
            ButtonElement(
                text="Mark answered", action_id=Action.ANSWER_QUESTION.value, value=value, style="primary"
            )
        )
        buttons.append(ButtonElement(text="Hand off", action_id=Action.HAND_OFF_QUESTION.value, value=value))
        if question.turn == Turn.CHAMPIONS:
            buttons.append(
                ButtonElement(
                    text="Waiting on the committer", action_id=Action.WAIT_ON_COMMITTER.value, value=value
                )
            )
        buttons.append(
            ButtonElement(
                text="Escalate to management",
                action_id=Action.ESCALATE_QUESTION.value,
                value=value,
                style="danger",
            )
        )
        blocks.append(ActionsBlock(block_id=f"question-actions-{card.id}", elements=buttons))
    return blocks


def question_text(card: QuestionCard) -> Mrkdwn:
    """Return the notification text of a thread root (what phones and screen readers show)."""
    urgent = "Urgent question" if card.question.urgency == Urgency.URGENT else "Question"
    return mrkdwn(
        "{urgent} from {who} on {repo}#{number}",
        urgent=urgent,
        who=card.committer.name or card.committer.github,
        repo=card.repo,
        number=card.question.pr_number,
    )


def thread_link(card: QuestionCard, label: str) -> Mrkdwn:
    """Return a link to the question's thread: its permalink, or one filled in when the root is posted."""
    return link(card.permalink, label) if card.permalink else link_to_posting(label)


def _pr(card: QuestionCard) -> Mrkdwn:
    return mrkdwn("{repo}#{number}", repo=card.repo, number=card.question.pr_number)


def ask_confirmation(card: QuestionCard) -> Mrkdwn:
    """Tell the asker where their question is and who was told."""
    where = thread_link(card, "in the coordination channel")
    who = (
        mrkdwn("{names} will see it there", names=_names(card.responders))
        if card.responders
        else mrkdwn("The champions on duty will see it there")
    )
    urgent = (
        " and were sent a direct message, since it is urgent"
        if card.question.urgency == Urgency.URGENT
        else ""
    )
    return mrkdwn(
        ":speech_balloon: Your question on {pr} is {where}. "
        "{who}{urgent}. Answers come in its thread; reply there if you have more to add.",
        pr=_pr(card),
        where=where,
        who=who,
        urgent=urgent,
    )


def repeated_notice(card: QuestionCard, *, in_modal: bool = False) -> Mrkdwn:
    """Tell an asker who submitted a question again where the first one is: one question, one thread."""
    if card.permalink or not in_modal:
        thread = thread_link(card, "open its thread")
    else:
        thread = mrkdwn("it is on its way to the coordination channel")
    return mrkdwn(
        ":speech_balloon: You asked this {when}: it is question #{id} on {pr}, thread: {thread}. "
        "I did not post it again; anything to add goes in that thread.",
        when=slack_date(card.question.asked_at),
        id=card.id,
        pr=_pr(card),
        thread=thread,
    )


def already_asked_modal(card: QuestionCard) -> View:
    """Return the modal a repeated ask-modal submission is answered with: the earlier question and its thread."""
    return notice_modal("Already asked", repeated_notice(card, in_modal=True))


def urgent_notice(card: QuestionCard) -> Mrkdwn:
    """Return the DM a champion gets for an urgent question."""
    return mrkdwn(
        ":rotating_light: {who} has an *urgent* question on {pr}. Please look at {thread}.",
        who=person_ref(card.committer),
        pr=link(card.question.pr_url, _pr(card)),
        thread=thread_link(card, "the thread"),
    )


def post_failed_notice(card: QuestionCard, reason: str) -> Mrkdwn:
    """Tell the asker their question was saved but Slack refused the post (the bot retries)."""
    return mrkdwn(
        ":warning: I saved your question on {pr} (#{id}) but could not "
        "post it to the coordination channel yet (`{reason}`). I will keep trying; "
        "a program admin can check that the bot is in that channel.",
        pr=_pr(card),
        id=card.id,
        reason=reason,
    )


def hand_off_modal(card: QuestionCard, candidates: Sequence[Person]) -> View:
    """Return the modal that asks whom to hand a question to, suggesting the other champion first."""
    first = next((p for p in candidates if p.slack_user_id), None)
    suggestions = ", ".join(person_ref(p) for p in candidates[:8]) or "any champion or technical owner"
    return modal(
        ViewId.HAND_OFF,
        "Hand off question",
        [
            section(
                f"Question #{card.id} from {person_ref(card.committer)} on {escape(card.repo)}#{card.question.pr_number}."
            ),
            InputBlock(
                block_id=Input.HAND_OFF_TO.value,
                label="Hand it to",
                element=UserSelectElement(
                    action_id=Input.HAND_OFF_TO.value,
                    initial_user=first.slack_user_id if first else None,
                    placeholder="Choose a person",
                ),
            ),
            context(f"Suggested: {suggestions}"),
        ],
        submit="Hand off",
        metadata={"question": card.id},
    )


def handed_off_text(card: QuestionCard, actor: Person) -> Mrkdwn:
    """Return the thread note that tells the new owner a question was handed to them."""
    assert card.claimed_by is not None
    return mrkdwn(
        "{actor} handed this question to {holder}. Over to you!",
        actor=person_ref(actor),
        holder=person_ref(card.claimed_by),
    )


def waiting_on_committer_text(card: QuestionCard, actor: Person) -> Mrkdwn:
    """Return the thread note that hands the turn back to the asker."""
    return mrkdwn(
        ":hourglass: {actor} is waiting on {asker}: over to you. Reply in this thread when you are ready, "
        "and the question goes back to the champions.",
        actor=person_ref(actor),
        asker=person_ref(card.committer),
    )


RATING_BLOCK = "nudge-rating"
RATING_LABELS = {NudgeRating.HELPFUL: "Helpful", NudgeRating.NOT_HELPFUL: "Not helpful"}
RATING_ACTIONS = {
    NudgeRating.HELPFUL: Action.NUDGE_HELPFUL,
    NudgeRating.NOT_HELPFUL: Action.NUDGE_NOT_HELPFUL,
}


def rating_block(question_id: int, step: int, rating: NudgeRating | None = None) -> dict[str, Any]:
    """Return the Helpful / Not helpful buttons of a nudge DM (the chosen one highlighted)."""
    value = f"{question_id}:{step}"
    buttons = []
    for choice, label in RATING_LABELS.items():
        button = ButtonElement(text=label, action_id=RATING_ACTIONS[choice].value, value=value)
        if choice == rating:
            button.style = "primary"
        buttons.append(button)
    return ActionsBlock(block_id=RATING_BLOCK, elements=buttons).to_dict()


def rating_note(rating: NudgeRating | None) -> dict[str, Any]:
    """Return the line under a nudge that asks for, or acknowledges, a rating."""
    if rating is None:
        text = "Was this nudge useful? Your answer shapes how ccbot nudges."
    else:
        text = f":pray: Thanks: you rated this nudge *{RATING_LABELS[rating].lower()}*. You can change your answer."
    return context(text).to_dict() | {"block_id": f"{RATING_BLOCK}-note"}


def nudge_dm_blocks(text: Mrkdwn, question_id: int, step: int) -> list[dict[str, Any]]:
    """Return a nudge DM's blocks: its text, then the rating line and buttons (Snooze comes after)."""
    return [section(text).to_dict(), rating_note(None), rating_block(question_id, step)]


def rated_nudge_blocks(
    blocks: Sequence[dict[str, Any]], question_id: int, step: int, rating: NudgeRating
) -> list[dict[str, Any]]:
    """Return a nudge DM's blocks redrawn once rated: the same content, the rating acknowledged."""
    redrawn = []
    for block in blocks:
        if block.get("block_id") == RATING_BLOCK:
            redrawn.append(rating_block(question_id, step, rating))
        elif block.get("block_id") == f"{RATING_BLOCK}-note":
            redrawn.append(rating_note(rating))
        else:
            redrawn.append(block)
    return redrawn


def nudge_texts(due: DueStep, *, management_channel: str | None) -> tuple[Mrkdwn, Mrkdwn | None]:
    """Return the thread text of a ladder step and, when someone is DMed, the DM text."""
    card = due.card
    waited = duration(due.waited)
    thread = thread_link(card, "this question")
    about = mrkdwn("{who}'s question on {pr}", who=person_ref(card.committer), pr=_pr(card))
    names = _names(due.targets)
    if due.step is Step.CHAMPIONS:
        return (
            mrkdwn(
                ":alarm_clock: {names}: this question has no answer after its allowance of working time. "
                "Can one of you pick it up? *Claim* it so the others know.",
                names=names,
            ),
            None,
        )
    if due.step is Step.SECOND_CHAMPION:
        return (
            mrkdwn(":alarm_clock: Still no answer. {names}, could you take this one?", names=names),
            mrkdwn(
                ":alarm_clock: {about} is still unanswered ({waited} since it was asked). Could you take {thread}?",
                about=about,
                waited=waited,
                thread=thread,
            ),
        )
    if due.targets:
        return (
            mrkdwn(
                ":rotating_light: Still no answer, so I have told {names} (the committer's manager).",
                names=names,
            ),
            mrkdwn(
                ":rotating_light: {about} has had no answer from the champions ({waited} since it was asked). "
                "Could you find someone for {thread}?",
                about=about,
                waited=waited,
                thread=thread,
            ),
        )
    where = channel_ref(management_channel) if management_channel else "the program admins"
    return (mrkdwn(":rotating_light: Still no answer, so I have raised it with {where}.", where=where), None)


def management_post(due: DueStep) -> Mrkdwn:
    """Return the management-channel post for a question no champion answered."""
    card = due.card
    return mrkdwn(
        ":rotating_light: {who}'s question on {pr} has had no answer from the champions "
        "for {waited}. Could someone pick up {thread}?",
        who=person_ref(card.committer),
        pr=link(card.question.pr_url, _pr(card)),
        waited=duration(due.waited),
        thread=thread_link(card, "the thread"),
    )
