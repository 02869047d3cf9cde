"""Messages about GitHub team access: `/cc`'s lines, the plan for the terminal and for the admins with its
"Apply this plan" button, what was applied, removal notices, and an interrupted run's writes."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.ids import Action
from bot.types.access import AccessPlan, ApplyReport, Change, Held, NoticeDue, Settled
from bot.views.blocks import context, section
from bot.views.text import Mrkdwn, cut_lines, join, mrkdwn
from storage.models import AccessCause, AccessOp

SECTION_LIMIT = 2900


def access_lines(lines: Sequence[tuple[str, str, str]]) -> Mrkdwn:
    """Return `/cc`'s GitHub access lines from (team, state, when) tuples."""
    marks = {
        "member": (":white_check_mark:", "member of"),
        "pending": (":hourglass_flowing_sand:", "invitation pending for"),
        "missing": (":x:", "not yet a member of"),
        "extra": (":warning:", "still a member of"),
    }
    out = []
    for team, state, when in lines:
        mark, words = marks.get(state, (":grey_question:", state))
        extra = {
            "pending": ": accept the invitation GitHub e-mailed you",
            "missing": ": the admins have been told",
            "extra": ": your commit rights there have ended, so it will be removed",
        }.get(state, "")
        out.append(
            mrkdwn(
                "{mark} {words} `{team}`{extra} (checked {when})",
                mark=mark,
                words=words,
                team=team,
                extra=extra,
                when=when,
            )
        )
    return join("\n", out)


def plan_lines(plan: AccessPlan) -> list[str]:
    """Return the plan as terminal lines: per team, added (+), removed (-), held (!), invited (~), unknown (?)."""
    lines: list[str] = []
    for team in plan.teams:
        if team.missing:
            waiting = sum(1 for (_, t) in plan.states if t == team.team)
            lines.append(
                f"{team.team}: not found on GitHub: create the team ({waiting} committers wait for it)"
            )
            continue
        lines.append(f"{team.team}: {team.in_place} in place")
        lines += [f"  + {c.login:<24} {c.reason}  [{c.source}]" for c in team.add]
        lines += [
            f"  - {c.login:<24} {c.reason}"
            + (" (cancels the invitation)" if c.invitation else "")
            + f"  [{c.source}]"
            for c in team.remove
        ]
        lines += [f"  ! {h.change.login:<24} {h.change.reason}: {_held(h)}" for h in team.held]
        lines += [f"  ~ {login:<24} invited, not accepted yet ({reason})" for login, reason in team.pending]
        lines += [f"  x {login:<24} {problem}" for login, problem in team.blocked]
        lines += [f"  ? {login:<24} not on the roster: left alone" for login in team.unknown]
        lines += [
            f"  · {login:<24} on the roster but never a committer: left alone"
            for login in team.not_committers
        ]
    lines += [
        f"identity: `{issue.login}` is now GitHub account {issue.seen_id}, not "
        f"{issue.recorded_id or 'the one'} on record: "
        "treated as a stranger"
        for issue in plan.identity
    ]
    lines += [
        f"renamed: {r.old} is now {r.new} on GitHub (account {r.github_id}); the roster follows"
        for r in plan.renames
    ]
    return lines


def _held(held: Held) -> str:
    if held.noticed_at is None:
        return f"notice goes out with this plan; removed from {held.remove_after:%Y-%m-%d}"
    return f"noticed on {held.noticed_at:%Y-%m-%d}; removed from {held.remove_after:%Y-%m-%d}"


def _change_lines(changes: Sequence[Change], limit: int) -> list[Mrkdwn]:
    shown = []
    for c in changes[:limit]:
        sign, word = ("+", "to") if c.op is AccessOp.ADD else ("-", "from")
        shown.append(
            mrkdwn(
                "{sign} `{login}` {word} `{team}`: {reason}",
                sign=sign,
                login=c.login,
                word=word,
                team=c.team,
                reason=c.reason,
            )
        )
    if len(changes) > limit:
        shown.append(mrkdwn("…and {count} more", count=len(changes) - limit))
    return shown


def drift_text(plan: AccessPlan, *, limit: int = 15) -> Mrkdwn:
    """Return the admins' report of GitHub team access that differs from the roster."""
    unknown = [(t.team, login) for t in plan.teams for login in t.unknown]
    missing = [t.team for t in plan.teams if t.missing]
    blocked = [(t.team, login, problem) for t in plan.teams for login, problem in t.blocked]
    lines = [
        mrkdwn(
            ":busts_in_silhouette: *GitHub team access differs from the roster:* {summary}.",
            summary=plan.summary,
        )
    ]
    lines += _change_lines(plan.adds, limit)
    lines += _change_lines(plan.removals, limit)
    lines += [
        mrkdwn(
            "! `{login}` from `{team}`: {reason}; {held}",
            login=h.change.login,
            team=h.change.team,
            reason=h.change.reason,
            held=_held(h),
        )
        for h in plan.held[:limit]
    ]
    lines += [
        mrkdwn("x `{login}` for `{team}`: {problem}", login=login, team=team, problem=problem)
        for team, login, problem in blocked[:limit]
    ]
    lines += [
        mrkdwn("? `{login}` in `{team}` is not on the roster", login=login, team=team)
        for team, login in unknown[:limit]
    ]
    lines += [
        mrkdwn(":warning: `{team}` does not exist on GitHub: create it", team=team)
        for team in missing[:limit]
    ]
    return join("\n", lines)


def plan_blocks(plan: AccessPlan, digest: str) -> list[Block]:
    """Return the admins' plan with its "Apply this plan" button, which carries the plan's digest."""
    blocks: list[Block] = [section(_clip(drift_text(plan), SECTION_LIMIT))]
    if plan.changes:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Apply this plan",
                        action_id=Action.APPLY_ACCESS_PLAN.value,
                        value=digest,
                        style="primary",
                    )
                ]
            )
        )
    blocks.append(
        context(
            f"Plan `{digest[:12]}`. The button applies exactly these changes, and refuses if the roster "
            "or GitHub has moved since. `ccbot access plan` shows every reason."
        )
    )
    return blocks


def _clip(text: Mrkdwn, limit: int) -> Mrkdwn:
    """Cut text at a line break so it fits one section."""
    return cut_lines(text, limit, mrkdwn("…and more: `ccbot access plan` lists it all"))


def plan_text(plan: AccessPlan, digest: str) -> Mrkdwn:
    """Return the notification text of the admins' plan."""
    return mrkdwn(
        "GitHub team access differs from the roster ({summary}); plan {digest}",
        summary=plan.summary,
        digest=digest[:12],
    )


def applied_text(report: ApplyReport, actor: str = "", *, limit: int = 15) -> Mrkdwn:
    """Return the admins' report of what applying a plan changed on GitHub."""
    by = mrkdwn(" by {actor}", actor=actor) if actor else ""
    lines = [
        mrkdwn(
            ":busts_in_silhouette: *GitHub team access applied{by}:* {summary}.",
            by=by,
            summary=report.summary,
        )
    ]
    lines += _change_lines([*report.added, *report.invited], limit)
    lines += _change_lines(report.removed, limit)
    lines += [
        mrkdwn(":x: `{login}` in `{team}`: {error}", login=c.login, team=c.team, error=error[:200])
        for c, error in report.failed[:limit]
    ]
    if report.invited:
        lines.append(mrkdwn("Invited people join once they accept GitHub's e-mailed invitation."))
    return join("\n", lines)


def refused_block(reason: str) -> Block:
    """Return a section saying why an automatic apply was refused."""
    return section(_clip(refused_text(reason), SECTION_LIMIT))


def refused_text(reason: str) -> Mrkdwn:
    """Return the note that applying a plan was refused."""
    return mrkdwn(":octagonal_sign: *GitHub team access was not changed:* {reason}", reason=reason)


def reconciled_text(settled: Sequence[Settled], *, limit: int = 20) -> Mrkdwn:
    """Return the admins' report of the writes an interrupted run left unrecorded, as GitHub shows them now."""
    lines = [
        mrkdwn(
            ":warning: *An access run was interrupted* before it recorded {count} GitHub write{s}. GitHub shows:",
            count=len(settled),
            s="" if len(settled) == 1 else "s",
        )
    ]
    for item in settled[:limit]:
        c = item.change
        lines.append(
            mrkdwn(
                "• {op} `{login}` {word} `{team}` ({reason}): *{outcome}*",
                op=c.op.value,
                login=c.login,
                word="to" if c.op is AccessOp.ADD else "from",
                team=c.team,
                reason=c.reason,
                outcome=item.outcome,
            )
        )
    if len(settled) > limit:
        lines.append(
            mrkdwn(
                "…and {count} more (`ccbot access plan` shows where things stand)", count=len(settled) - limit
            )
        )
    return join("\n", lines)


def notice_text(notice: NoticeDue, *, champion_of: str | None = None) -> Mrkdwn:
    """Return the notice before a removal from GitHub teams: why, when, and what keeps access."""
    teams = join(", ", [mrkdwn("`{team}`", team=t) for t in notice.teams])
    when = f"{notice.remove_after:%A %d %B %Y}"
    if champion_of is not None:
        keep = (
            "A program admin can reinstate them."
            if notice.cause is AccessCause.INACTIVE
            else "Renewing the agreement that ended keeps their access."
        )
        return mrkdwn(
            ":hourglass: *{who} loses GitHub team access on {when}* ({reason}): {teams}. {keep}",
            who=champion_of,
            when=when,
            reason=notice.reason,
            teams=teams,
            keep=keep,
        )
    keep = (
        "Ask a program admin to reinstate you if you want to stay a core contributor."
        if notice.cause is AccessCause.INACTIVE
        else "Renew the agreement that ended (`/cc` lists your agreements and their dates) and access stays."
    )
    return mrkdwn(
        ":hourglass: *Your GitHub team access ends on {when}* ({reason}): ccbot will remove you from {teams}. {keep}",
        when=when,
        reason=notice.reason,
        teams=teams,
        keep=keep,
    )
