"""Escalations as values: a draft, the card a management post shows, the form's first values, a due ladder step."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.types.github import parse_pr_url
from bot.types.keys import Subject
from storage.models import Escalation, Person, SlackPosting, Urgency

# The ladder steps after the re-notifications (1..limit): the digest's overdue report, the resolve reminder.
OVERDUE_STEP = 50
RESOLVE_REMINDER_STEP = 100


@dataclass(frozen=True)
class EscalationDraft:
    """A validated escalation, before it is stored."""

    committer_id: int
    summary: str
    impact: str
    urgency: Urgency
    pr_url: str | None = None
    repo: str | None = None
    question_id: int | None = None
    source_url: str | None = None


@dataclass
class EscalationCard:
    """An escalation with the people around it: what its post and notices show."""

    escalation: Escalation
    committer: Person
    champions: list[Person]
    raised_by: Person | None
    owner: Person | None
    acknowledged_by: Person | None
    resolved_by: Person | None
    repo: str | None
    managers: list[Person]
    posting: SlackPosting | None = None

    @property
    def id(self) -> int:
        """The escalation's id."""
        assert self.escalation.id is not None
        return self.escalation.id

    @property
    def subject(self) -> str:
        """The escalation's post, as the outbox and the postings name it."""
        return Subject.escalation(self.id)

    @property
    def permalink(self) -> str | None:
        """The link to the escalation's post, once it is posted."""
        return self.posting.permalink if self.posting else None

    @property
    def pr_ref(self) -> str | None:
        """The pull request in the bot's own notation, `org/repo#N` (None when it names no pull request)."""
        parsed = parse_pr_url(self.escalation.pr_url) if self.escalation.pr_url else None
        return f"{parsed[0]}#{parsed[1]}" if parsed else None


@dataclass(frozen=True)
class EscalationForm:
    """What the escalate modal offers: for a champion or admin, the committers it can be about."""

    committers: list[Person]
    own: bool


@dataclass(frozen=True)
class DueEscalationStep:
    """A ladder step due now for one escalation: re-notify (1..limit), overdue, or resolve reminder."""

    card: EscalationCard
    step: int
    due_at: dt.datetime
    target: Person | None
    as_of: dt.datetime  # the instant the step is taken (the job's clock): what "waited" is measured to

    @property
    def waited(self) -> dt.timedelta:
        """How long the escalation has been open, as of the step (not as of when the step fell due)."""
        return self.as_of - self.card.escalation.opened_at

    @property
    def overdue(self) -> bool:
        """Whether this is the step that reports the escalation as overdue in the digest channel."""
        return self.step == OVERDUE_STEP

    @property
    def resolve_reminder(self) -> bool:
        """Whether this step reminds the owner of an acknowledged, unresolved escalation."""
        return self.step == RESOLVE_REMINDER_STEP
