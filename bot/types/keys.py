"""Outbox keys and posting subjects: every message's identity is built here, so none repeats and none collides."""

from __future__ import annotations

import enum
import hashlib

# The outbox's key column holds 255 characters; a longer key keeps a digest of the whole instead of a cut.
MAX_KEY = 255


class Kind(enum.StrEnum):
    """What a message is; the first part of its key, and its `kind` in the outbox and metrics."""

    QUESTION_ROOT = "question-root"
    QUESTION_CONFIRM = "question-confirm"
    QUESTION_URGENT = "question-urgent"
    QUESTION_DELAYED = "question-delayed"
    QUESTION_REPEATED = "question-repeated"
    QUESTION_HANDOFF = "question-handoff"
    QUESTION_NUDGE = "question-nudge"
    QUESTION_TURN = "question-turn"
    ESCALATION_ROOT = "escalation-root"
    ESCALATION_OPENED = "escalation-opened"
    ESCALATION_REPEATED = "escalation-repeated"
    ESCALATION_CHANGE = "escalation"
    ESCALATION_OWNER = "escalation-owner"
    ESCALATION_STEP = "escalation-step"
    NOTICE_DM = "deploy-dm"
    NOTICE_THREAD = "deploy-thread"
    NOTICE_UNMATCHED = "deploy-unmatched"
    NOTICE_ANSWER = "deploy-answer"
    INTRO = "intro"
    INTRO_DELAYED = "intro-delayed"
    NOMINATION_ROOT = "nomination-root"
    NOMINATION_DELAYED = "nomination-delayed"
    NOMINATION_RESULT = "nomination-result"
    NOMINATION_CHECKLIST = "nomination-checklist"
    PHASE = "phase"
    LAPSED = "lapsed"
    ACTIVE_AGAIN = "active-again"
    NOW_ACTIVE = "now-active"
    EXPIRY = "expiry"
    ONBOARDING = "onboarding"
    RETRO = "retro"
    RETRO_REPORT = "retro-report"
    DIGEST = "digest"
    DIGEST_CSV = "digest-csv"
    DELIVERY_FAILED = "delivery-failed"
    SLACK_NOT_FOUND = "slack-not-found"
    TOLD = "told"
    REDRAW = "redraw"
    DM_HELP = "dm-help"
    GITHUB_MERGED = "gh-merged"
    GITHUB_REVIEW_ASK = "gh-review-ask"
    GITHUB_REVIEW_NONE = "gh-review-none"
    GITHUB_REVIEW_REQUESTED = "gh-review-requested"
    ACCESS_DRIFT = "access-drift"
    ACCESS_APPLY = "access-apply"
    ACCESS_PLAN = "access-plan"
    ACCESS_NOTICE = "access-notice"
    ACCESS_INTERRUPTED = "access-interrupted"
    IDENTITY = "identity"
    SNOOZED = "snoozed"
    RENEWAL_INVITE = "renewal-invite"
    RENEWAL_REMINDER = "renewal-reminder"
    RENEWAL_EXTENDED = "renewal-extended"
    RENEWAL_FOLLOWUP = "renewal-followup"
    RENEWAL_THANKS = "renewal-thanks"
    RENEWAL_ENDED = "renewal-ended"
    RENEWAL_CONTACT = "renewal-contact"
    INACTIVE_REVIEW = "inactive-review"
    ALUMNI = "alumni"
    REINSTATED = "reinstated"
    EXPANSION_GRANTED = "expansion-granted"


class Subject:
    """Names of the things the bot posts and later redraws or replies under (one posting each)."""

    @staticmethod
    def question(question_id: int) -> str:
        """The thread root of a question."""
        return f"question:{question_id}"

    @staticmethod
    def nudge(question_id: int, step: int, person_id: int) -> str:
        """One person's DM of one SLA step of a question (it carries the Helpful / Not helpful buttons)."""
        return f"nudge:{question_id}:{step}:{person_id}"

    @staticmethod
    def escalation(escalation_id: int) -> str:
        """An escalation's post in the management channel."""
        return f"escalation:{escalation_id}"

    @staticmethod
    def nomination(nomination_id: int) -> str:
        """A nomination's post with its vote buttons."""
        return f"nomination:{nomination_id}"

    @staticmethod
    def intro(intro_id: int) -> str:
        """An intro to a repository's owners in the coordination channel."""
        return f"intro:{intro_id}"

    @staticmethod
    def notice(notice_id: int) -> str:
        """A production notice's DM to the committer."""
        return f"notice:{notice_id}"

    @staticmethod
    def notice_thread(notice_id: int) -> str:
        """The champions' thread about a production notice."""
        return f"notice-thread:{notice_id}"

    @staticmethod
    def review_ask(ask_id: int, person_id: int) -> str:
        """The DM asking one committer to review a labelled pull request (Take it / Pass it on)."""
        return f"review-ask:{ask_id}:{person_id}"

    @staticmethod
    def renewal_followup(renewal_id: int, on: object, chunk: int, admin: str) -> str:
        """One admin's copy of (part of) the list of a round's members who did not answer by a deadline."""
        return f"{Subject.renewal_followup_prefix(renewal_id, on)}{chunk}:{admin}"

    @staticmethod
    def renewal_followup_prefix(renewal_id: int, on: object) -> str:
        """What every copy of one round's list for one deadline starts with."""
        return f"renewal-followup:{renewal_id}:{on}:"

    @staticmethod
    def inactivity_review(period: str, chunk: int, admin: str) -> str:
        """One admin's copy of (part of) a week's list of committers proposed as inactive."""
        return f"{Subject.inactivity_review_prefix(period)}{chunk}:{admin}"

    @staticmethod
    def inactivity_review_prefix(period: str) -> str:
        """What every copy of one week's inactivity list starts with."""
        return f"inactive-review:{period}:"


def message_key(kind: Kind | str, *parts: object) -> str:
    """Return the outbox key of a message: its kind and the parts that make it unique, never cut short."""
    key = ":".join([str(kind), *(str(part) for part in parts)])
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{key[: MAX_KEY - len(digest) - 1]}~{digest}"


def redraw_key(subject: str) -> str:
    """Return the key of the (single, replaceable) redraw of a posting."""
    return message_key(Kind.REDRAW, subject)
