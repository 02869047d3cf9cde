"""Every slash command, callback_id, block_id and action_id, shared by views and handlers."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    """Slash commands (names fixed by the product contract)."""

    CC = "/cc"
    ASK = "/cc-ask"
    OWNERS = "/cc-owners"
    ESCALATE = "/cc-escalate"
    RETRO = "/cc-retro"
    NOMINATE = "/cc-nominate"
    ADMIN = "/cc-admin"


COMMAND_HELP: dict[Command, tuple[str, str]] = {
    Command.CC: (
        "[help]",
        "your status: role, champions, repos, agreements with dates; `help` lists commands",
    ),
    Command.ASK: (
        "[PR URL] [question]",
        "ask your champions about a pull request; the answer comes in a thread of the coordination channel",
    ),
    Command.ESCALATE: (
        "",
        "raise an impediment to engineering management; you are told of each step until it is resolved",
    ),
    Command.RETRO: (
        "",
        "share feedback on the program in the open retro: Liked, Lacked, Learned, Longed for",
    ),
    Command.NOMINATE: (
        "@person org/repo... [reason]",
        "establish phase on: nominate someone for core committer rights (or, naming a committer, more "
        "repositories for them); committers vote in a thread",
    ),
    Command.ADMIN: (
        "",
        "admins: set the phase, record, renew or revoke agreements, assign champions, add, edit, remove or "
        "reinstate people, open a retro",
    ),
    Command.OWNERS: (
        "org/repo [path]",
        "the technical owners of a repository or a path in it, with a button to request an intro",
    ),
}


class Shortcut(StrEnum):
    """Global and message shortcuts (callback ids fixed by the product contract)."""

    ASK_CHAMPIONS = "ask_champions"
    ESCALATE_MESSAGE = "escalate_message"


class Event(StrEnum):
    """Events API event types the bot subscribes to."""

    APP_HOME_OPENED = "app_home_opened"
    MESSAGE = "message"
    TEAM_JOIN = "team_join"
    USER_CHANGE = "user_change"


class ViewId(StrEnum):
    """Modal callback ids."""

    ASK = "ask_question"
    HAND_OFF = "hand_off_question"
    ESCALATE = "escalate"
    RESOLVE_ESCALATION = "resolve_escalation"
    REASSIGN_ESCALATION = "reassign_escalation"
    RETRO = "retro_feedback"
    NOMINATE = "nominate"
    ADMIN_PHASE = "admin_phase"
    ADMIN_AGREEMENT = "admin_agreement"
    ADMIN_CHAMPIONS = "admin_champions"
    ADMIN_PERSON = "admin_person"
    ADMIN_REMOVE = "admin_remove"
    ADMIN_AWAY = "admin_away"
    ADMIN_RETRO = "admin_retro"
    ADMIN_REINSTATE = "admin_reinstate"
    ADMIN_AGREEMENT_CHANGE = "admin_agreement_change"
    QUIET_SETTINGS = "quiet_settings"


class Input(StrEnum):
    """Input blocks in modals; each block's element uses the same string as its action_id."""

    PR_URL = "pr_url"
    QUESTION = "question"
    URGENCY = "urgency"
    HAND_OFF_TO = "hand_off_to"
    ESCALATION_COMMITTER = "committer"
    ESCALATION_SUMMARY = "summary"
    ESCALATION_IMPACT = "impact"
    ESCALATION_RELATED = "related"
    RESOLUTION = "resolution"
    REASSIGN_TO = "reassign_to"
    LIKED = "liked"
    LACKED = "lacked"
    LEARNED = "learned"
    LONGED_FOR = "longed_for"
    ANONYMOUS = "anonymous"
    GITHUB = "github"
    NAME = "name"
    SLACK_USER = "slack"
    ORGANIZATION = "organization"
    REPOS = "repos"
    REASON = "reason"
    ROLES = "roles"
    CHAMPIONS = "champions"
    PHASE = "phase"
    NDA = "nda"
    MILESTONES = "milestones"
    HOLDER = "holder"
    KIND = "kind"
    SIGNED = "signed"
    EXPIRES = "expires"
    AWAY_UNTIL = "away_until"
    RETRO_NAME = "retro_name"
    RETRO_CLOSES = "retro_closes"
    RETRO_AUDIENCE = "retro_audience"
    PAUSE_UNTIL = "pause_until"
    OWN_HOURS = "own_hours"
    AGREEMENT_ACTION = "agreement_action"
    EFFECTIVE = "effective"


class Action(StrEnum):
    """Button action ids."""

    CLAIM_QUESTION = "question_claim"
    ANSWER_QUESTION = "question_mark_answered"
    HAND_OFF_QUESTION = "question_hand_off"
    OPEN_QUESTION = "question_open_thread"
    ESCALATE_QUESTION = "question_escalate"
    WAIT_ON_COMMITTER = "question_wait_on_committer"
    NUDGE_HELPFUL = "nudge_helpful"
    NUDGE_NOT_HELPFUL = "nudge_not_helpful"
    REQUEST_INTRO = "owners_request_intro"
    ACKNOWLEDGE_ESCALATION = "escalation_acknowledge"
    RESOLVE_ESCALATION = "escalation_resolve"
    REASSIGN_ESCALATION = "escalation_reassign"
    SHARE_FEEDBACK = "retro_share_feedback"
    NOTICE_REVERTING = "notice_reverting"
    NOTICE_NOT_MINE = "notice_not_mine"
    NOTICE_HELP = "notice_help"
    VOTE_YES = "nomination_vote_yes"
    VOTE_NO = "nomination_vote_no"
    ADMIN_OPEN = "admin_open"
    HOME_PAGE = "home_page"
    TAKE_REVIEW = "github_review_take"
    PASS_REVIEW = "github_review_pass"  # noqa: S105 - an action id, not a password
    SNOOZE = "reminder_snooze"
    QUIET_SETTINGS = "quiet_settings"
    RENEWAL_RECOMMIT = "renewal_recommit"
    RENEWAL_STEP_DOWN = "renewal_step_down"
    RENEWAL_MOVE = "renewal_move_to_alumni"
    RENEWAL_EXTEND = "renewal_extend"
    INACTIVE_KEEP = "inactive_keep"
    INACTIVE_MOVE = "inactive_move"
    APPLY_ACCESS_PLAN = "access_apply_plan"
