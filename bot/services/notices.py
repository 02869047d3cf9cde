"""Production notices: pipeline events recorded with the DMs and threads they imply, the answers, revert timing.

Events are validated, redacted, matched to committers and deduplicated; each decision is committed together
with its messages, which the outbox delivers. Every text field is redacted before it is stored; a committer is
shown the structured fields and the redacted summary, and only the champions' thread carries the details.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlmodel import Session

from bot.services.admins import admin_ids
from bot.services.audit import audit
from bot.services.errors import NotOnRoster, UserError
from bot.services.logins import not_a_login
from bot.services.outbox import Outgoing, commit, dm, post, posting_of, redraw, reply
from bot.services.redaction import clip, redact, redact_url
from bot.types.decided import Decided
from bot.types.github import canonical_pr_url, parse_pr_url
from bot.types.keys import Kind, message_key
from bot.types.notices import ALERT_EVENTS, DeploymentOutcome, NoticeCard
from bot.types.policy import Channels
from bot.views import notices as views
from storage import notices as store
from storage import outbox as outbox_store
from storage import questions as question_store
from storage import roster as roster_store
from storage.models import DeploymentEvent, DeploymentEventKind, DeploymentNotice, NoticeState, Person, Role

REPO_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$"
HANDLE_PATTERN = r"^@?[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$"
NOTICE_KEY_MAX = 255
# Column widths of the redacted fields (redaction may lengthen a value; it is clipped to fit).
ENVIRONMENT_MAX, SHA_RANGE_MAX, INCIDENT_MAX = 64, 200, 100
CC_ACTIONS = {NoticeState.REVERTING, NoticeState.NOT_MINE, NoticeState.HELP}


class PullRequestRef(BaseModel):
    """A pull request in a deployment: a number, a URL, or an object with author and merger."""

    model_config = ConfigDict(extra="forbid")

    number: int | None = Field(default=None, ge=1, le=10**9)
    url: str | None = Field(default=None, max_length=500)
    author: str | None = Field(
        default=None, max_length=100, pattern=HANDLE_PATTERN, description="GitHub handle of the PR's author"
    )
    merged_by: str | None = Field(
        default=None, max_length=100, pattern=HANDLE_PATTERN, description="GitHub handle of who merged it"
    )
    reverts: int | None = Field(default=None, ge=1, le=10**9, description="the PR this one reverts")

    # Before the pattern (the published schema's approximation): the refusal says what is wrong.
    @field_validator("author", "merged_by", mode="before")
    @classmethod
    def _login(cls, value: Any) -> Any:
        if isinstance(value, str):
            refused = not_a_login(value.removeprefix("@"), bots=True)
            if refused is not None:
                raise ValueError(refused)
        return value

    @model_validator(mode="before")
    @classmethod
    def _from_shorthand(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("a pull request is a number, a URL or an object")
        if isinstance(value, int):
            return {"number": value}
        if isinstance(value, str):
            return {"url": value}
        return value

    @model_validator(mode="after")
    def _number_or_url(self) -> PullRequestRef:
        if self.number is None and self.url is None:
            raise ValueError("a pull request needs a number or a url")
        if self.url is not None:
            parsed = parse_pr_url(self.url)
            if parsed is None:
                raise ValueError(f"{self.url[:100]!r} is not a GitHub pull request URL")
            if self.number is not None and self.number != parsed[1]:
                raise ValueError("number and url name different pull requests")
            self.number = parsed[1]
        return self

    @property
    def url_repo(self) -> str | None:
        """The `org/repo` its URL names, if it was given one."""
        parsed = parse_pr_url(self.url) if self.url else None
        return parsed[0] if parsed else None


class DeploymentPayload(BaseModel):
    """The body of POST /hooks/deployments."""

    model_config = ConfigDict(extra="forbid", title="ccbot deployment notice")

    event: DeploymentEventKind
    environment: str = Field(min_length=1, max_length=64, description="e.g. stage or production")
    repo: str = Field(pattern=REPO_PATTERN, description="org/name")
    pull_requests: list[PullRequestRef] = Field(default_factory=list, max_length=200)
    sha_range: str | None = Field(default=None, max_length=200, description="e.g. abc123..def456")
    pipeline_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    incident_id: str | None = Field(default=None, min_length=1, max_length=100)
    summary: str = Field(default="", max_length=2000)
    details: str = Field(default="", max_length=20000, description="free text from monitoring; redacted")

    @field_validator("pull_requests", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, list):
            raise ValueError("pull_requests must be a list")
        return value or []

    @model_validator(mode="after")
    def _incident_for_escapes(self) -> DeploymentPayload:
        if self.event is DeploymentEventKind.ESCAPED_ISSUE and not self.incident_id:
            raise ValueError("an escaped_issue needs an incident_id")
        return self

    @model_validator(mode="after")
    def _pull_requests_of_the_repo(self) -> DeploymentPayload:
        # A notice is about `repo`; a link to another repository's PR would show one PR and link to another.
        for pr in self.pull_requests:
            if pr.url_repo is not None and pr.url_repo.lower() != self.repo.lower():
                raise ValueError(f"pull request {pr.url_repo}#{pr.number} is not in {self.repo}")
        return self


class PayloadError(UserError):
    """The webhook body is not a valid deployment notice; the message says why."""


def parse_payload(data: Any) -> DeploymentPayload:
    """Validate a decoded JSON body; raise PayloadError naming the first problem."""
    try:
        return DeploymentPayload.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "body"
        raise PayloadError(f"{where}: {str(error['msg']).removeprefix('Value error, ')}") from None


def payload_schema() -> dict[str, Any]:
    """Return the JSON Schema of the webhook body (the file in docs/ is this, written out)."""
    schema = DeploymentPayload.model_json_schema()
    # A pull request may also be given as a bare number or URL.
    schema["properties"]["pull_requests"]["items"] = {
        "anyOf": [
            {"type": "integer", "minimum": 1, "description": "pull request number"},
            {"type": "string", "description": "pull request URL"},
            {"$ref": "#/$defs/PullRequestRef"},
        ]
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def _notice_key(payload: DeploymentPayload, pr: PullRequestRef) -> str:
    """What makes a repeated delivery a duplicate: the event, the repo, the PR and the incident or SHA range.

    The readable form is kept when it fits and carries nothing redaction would remove; otherwise the incident or
    range is replaced by its SHA-256, so the key is never cut short (two keys that differ stay different) and
    holds no production data.
    """
    repo = payload.repo.lower()
    if payload.event is DeploymentEventKind.ESCAPED_ISSUE:
        prefix, span, suffix = "escaped:", payload.incident_id or "", f":{repo}#{pr.number}"
    else:
        prefix, suffix = f"{payload.event.value}:{repo}@", f"#{pr.number}"
        span = (
            payload.sha_range
            or hashlib.sha256(f"{payload.pipeline_url}|{payload.summary}".encode()).hexdigest()[:16]
        )
    key = f"{prefix}{span}{suffix}"
    if len(key) > NOTICE_KEY_MAX or redact(span) != span:
        key = f"{prefix}sha256={hashlib.sha256(span.encode()).hexdigest()}{suffix}"
    return key


def _committer(session: Session, handle: str | None) -> Person | None:
    if not handle:
        return None
    person = roster_store.get_person_by_github(session, handle.lstrip("@"))
    if person is None or person.removed_on is not None or person.id is None:
        return None
    return person if Role.COMMITTER in roster_store.list_powers(session, person.id) else None


def _match(
    session: Session, payload: DeploymentPayload, pr: PullRequestRef, repo_id: int
) -> tuple[Person | None, str]:
    for handle, how in ((pr.author, "author"), (pr.merged_by, "merger")):
        person = _committer(session, handle)
        if person is not None:
            return person, how
    asked = question_store.find_question_for_pr(session, repo_id, pr.number or 0)
    if asked is not None:
        person = roster_store.get_person(session, asked.committer_id)
        if person is not None and person.removed_on is None:
            return person, "question"
    if pr.author or pr.merged_by:
        return None, "not_cc"
    return None, "unmatched"


def record_deployment(
    session: Session,
    payload: DeploymentPayload,
    *,
    now: dt.datetime,
    channels: Channels,
    deliveries: Sequence[str] = (),
) -> DeploymentOutcome:
    """Store a delivery (redacted) with a notice per PR and commit it with its messages; repeats change nothing.

    `deliveries` are the keys that identify this delivery (its delivery id, its signed body): they are recorded
    in the same transaction, so a replay is a duplicate, and a delivery that failed half-way is not.
    """
    if not store.claim_deliveries(session, deliveries, hook="deployments", now=now):
        return DeploymentOutcome(event_id=None, new=[], duplicates=len(payload.pull_requests), replayed=True)
    keys = {id(pr): _notice_key(payload, pr) for pr in payload.pull_requests}
    seen = store.existing_notice_keys(session, list(keys.values()))
    fresh = [pr for pr in payload.pull_requests if keys[id(pr)] not in seen]
    if payload.pull_requests and not fresh:
        return DeploymentOutcome(event_id=None, new=[], duplicates=len(payload.pull_requests))
    repo = roster_store.get_or_add_repo(session, payload.repo)
    assert repo.id is not None
    event = store.add_event(
        session,
        DeploymentEvent(
            event=payload.event,
            environment=clip(redact(payload.environment), ENVIRONMENT_MAX),
            repo_id=repo.id,
            sha_range=clip(redact(payload.sha_range), SHA_RANGE_MAX) if payload.sha_range else None,
            pipeline_url=redact_url(payload.pipeline_url),
            incident_id=clip(redact(payload.incident_id), INCIDENT_MAX) if payload.incident_id else None,
            summary=redact(payload.summary),
            details=redact(payload.details),
            received_at=now,
        ),
    )
    cards = []
    alert = payload.event in ALERT_EVENTS
    reverted = 0
    for pr in fresh:
        number = pr.number or 0
        person, how = _match(session, payload, pr, repo.id)
        state = NoticeState.NOTIFIED if alert and person is not None else NoticeState.RECORDED
        notice = store.add_notice(
            session,
            DeploymentNotice(
                key=keys[id(pr)],
                event_id=event.id or 0,
                event=payload.event,
                repo_id=repo.id,
                pr_number=number,
                pr_url=canonical_pr_url(repo.full_name, number),
                author=pr.author,
                merged_by=pr.merged_by,
                reverts=pr.reverts,
                person_id=person.id if person else None,
                matched_by=how,
                state=state,
                received_at=now,
            ),
        )
        cards.append(_card(session, notice, event, repo.full_name, person))
        reverted += _record_revert(session, payload, pr, repo.id, now=now)
    audit(
        session,
        now,
        "pipeline",
        f"deployment.{payload.event.value}",
        repo.full_name,
        notices=len(cards),
        duplicates=len(payload.pull_requests) - len(fresh),
    )
    outcome = DeploymentOutcome(
        event_id=event.id, new=cards, duplicates=len(payload.pull_requests) - len(fresh), reverted=reverted
    )
    outcome.keys = commit(session, deployment_messages(session, outcome, channels), now=now)
    return outcome


def deployment_messages(
    session: Session, outcome: DeploymentOutcome, channels: Channels
) -> list[Outgoing | None]:
    """Return what a delivery implies: each committer's DM and champions' thread, admin notes on unmatched PRs."""
    messages: list[Outgoing | None] = []
    for card in outcome.to_notify:
        assert card.person is not None
        messages += [
            dm(
                Kind.NOTICE_DM,
                [card.id],
                card.person.slack_user_id,
                views.notice_text(card),
                blocks=views.notice_blocks(card),
                subject=card.subject,
            ),
            post(
                Kind.NOTICE_THREAD,
                [card.id],
                channels.coordination,
                views.champion_thread_text(card),
                blocks=views.champion_thread_blocks(card),
                subject=card.thread_subject,
            ),
        ]
    unmatched = outcome.unmatched
    if unmatched:
        admins = admin_ids(session, channels)
        messages += [
            dm(Kind.NOTICE_UNMATCHED, [card.id, admin], admin, views.unmatched_text(card))
            for card in unmatched
            for admin in admins
        ]
    return messages


def _record_revert(
    session: Session, payload: DeploymentPayload, pr: PullRequestRef, repo_id: int, *, now: dt.datetime
) -> int:
    """A revert reaching production, or a rollback of the PR itself, ends the time to revert."""
    target = None
    if payload.event is DeploymentEventKind.DEPLOYED_PRODUCTION and pr.reverts:
        target = pr.reverts
    elif payload.event is DeploymentEventKind.ROLLED_BACK:
        target = pr.number
    if target is None:
        return 0
    earlier = [DeploymentEventKind.ESCAPED_ISSUE, DeploymentEventKind.DEPLOY_FAILED]
    notices = store.list_open_notices_for_pr(session, repo_id, target, earlier)
    for notice in notices:
        notice.reverted_at = now
        notice.state = NoticeState.REVERTED
        session.add(notice)
    return len(notices)


def _card(
    session: Session, notice: DeploymentNotice, event: DeploymentEvent, repo: str, person: Person | None
) -> NoticeCard:
    champions = (
        [c for _, c in roster_store.list_active_champions(session, person.id)] if person and person.id else []
    )
    return NoticeCard(
        notice=notice,
        event=event,
        repo=repo,
        person=person,
        champions=champions,
        pipeline_link=redact_url(event.pipeline_url),
    )


def get_notice_card(session: Session, notice_id: int) -> NoticeCard:
    """Return a notice with its event, committer and champions."""
    notice = store.get_notice(session, notice_id)
    if notice is None:
        raise UserError("That production notice no longer exists; the latest one is in your DMs.")
    event = store.get_event(session, notice.event_id)
    assert event is not None
    repo = roster_store.get_repo_by_id(session, notice.repo_id) if notice.repo_id else None
    person = roster_store.get_person(session, notice.person_id) if notice.person_id else None
    return _card(session, notice, event, repo.full_name if repo else "", person)


def answer_notice(
    session: Session, notice_id: int, person: Person | None, state: NoticeState, *, now: dt.datetime
) -> Decided[NoticeCard]:
    """Record the committer's answer (reverting, not mine, need help) with its DM redraw and thread note."""
    if state not in CC_ACTIONS:
        raise UserError("That is not an answer to a production notice; use one of the buttons on it.")
    if person is None or person.id is None:
        raise NotOnRoster(
            "Only the committer named in a production notice can answer it. To help, reply in its thread in the coordination channel."
        )
    card = get_notice_card(session, notice_id)
    notice = card.notice
    if notice.person_id != person.id:
        raise UserError(
            "Only the committer whose change this notice is about can answer it. To help, reply in its thread in the coordination channel."
        )
    if notice.state == NoticeState.REVERTED:
        raise UserError("The revert has already reached production; nothing more to do.")
    notice.state = state
    if state is NoticeState.REVERTING and notice.reverting_at is None:
        notice.reverting_at = now
    session.add(notice)
    audit(session, now, person, f"notice.{state.value}", card.subject)
    session.flush()
    card = get_notice_card(session, notice_id)
    messages: list[Outgoing | None] = [
        redraw(card.subject, views.notice_text(card), views.notice_blocks(card))
    ]
    if _has_thread(session, card):
        messages.append(
            reply(
                Kind.NOTICE_ANSWER,
                [card.id, notice.state],
                card.thread_subject,
                views.answer_thread_text(card),
            )
        )
    return Decided(card, commit(session, messages, now=now))


def _has_thread(session: Session, card: NoticeCard) -> bool:
    """Whether the champions' thread was posted or is on its way (a reply waiting for none would wait forever)."""
    if posting_of(session, card.thread_subject) is not None:
        return True
    return outbox_store.get_message_by_key(session, message_key(Kind.NOTICE_THREAD, card.id)) is not None
