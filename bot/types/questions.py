"""Questions as values: a draft, the card a question's thread root and notices show, a refusal, a due ladder step."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.types.keys import Subject
from bot.types.policy import Step
from bot.types.standing import Gap
from storage.models import Person, Question, SlackPosting, Status, Urgency


@dataclass(frozen=True)
class QuestionDraft:
    """A validated question, before it is stored."""

    pr_url: str
    repo: str
    pr_number: int
    text: str
    urgency: Urgency


@dataclass
class QuestionCard:
    """A question with the people around it: what its thread root and notices show."""

    question: Question
    committer: Person
    repo: str
    responders: list[Person]
    claimed_by: Person | None
    first_responder: Person | None
    answered_by: Person | None
    manager: Person | None
    posting: SlackPosting | None = None

    @property
    def id(self) -> int:
        """The question's id."""
        assert self.question.id is not None
        return self.question.id

    @property
    def subject(self) -> str:
        """The question's thread root, as the outbox and the postings name it."""
        return Subject.question(self.id)

    @property
    def permalink(self) -> str | None:
        """The link to the question's thread, once it is posted."""
        return self.posting.permalink if self.posting else None


@dataclass(frozen=True)
class AskRefusal:
    """Why a person may not ask: not on the roster, not a committer, alumni, or gaps in their standing."""

    reason: str
    status: Status | None = None
    gaps: tuple[Gap, ...] = ()


@dataclass(frozen=True)
class DueStep:
    """A ladder step that is due now for one question."""

    card: QuestionCard
    step: Step
    due_at: dt.datetime
    targets: tuple[Person, ...]
    as_of: dt.datetime  # the instant the step is taken (the job's clock): what "waited" is measured to

    @property
    def waited(self) -> dt.timedelta:
        """How long the question has waited, as of the step (not as of when the step fell due)."""
        return self.as_of - self.card.question.asked_at
