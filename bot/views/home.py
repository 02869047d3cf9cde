"""`/cc` and the App Home tab: a person's status and open items, the help list, the not-on-roster answer,
and by role a champion's queue, a manager's week and an admin's roster health."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, DividerBlock, HeaderBlock
from slack_sdk.models.views import View

from bot.ids import COMMAND_HELP, Action
from bot.types.keys import Subject
from bot.views.access import access_lines
from bot.views.blocks import context, section
from bot.views.digest import digest_blocks
from bot.views.github import pr_link
from bot.views.notices import deployment_line
from bot.views.responsiveness import business, series_blocks
from bot.views.text import (
    AGREEMENT_NAMES,
    Mrkdwn,
    TextSection,
    activity_text,
    day,
    duration,
    escape,
    gap_text,
    join,
    mention,
    mrkdwn,
    person_ref,
    relative_days,
    slack_date,
)
from bot.views.yearly import yearly_closing_blocks, yearly_personal_blocks
from storage.models import Activity as Sign
from storage.models import Escalation, Person, Question, Status, Turn

if TYPE_CHECKING:
    from bot.types.home import HomeData, OpenItems
    from bot.types.roster import AgreementLine, Profile

STATUS_BADGES = {
    Status.ACTIVE: ":large_green_circle: active",
    Status.ONBOARDING: ":large_yellow_circle: onboarding",
    Status.LAPSED: ":red_circle: lapsed",
    Status.ALUMNI: ":white_circle: alumni",
}
MAX_LISTED = 40


def _listing(items: Sequence[Mrkdwn], empty: str = "none") -> Mrkdwn:
    if not items:
        return mrkdwn("{empty}", empty=empty)
    shown = list(items[:MAX_LISTED])
    more = len(items) - len(shown)
    return mrkdwn(
        "{shown}{more}", shown=join(", ", shown), more=mrkdwn(" and {n} more", n=more) if more > 0 else ""
    )


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


def status_blocks(profile: Profile, *, today: dt.date, activity: OpenItems | None = None) -> list[Block]:
    """Return the blocks of a person's own status (for `/cc` and App Home)."""
    person = profile.person
    org = mrkdwn(" · {org}", org=profile.organization.name) if profile.organization else ""
    lines = [
        mrkdwn(
            "*{name}* (`{github}`){org}", name=person.name or person.github, github=person.github, org=org
        ),
        mrkdwn("*Roles:* {roles}", roles=", ".join(profile.roles) or "none yet"),
    ]
    if "committer" in profile.roles or person.status == Status.ALUMNI:
        lines.append(mrkdwn("*Status:* {badge}", badge=STATUS_BADGES[profile.standing.status]))
    blocks: list[Block] = [HeaderBlock(text="Your Core Committer status"), TextSection(join("\n", lines))]
    if profile.standing.gaps:
        admin = "admin" in profile.roles
        missing = "\n".join(f"• {gap_text(gap, for_admin=admin)}" for gap in profile.standing.gaps)
        blocks.append(section(f"*What is missing before you are active:*\n{missing}"))
    if "committer" in profile.roles:
        champions = _listing([person_ref(c) for c in profile.champions], "none assigned yet")
        repos = _listing([mrkdwn("`{r}`", r=r) for r in profile.repos])
        text = f"*Champions:* {champions}\n*Repos:* {repos}"
        if profile.branches:
            text += f"\n*Branches:* {_listing([mrkdwn('`{b}`', b=b) for b in profile.branches])}"
        if profile.manager:
            text += f"\n*Escalates to:* {person_ref(profile.manager)}"
        blocks.append(section(text))
        agreements = "\n".join(_agreement_text(line, today) for line in profile.agreements) or "none recorded"
        blocks.append(section(f"*Agreements:*\n{agreements}"))
        if activity is not None:
            blocks.append(section(_last_active_text(activity.last_active)))
    if profile.committers:
        blocks.append(section(f"*You champion:* {_listing([person_ref(c) for c in profile.committers])}"))
    if activity is not None:
        blocks += activity_blocks(activity)
    blocks.append(context(f"Program phase: {profile.policy.phase.value} · `/cc help` lists the commands"))
    return blocks


def _last_active_text(sign: Sign | None) -> str:
    if sign is None:
        return (
            "*Last activity:* none recorded yet (questions, votes, retro answers, merges and reviews count)"
        )
    return f"*Last activity:* {slack_date(sign.at)}, {escape(activity_text(sign))}"


MAX_ITEMS = 10


def _question_line(question: Question, repo: str, permalink: str | None, *, asker: bool = False) -> str:
    label = f"{escape(repo)}#{question.pr_number}"
    link = f"<{permalink}|{label}>" if permalink else label
    turn = " · :hourglass: *waiting on you*" if asker and question.turn == Turn.COMMITTER else ""
    return f"• {link} ({question.state}) asked {slack_date(question.asked_at)}{turn}"


def activity_blocks(activity: OpenItems) -> list[Block]:
    """Return the open items of a person: their questions, questions waiting on them, their escalations."""
    blocks: list[Block] = []
    if activity.asked:
        lines = "\n".join(
            _question_line(q, repo, activity.link(Subject.question(q.id or 0)), asker=True)
            for q, repo in activity.asked[:MAX_ITEMS]
        )
        blocks.append(section(f"*Your open questions:*\n{lines}"))
    if activity.waiting_on_me:
        lines = "\n".join(
            _question_line(q, repo, activity.link(Subject.question(q.id or 0)))
            for q, repo in activity.waiting_on_me[:MAX_ITEMS]
        )
        more = len(activity.waiting_on_me) - MAX_ITEMS
        blocks.append(
            section(f"*Questions waiting on you:*\n{lines}" + (f"\n…and {more} more" if more > 0 else ""))
        )
    if activity.escalations:
        entries: list[str] = []
        for escalation in activity.escalations[:MAX_ITEMS]:
            title = escape(escalation.summary)
            permalink = activity.link(Subject.escalation(escalation.id or 0))
            link = f"<{permalink}|#{escalation.id} {title}>" if permalink else f"#{escalation.id} {title}"
            entries.append(f"• {link} ({escalation.state})")
        blocks.append(section("*Your escalations:*\n" + "\n".join(entries)))
    if activity.deployments:
        lines = "\n".join(
            deployment_line(n.event, repo, n.pr_number, n.received_at)
            for n, repo in activity.deployments[:MAX_ITEMS]
        )
        blocks.append(section(f"*Your recent deployments:*\n{lines}"))
    blocks += github_blocks(activity)
    return blocks


def github_blocks(activity: OpenItems) -> list[Block]:
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
        blocks.append(section(text))
    if activity.access:
        lines = access_lines([(a.team, a.state, day(a.checked_on)) for a in activity.access[:MAX_ITEMS]])
        blocks.append(section(f"*GitHub access:*\n{lines}"))
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
    blocks.append(context("Open the bot's *Home* tab for your dashboard."))
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


def admin_refs(admins: Sequence[Person], bootstrap_ids: Sequence[str]) -> list[Mrkdwn]:
    """Return mentions of the program admins: those on the roster and the bootstrap ids from settings."""
    linked = {p.slack_user_id for p in admins if p.slack_user_id}
    return [person_ref(p) for p in admins] + [mention(uid) for uid in bootstrap_ids if uid not in linked]


# Slack allows 100 blocks in a Home tab; one page keeps room for the navigation.
PAGE_BLOCKS = 95
LIST_CHUNK = 10


def _chunked(title: str, lines: Sequence[str], empty: str) -> list[Block]:
    if not lines:
        return [section(f"*{title}:* {empty}")]
    blocks: list[Block] = []
    for start in range(0, len(lines), LIST_CHUNK):
        head = f"*{title}* ({len(lines)}):\n" if start == 0 else ""
        blocks.append(section(head + "\n".join(lines[start : start + LIST_CHUNK])))
    return blocks


def _overdue_line(escalation: Escalation, permalink: str | None, now: dt.datetime) -> str:
    label = f"#{escalation.id} {escape(escalation.summary)}"
    waiting = duration(now - escalation.opened_at)
    return f"• <{permalink}|{label}> waiting {waiting}" if permalink else f"• {label} waiting {waiting}"


def _waited(activity: OpenItems, question: Question, now: dt.datetime) -> str:
    waited = activity.waited.get(question.id or 0)
    if waited is None:
        return f"waiting {duration(now - question.asked_at)}"
    return f"waiting on the champions {business(waited)} of your business hours"


def home_blocks(data: HomeData, *, now: dt.datetime) -> list[Block]:
    """Return every block of a person's App Home, before pagination."""
    own = replace(data.activity, waiting_on_me=[])
    blocks = status_blocks(data.profile, today=now.date(), activity=own)
    if data.yearly is not None:
        blocks += yearly_personal_blocks(data.yearly, today=now.date())
    queue = data.activity.waiting_on_me
    if queue or data.profile.committers:
        blocks.append(HeaderBlock(text="Questions waiting on you"))
        lines = [
            f"• <{data.activity.link(Subject.question(q.id or 0)) or q.pr_url}|{escape(repo)}#{q.pr_number}> "
            f"({q.state}), {_waited(data.activity, q, now)}"
            for q, repo in queue
        ]
        blocks += _chunked("Open", lines, "none, well done")
    if data.digest is not None:
        blocks.append(DividerBlock())
        # An admin's roster health lists the onboarding blockers with what to do; the digest's copy would repeat them.
        blocks += digest_blocks(data.digest, onboarding=data.health is None)
        if data.responsiveness is not None:
            blocks += series_blocks(data.responsiveness)
        overdue = [
            _overdue_line(e, data.activity.link(Subject.escalation(e.id or 0)), now) for e in data.overdue
        ]
        blocks += _chunked("Overdue escalations", overdue, "none")
    if data.health is not None:
        health = data.health
        blocks.append(HeaderBlock(text="Roster health"))
        blocks += _chunked(
            "Onboarding blockers",
            [
                f"• {person_ref(s.person)}: {'; '.join(gap_text(g, for_admin=True) for g in s.gaps)}"
                for s in health.onboarding
            ],
            "none",
        )
        blocks += _chunked(
            "Agreements ending in 30 days",
            [
                f"• {escape(e.holder)}: {AGREEMENT_NAMES[e.kind]} ends {day(e.expires_on)}"
                for e in health.expiring
            ],
            "none",
        )
        if health.champions_required:
            blocks += _chunked(
                f"Committers with fewer than {health.champions_required} champions",
                [f"• {person_ref(p)}: {count}" for p, count in health.short_of_champions],
                "none",
            )
    if data.yearly is not None:
        blocks += yearly_closing_blocks(data.yearly)
    return blocks


def paged_home(blocks: list[Block], page: int) -> View:
    """Return one page of the Home tab, with Previous / Next buttons when there is more than one."""
    pages = max(1, -(-len(blocks) // PAGE_BLOCKS))
    page = min(max(page, 1), pages)
    shown = blocks[(page - 1) * PAGE_BLOCKS : page * PAGE_BLOCKS]
    if pages > 1:
        buttons = []
        if page > 1:
            buttons.append(
                ButtonElement(
                    text="Previous", action_id=f"{Action.HOME_PAGE.value}:prev", value=str(page - 1)
                )
            )
        if page < pages:
            buttons.append(
                ButtonElement(text="Next", action_id=f"{Action.HOME_PAGE.value}:next", value=str(page + 1))
            )
        shown = [
            *shown,
            context(f"Page {page} of {pages}"),
            ActionsBlock(block_id="home-pages", elements=buttons),
        ]
    return View(type="home", blocks=shown)
