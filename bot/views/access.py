"""Messages about GitHub team access: `/cc`'s lines, the plan for the terminal and for the admins with its
"Apply this plan" button, what was applied, removal notices, and an interrupted run's writes."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.ids import Action
from bot.types.access import AccessPlan, ApplyReport, Change, Held, NoticeDue, Settled
from bot.views.blocks import context, section
from bot.views.text import escape
from storage.models import AccessCause, AccessOp

SECTION_LIMIT = 2900


def access_lines(lines: Sequence[tuple[str, str, str]]) -> str:
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
        line = f"{mark} {words} `{escape(team)}`"
        if state == "pending":
            line += ": accept the invitation GitHub e-mailed you"
        elif state == "missing":
            line += ": the admins have been told"
        elif state == "extra":
            line += ": your commit rights there have ended, so it will be removed"
        out.append(f"{line} (checked {when})")
    return "\n".join(out)


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


def _change_lines(changes: Sequence[Change], limit: int) -> list[str]:
    shown = []
    for c in changes[:limit]:
        sign, word = ("+", "to") if c.op is AccessOp.ADD else ("-", "from")
        shown.append(f"{sign} `{escape(c.login)}` {word} `{escape(c.team)}`: {escape(c.reason)}")
    if len(changes) > limit:
        shown.append(f"…and {len(changes) - limit} more")
    return shown


def drift_text(plan: AccessPlan, *, limit: int = 15) -> str:
    """Return the admins' report of GitHub team access that differs from the roster."""
    unknown = [(t.team, login) for t in plan.teams for login in t.unknown]
    missing = [t.team for t in plan.teams if t.missing]
    blocked = [(t.team, login, problem) for t in plan.teams for login, problem in t.blocked]
    lines = [f":busts_in_silhouette: *GitHub team access differs from the roster:* {escape(plan.summary)}."]
    lines += _change_lines(plan.adds, limit)
    lines += _change_lines(plan.removals, limit)
    lines += [
        f"! `{escape(h.change.login)}` from `{escape(h.change.team)}`: {escape(h.change.reason)}; {_held(h)}"
        for h in plan.held[:limit]
    ]
    lines += [
        f"x `{escape(login)}` for `{escape(team)}`: {escape(problem)}"
        for team, login, problem in blocked[:limit]
    ]
    lines += [
        f"? `{escape(login)}` in `{escape(team)}` is not on the roster" for team, login in unknown[:limit]
    ]
    lines += [f":warning: `{escape(team)}` does not exist on GitHub: create it" for team in missing[:limit]]
    return "\n".join(lines)


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


def _clip(text: str, limit: int) -> str:
    """Cut already escaped text at a line break so it fits one section."""
    if len(text) <= limit:
        return text
    return text[: text.rfind("\n", 0, limit - 20)] + "\n…and more: `ccbot access plan` lists it all"


def plan_text(plan: AccessPlan, digest: str) -> str:
    """Return the notification text of the admins' plan."""
    return f"GitHub team access differs from the roster ({plan.summary}); plan {digest[:12]}"


def applied_text(report: ApplyReport, actor: str = "", *, limit: int = 15) -> str:
    """Return the admins' report of what applying a plan changed on GitHub."""
    by = f" by {escape(actor)}" if actor else ""
    lines = [f":busts_in_silhouette: *GitHub team access applied{by}:* {escape(report.summary)}."]
    lines += _change_lines([*report.added, *report.invited], limit)
    lines += _change_lines(report.removed, limit)
    lines += [
        f":x: `{escape(c.login)}` in `{escape(c.team)}`: {escape(error[:200])}"
        for c, error in report.failed[:limit]
    ]
    if report.invited:
        lines.append("Invited people join once they accept GitHub's e-mailed invitation.")
    return "\n".join(lines)


def refused_block(reason: str) -> Block:
    """Return a section saying why an automatic apply was refused."""
    return section(_clip(refused_text(reason), SECTION_LIMIT))


def refused_text(reason: str) -> str:
    """Return the note that applying a plan was refused."""
    return f":octagonal_sign: *GitHub team access was not changed:* {escape(reason)}"


def reconciled_text(settled: Sequence[Settled], *, limit: int = 20) -> str:
    """Return the admins' report of the writes an interrupted run left unrecorded, as GitHub shows them now."""
    lines = [
        f":warning: *An access run was interrupted* before it recorded {len(settled)} "
        f"GitHub write{'' if len(settled) == 1 else 's'}. GitHub shows:"
    ]
    for item in settled[:limit]:
        c = item.change
        word = "to" if c.op is AccessOp.ADD else "from"
        lines.append(
            f"• {c.op.value} `{escape(c.login)}` {word} `{escape(c.team)}` ({escape(c.reason)}): *{item.outcome}*"
        )
    if len(settled) > limit:
        lines.append(f"…and {len(settled) - limit} more (`ccbot access plan` shows where things stand)")
    return "\n".join(lines)


def notice_text(notice: NoticeDue, *, champion_of: str | None = None) -> str:
    """Return the notice before a removal from GitHub teams: why, when, and what keeps access."""
    teams = ", ".join(f"`{escape(t)}`" for t in notice.teams)
    when = f"{notice.remove_after:%A %d %B %Y}"
    if champion_of is not None:
        keep = (
            "A program admin can reinstate them."
            if notice.cause is AccessCause.INACTIVE
            else "Renewing the agreement that ended keeps their access."
        )
        return (
            f":hourglass: *{escape(champion_of)} loses GitHub team access on {when}* "
            f"({escape(notice.reason)}): {teams}. {keep}"
        )
    keep = (
        "Ask a program admin to reinstate you if you want to stay a core contributor."
        if notice.cause is AccessCause.INACTIVE
        else "Renew the agreement that ended (`/cc` lists your agreements and their dates) and access stays."
    )
    return (
        f":hourglass: *Your GitHub team access ends on {when}* ({escape(notice.reason)}): ccbot will remove you "
        f"from {teams}. {keep}"
    )
