"""Blocks for `/cc` and the App Home tab: a person's status, the help list, and the not-on-roster answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.ids import COMMAND_HELP
from bot.services.keys import Subject
from bot.views.access import access_lines
from bot.views.deployments import deployment_line
from bot.views.github import pr_link
from bot.views.text import (
    Mrkdwn,
    TextSection,
    day,
    escape,
    join,
    mention,
    mrkdwn,
    notification_of,
    person_ref,
    relative_days,
    slack_date,
)
from storage.models import Activity as Sign
from storage.models import ActivityKind, AgreementKind, Person, Question, Status

if TYPE_CHECKING:
    from bot.services.activity import Activity
    from bot.services.roster import AgreementLine, Profile
    from bot.services.status import Gap

AGREEMENT_NAMES = {
    AgreementKind.INDIVIDUAL: "Individual contributor agreement",
    AgreementKind.ENTITY: "Entity contributor agreement",
    AgreementKind.NDA: "NDA / program agreement",
}
STATUS_BADGES = {
    Status.ACTIVE.value: ":large_green_circle: active",
    Status.ONBOARDING.value: ":large_yellow_circle: onboarding",
    Status.LAPSED.value: ":red_circle: lapsed",
    Status.ALUMNI.value: ":white_circle: alumni",
}
MAX_LISTED = 40


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text[:3000]))


def _listing(items: Sequence[Mrkdwn], empty: str = "none") -> Mrkdwn:
    if not items:
        return mrkdwn("{empty}", empty=empty)
    shown = list(items[:MAX_LISTED])
    more = len(items) - len(shown)
    return mrkdwn(
        "{shown}{more}", shown=join(", ", shown), more=mrkdwn(" and {n} more", n=more) if more > 0 else ""
    )


def gap_text(gap: Gap, *, for_admin: bool = False) -> str:
    """Say what one gap is and what to do about it; an admin reader is told how to fix it, not whom to ask."""
    if gap.agreement is not None:
        name = AGREEMENT_NAMES[gap.agreement]
        if gap.expired_on is not None:
            if for_admin:
                return f"{name}: expired on {day(gap.expired_on)}. Record the renewal with `/cc-admin` → Record an agreement."
            return f"{name}: expired on {day(gap.expired_on)}. Renew it with the program coordinator."
        if for_admin:
            return f"{name}: not signed yet. Once it is signed, record it with `/cc-admin` → Record an agreement."
        return f"{name}: not signed yet. Ask the program coordinator for it."
    plural = "s" if gap.champions_missing != 1 else ""
    if for_admin:
        return (
            f"{gap.champions_missing} more champion{plural}: assign them with `/cc-admin` → Assign champions."
        )
    return f"{gap.champions_missing} more champion{plural}: an admin assigns champions."


def _agreement_text(line: AgreementLine, today: dt.date) -> str:
    mark = ":white_check_mark:" if line.valid else ":x:"
    holder = "" if line.holder == "you" else f" (held by {escape(line.holder)})"
    parts = [f"signed {day(line.signed_on)}" if line.signed_on else "signing date not recorded"]
    if line.expires_on:
        verb = "expires" if line.valid else "expired"
        parts.append(f"{verb} {day(line.expires_on)} ({relative_days(line.expires_on, today)})")
    else:
        parts.append("no expiry")
    return f"{mark} {AGREEMENT_NAMES[line.kind]}{holder}: {', '.join(parts)}"


ACTIVITY_WORDS = {
    ActivityKind.QUESTION: "asked a question",
    ActivityKind.VOTE: "voted on a nomination",
    ActivityKind.RETRO: "answered a retro",
    ActivityKind.RECOMMITTED: "recommitted",
    ActivityKind.REINSTATED: "was reinstated",
}
GITHUB_WORDS = {
    ActivityKind.MERGED: "merged {ref}",
    ActivityKind.AUTHORED: "had {ref} merged",
    ActivityKind.REVIEWED: "reviewed {ref}",
}


def activity_text(sign: Sign) -> str:
    """Say in plain words (not mrkdwn) what a sign of activity was: `merged openedx/edx-platform#12`."""
    try:
        kind = ActivityKind(sign.kind)
    except ValueError:
        return str(sign.kind)
    if kind in GITHUB_WORDS:
        return GITHUB_WORDS[kind].format(ref=sign.ref)
    return ACTIVITY_WORDS.get(kind, kind.value)


def status_blocks(profile: Profile, *, today: dt.date, activity: Activity | None = None) -> list[Block]:
    """Return the blocks of a person's own status (for `/cc` and App Home)."""
    person = profile.person
    org = mrkdwn(" · {org}", org=profile.organization.name) if profile.organization else ""
    lines = [
        mrkdwn(
            "*{name}* (`{github}`){org}", name=person.name or person.github, github=person.github, org=org
        ),
        mrkdwn("*Roles:* {roles}", roles=", ".join(profile.roles) or "none yet"),
    ]
    if "committer" in profile.roles or person.status == Status.ALUMNI.value:
        badge = STATUS_BADGES.get(profile.standing.status.value, profile.standing.status.value)
        lines.append(mrkdwn("*Status:* {badge}", badge=badge))
    blocks: list[Block] = [HeaderBlock(text="Your Core Committer status"), TextSection(join("\n", lines))]
    if profile.standing.gaps:
        admin = "admin" in profile.roles
        missing = "\n".join(f"• {gap_text(gap, for_admin=admin)}" for gap in profile.standing.gaps)
        blocks.append(_section(f"*What is missing before you are active:*\n{missing}"))
    if "committer" in profile.roles:
        champions = _listing([person_ref(c) for c in profile.champions], "none assigned yet")
        repos = _listing([mrkdwn("`{r}`", r=r) for r in profile.repos])
        text = f"*Champions:* {champions}\n*Repos:* {repos}"
        if profile.branches:
            text += f"\n*Branches:* {_listing([mrkdwn('`{b}`', b=b) for b in profile.branches])}"
        if profile.manager:
            text += f"\n*Escalates to:* {person_ref(profile.manager)}"
        blocks.append(_section(text))
        agreements = "\n".join(_agreement_text(line, today) for line in profile.agreements) or "none recorded"
        blocks.append(_section(f"*Agreements:*\n{agreements}"))
        if activity is not None:
            blocks.append(_section(_last_active_text(activity.last_active)))
    if profile.committers:
        blocks.append(_section(f"*You champion:* {_listing([person_ref(c) for c in profile.committers])}"))
    if activity is not None:
        blocks += activity_blocks(activity)
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"Program phase: {profile.policy.phase.value} · `/cc help` lists the commands"
                )
            ]
        )
    )
    return blocks


def _last_active_text(sign: Sign | None) -> str:
    if sign is None:
        return (
            "*Last activity:* none recorded yet (questions, votes, retro answers, merges and reviews count)"
        )
    return f"*Last activity:* {slack_date(sign.at)}, {escape(activity_text(sign))}"


MAX_ITEMS = 10


def _question_line(question: Question, repo: str, permalink: str | None) -> str:
    label = f"{escape(repo)}#{question.pr_number}"
    link = f"<{permalink}|{label}>" if permalink else label
    return f"• {link} ({question.state}) asked {slack_date(question.asked_at)}"


def activity_blocks(activity: Activity) -> list[Block]:
    """Return the open items of a person: their questions, questions waiting on them, their escalations."""
    blocks: list[Block] = []
    if activity.asked:
        lines = "\n".join(
            _question_line(q, repo, activity.link(Subject.question(q.id or 0)))
            for q, repo in activity.asked[:MAX_ITEMS]
        )
        blocks.append(_section(f"*Your open questions:*\n{lines}"))
    if activity.waiting_on_me:
        lines = "\n".join(
            _question_line(q, repo, activity.link(Subject.question(q.id or 0)))
            for q, repo in activity.waiting_on_me[:MAX_ITEMS]
        )
        more = len(activity.waiting_on_me) - MAX_ITEMS
        blocks.append(
            _section(f"*Questions waiting on you:*\n{lines}" + (f"\n…and {more} more" if more > 0 else ""))
        )
    if activity.escalations:
        entries: list[str] = []
        for escalation in activity.escalations[:MAX_ITEMS]:
            title = escape(escalation.summary)
            permalink = activity.link(Subject.escalation(escalation.id or 0))
            link = f"<{permalink}|#{escalation.id} {title}>" if permalink else f"#{escalation.id} {title}"
            entries.append(f"• {link} ({escalation.state})")
        blocks.append(_section("*Your escalations:*\n" + "\n".join(entries)))
    if activity.deployments:
        lines = "\n".join(
            deployment_line(n.event, repo, n.pr_number, n.received_at)
            for n, repo in activity.deployments[:MAX_ITEMS]
        )
        blocks.append(_section(f"*Your recent deployments:*\n{lines}"))
    blocks += github_blocks(activity)
    return blocks


def github_blocks(activity: Activity) -> list[Block]:
    """Return a person's GitHub lines: the last 30 days' merges and reviews, review asks, team access."""
    blocks: list[Block] = []
    work = activity.github
    if work is not None and (work.merged or work.authored or work.reviewed or work.open_asks):
        text = (
            f"*On GitHub (30 days):* {work.merged} merged, {work.authored} of your PRs merged, "
            f"{work.reviewed} reviewed"
        )
        for card in work.open_asks[:MAX_ITEMS]:
            text += f"\n• review {pr_link(card.pr)} ({card.ask.state})"
        blocks.append(_section(text))
    if activity.access:
        lines = access_lines([(a.team, a.state, day(a.checked_on)) for a in activity.access[:MAX_ITEMS]])
        blocks.append(_section(f"*GitHub access:*\n{lines}"))
    return blocks


def help_blocks(unknown: str | None = None) -> list[Block]:
    """Return the list of commands, one line each (after a note when the subcommand was unknown)."""
    blocks: list[Block] = []
    if unknown:
        blocks.append(
            TextSection(
                mrkdwn("`/cc {unknown}` is not something I know. Here is what I do:", unknown=unknown)
            )
        )
    lines = [
        mrkdwn(
            "`{command}{usage}`: {text}", command=command.value, usage=f" {usage}" if usage else "", text=text
        )
        for command, (usage, text) in COMMAND_HELP.items()
    ]
    blocks.append(HeaderBlock(text="Core Committer bot"))
    blocks.append(TextSection(join("\n", lines)))
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text="Open the bot's *Home* tab for your dashboard.")])
    )
    return blocks


def not_on_roster_blocks(admin_refs: Sequence[Mrkdwn]) -> list[Block]:
    """Return the answer for someone who is not on the roster: how to get added."""
    who = _listing(list(admin_refs), "a program admin")
    return [
        TextSection(
            mrkdwn(
                "You are not on the Core Committer roster yet, so I have no status to show you.\n"
                "• To join, ask {who} to add you to the roster.\n"
                "• If you are on the roster, check that your Slack e-mail matches the one the program has for you.",
                who=who,
            )
        )
    ]


def blocks_to_text(blocks: Sequence[Block]) -> Mrkdwn:
    """Return the notification text of an answer made of blocks: the first section's text."""
    return notification_of(blocks, mrkdwn("ccbot"))


def admin_refs(admins: Sequence[Person], bootstrap_ids: Sequence[str]) -> list[Mrkdwn]:
    """Return mentions of the program admins: those on the roster and the bootstrap ids from settings."""
    linked = {p.slack_user_id for p in admins if p.slack_user_id}
    return [person_ref(p) for p in admins] + [mention(uid) for uid in bootstrap_ids if uid not in linked]
