"""Production notices as values: the card a committer's DM and the champions' thread show, and a delivery's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.types.github import canonical_pr_url
from bot.types.keys import Subject
from storage.models import DeploymentEvent, DeploymentEventKind, DeploymentNotice, NoticeState, Person

# Events that ask something of the committer; the others are recorded and shown, not sent.
ALERT_EVENTS = {
    DeploymentEventKind.ESCAPED_ISSUE,
    DeploymentEventKind.DEPLOY_FAILED,
    DeploymentEventKind.ROLLED_BACK,
}


@dataclass
class NoticeCard:
    """A notice with what its messages need: the event, the committer, their champions, the repo."""

    notice: DeploymentNotice
    event: DeploymentEvent
    repo: str
    person: Person | None
    champions: list[Person] = field(default_factory=list)
    # The pipeline run's link reduced to scheme, host and path (redaction.redact_url), or None when there is no
    # usable one.
    pipeline_link: str | None = None

    @property
    def id(self) -> int:
        """The notice's id."""
        assert self.notice.id is not None
        return self.notice.id

    @property
    def subject(self) -> str:
        """The committer's DM about the notice, as the outbox and the postings name it."""
        return Subject.notice(self.id)

    @property
    def thread_subject(self) -> str:
        """The champions' thread about the notice in the coordination channel."""
        return Subject.notice_thread(self.id)

    @property
    def pr_link(self) -> str:
        """The pull request's canonical link (never a stored URL's query, fragment or extra path)."""
        return canonical_pr_url(self.repo, self.notice.pr_number)


@dataclass
class DeploymentOutcome:
    """What one webhook delivery did, and the keys of the messages committed with it."""

    event_id: int | None
    new: list[NoticeCard]
    duplicates: int
    reverted: int = 0
    keys: tuple[str, ...] = ()
    replayed: bool = False

    @property
    def duplicate(self) -> bool:
        """Whether the whole delivery repeated one already recorded (the same delivery, or the same notices)."""
        return self.event_id is None and (self.replayed or self.duplicates > 0)

    @property
    def to_notify(self) -> list[NoticeCard]:
        """Notices that DM a committer."""
        return [c for c in self.new if c.notice.state == NoticeState.NOTIFIED]

    @property
    def unmatched(self) -> list[NoticeCard]:
        """Alert notices no committer could be found for (admins hear of them)."""
        return [
            c
            for c in self.new
            if c.notice.matched_by == "unmatched" and c.notice.event in {e.value for e in ALERT_EVENTS}
        ]
