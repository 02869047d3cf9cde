"""GitHub deliveries: the webhook's payloads checked, then merges told to champions, review asks made on the
review label, review requests told, committers' activity recorded, and the core-contributor label decided for
pull requests active committers open on repositories they hold a grant for.

Each decision commits with the messages it implies (bot.services.outbox); the webhook and the review
buttons then deliver them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from sqlmodel import Session

from bot.services.activity import pull_request_ref, record_activity
from bot.services.audit import audit
from bot.services.errors import UserError
from bot.services.github.api import GitHubAccount, GitHubApi, GitHubError
from bot.services.github.identity import Identities
from bot.services.github.work import ask_card, ask_message, next_reviewer, redraw_ask, unassigned_message
from bot.services.logins import not_a_login
from bot.services.outbox import Outgoing, commit, dm, post, reply
from bot.services.policy import current_policy
from bot.services.reminders import is_working_time
from bot.types.github import (
    GitHubOutcome,
    LabelToAdd,
    MergeNotice,
    PullRequest,
    ReviewAskCard,
    ReviewRequest,
)
from bot.types.keys import Kind, Subject
from bot.types.policy import Channels, GitHubConfig, Policy
from bot.views import github as views
from storage import areas as area_store
from storage import github as store
from storage import notices as notice_store
from storage import questions as question_store
from storage import roster as roster_store
from storage.models import (
    ActivityKind,
    GitHubActivity,
    GitHubDelivery,
    Person,
    Repo,
    ReviewAsk,
    ReviewAskState,
    Role,
    Status,
)

REPO_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$"


# Matched whole (`fullmatch`): a `$` would let a trailing newline through.
DELIVERY_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


# GitHub's event names: lower case, digits and underscores (`projects_v2_item`, `merge_group`).
EVENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


# C0 and C1 controls and DEL: PostgreSQL refuses a NUL in text, and none of them belongs in a title.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


TITLE_LENGTH = 200


# The events and actions ccbot acts on; every other delivery is answered and left alone.
USED = {
    "pull_request": {"closed", "labeled", "review_requested", "opened", "reopened"},
    "pull_request_review": {"submitted"},
}


class PayloadError(UserError):
    """A delivery's body is not what GitHub sends; the message says where."""


def _without_controls(value: Any) -> Any:
    """Return text from a delivery with its control characters removed (tabs and newlines become spaces)."""
    if not isinstance(value, str):
        return value
    return CONTROL.sub("", value.replace("\t", " ").replace("\n", " ").replace("\r", " "))


# Free text as GitHub sends it (a title, a label): whatever was typed, less the control characters.
DeliveredText = Annotated[str, BeforeValidator(_without_controls)]


class Account(BaseModel):
    """A GitHub user as a delivery names them (an app's account, `name[bot]`, too)."""

    model_config = ConfigDict(extra="ignore")

    login: str = Field(max_length=60)
    id: int | None = Field(default=None, ge=1, description="the account id, which never changes hands")

    @field_validator("login")
    @classmethod
    def _login(cls, value: str) -> str:
        refused = not_a_login(value, bots=True)
        if refused is not None:
            raise ValueError(refused)
        return value


class RepoRef(BaseModel):
    """The repository a delivery is about."""

    model_config = ConfigDict(extra="ignore")

    full_name: str = Field(max_length=140, pattern=REPO_PATTERN)


class LabelRef(BaseModel):
    """A label."""

    model_config = ConfigDict(extra="ignore")

    name: DeliveredText = Field(max_length=100)


class PullRequestData(BaseModel):
    """The parts of a pull request ccbot uses."""

    model_config = ConfigDict(extra="ignore")

    number: int = Field(ge=1, le=10**9)
    title: DeliveredText = Field(default="", max_length=1024)
    state: str = Field(default="open", max_length=16)
    user: Account | None = None
    merged: bool | None = None
    merged_at: dt.datetime | None = None
    merged_by: Account | None = None

    @field_validator("merged_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


class PullRequestEvent(BaseModel):
    """A `pull_request` delivery."""

    model_config = ConfigDict(extra="ignore")

    action: str = Field(max_length=40)
    pull_request: PullRequestData
    repository: RepoRef
    label: LabelRef | None = None
    requested_reviewer: Account | None = None
    sender: Account | None = None


class ReviewData(BaseModel):
    """A submitted review."""

    model_config = ConfigDict(extra="ignore")

    user: Account | None = None
    state: str = Field(default="", max_length=32)


class ReviewEvent(BaseModel):
    """A `pull_request_review` delivery."""

    model_config = ConfigDict(extra="ignore")

    action: str = Field(max_length=40)
    review: ReviewData
    pull_request: PullRequestData
    repository: RepoRef


def is_used(event: str, action: str | None) -> bool:
    """Whether ccbot acts on this event and action at all."""
    return action in USED.get(event, set())


def parse_event(event: str, data: Any) -> PullRequestEvent | ReviewEvent:
    """Validate a used delivery's body; raise PayloadError naming the first problem (never echoing input)."""
    model: type[PullRequestEvent] | type[ReviewEvent] = (
        ReviewEvent if event == "pull_request_review" else PullRequestEvent
    )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "body"
        raise PayloadError(f"{where}: {str(error['msg']).removeprefix('Value error, ')}") from None


def act_on_delivery(
    session: Session,
    payload: PullRequestEvent | ReviewEvent,
    *,
    event: str,
    delivery_id: str,
    now: dt.datetime,
    policy: Policy,
    channels: Channels,
    body_digest: str | None = None,
) -> GitHubOutcome:
    """Record a delivery once and decide what it means; the record, the decision and its messages commit together.

    A delivery id, or a signed body, seen before changes nothing: the outcome's status is then `duplicate`.
    """
    if body_digest and not notice_store.claim_deliveries(
        session, [f"github-body:{body_digest}"], hook="github", now=now
    ):
        return GitHubOutcome(status="duplicate", detail="delivered before")
    recorded = store.add_delivery(
        session,
        GitHubDelivery(delivery_id=delivery_id, event=event, action=payload.action[:32], received_at=now),
    )
    if not recorded:
        session.rollback()
        return GitHubOutcome(status="duplicate", detail="delivered before")
    ids = Identities(session, now)
    outcome = _decide(
        session, payload, delivery_id=delivery_id, policy=policy, channels=channels, now=now, ids=ids
    )
    outcome.keys = commit(session, [*ids.messages(channels), *_messages(outcome, channels)], now=now)
    return outcome


def _decide(
    session: Session,
    payload: PullRequestEvent | ReviewEvent,
    *,
    delivery_id: str,
    policy: Policy,
    channels: Channels,
    now: dt.datetime,
    ids: Identities,
) -> GitHubOutcome:
    """Decide what a delivery means (without committing): activity, a merge notice, a review ask or DM."""
    github = policy.github
    if isinstance(payload, ReviewEvent):
        return _review_submitted(session, payload, delivery_id=delivery_id, github=github, now=now, ids=ids)
    if payload.action == "closed":
        return _merged(
            session, payload, delivery_id=delivery_id, policy=policy, channels=channels, now=now, ids=ids
        )
    if payload.action == "labeled":
        return _labeled(session, payload, github=github, now=now)
    if payload.action in {"opened", "reopened"}:
        return _opened(session, payload, github=github, now=now, ids=ids)
    return _review_requested(session, payload, delivery_id=delivery_id, github=github, ids=ids)


def _messages(outcome: GitHubOutcome, channels: Channels) -> list[Outgoing | None]:
    """Return the messages a delivery's decisions imply, each under its once-only key."""
    messages: list[Outgoing | None] = []
    if outcome.merge is not None:
        messages.append(_merge_message(outcome.merge))
    messages += [ask_message(card) for card in outcome.asks]
    messages += [unassigned_message(card, channels) for card in outcome.unassigned]
    messages += [
        dm(
            Kind.GITHUB_REVIEW_REQUESTED,
            [request.delivery_id, request.reviewer.id],
            request.reviewer.slack_user_id,
            views.review_request_text(request),
        )
        for request in outcome.requests
    ]
    messages += [redraw_ask(card) for card in outcome.reviewed]
    return messages


def _merge_message(notice: MergeNotice) -> Outgoing | None:
    parts = [f"{notice.pr.repo.lower()}#{notice.pr.number}"]
    text = views.merge_text(notice)
    if notice.question_id is not None:
        return reply(Kind.GITHUB_MERGED, parts, Subject.question(notice.question_id), text)
    return post(Kind.GITHUB_MERGED, parts, notice.channel, text)


def _committer(session: Session, account: Account | None, ids: Identities) -> Person | None:
    """Return the current committer a delivery's account is: by account id, so a login that changed hands is nobody."""
    if account is None:
        return None
    if account.id is not None:
        person = ids.match(GitHubAccount(login=account.login, id=account.id), where="a GitHub delivery")
    else:
        person = roster_store.get_person_by_github(session, account.login)
    if person is None or person.removed_on is not None or person.id is None:
        return None
    return person if Role.COMMITTER in roster_store.list_roles(session, person.id) else None


def _pull_request(repo: Repo, data: PullRequestData, github: GitHubConfig) -> PullRequest:
    title = " ".join(data.title.split())
    if len(title) > TITLE_LENGTH:
        title = title[: TITLE_LENGTH - 1] + "…"
    return PullRequest(
        repo=repo.full_name,
        number=data.number,
        title=title,
        author=data.user.login if data.user else None,
        web_url=github.web_url,
    )


def _record_activity(
    session: Session,
    person: Person,
    kind: ActivityKind,
    repo: Repo,
    number: int,
    *,
    at: dt.datetime,
    delivery_id: str,
) -> int:
    assert person.id is not None
    assert repo.id is not None
    row = GitHubActivity(
        person_id=person.id, kind=kind, repo_id=repo.id, pr_number=number, at=at, delivery_id=delivery_id
    )
    # The per-PR row feeds the counts; the sign is what inactivity, `/cc` and App Home read as activity.
    record_activity(session, person.id, kind, at, pull_request_ref(repo.full_name, number))
    return 1 if store.add_activity(session, row) else 0


def _merged(
    session: Session,
    payload: PullRequestEvent,
    *,
    delivery_id: str,
    policy: Policy,
    channels: Channels,
    now: dt.datetime,
    ids: Identities,
) -> GitHubOutcome:
    data = payload.pull_request
    if not data.merged:
        return GitHubOutcome(status="ignored", detail="closed without merging")
    merger = _committer(session, data.merged_by, ids)
    author = _committer(session, data.user, ids)
    if merger is None and author is None:
        return GitHubOutcome(status="ignored", detail="neither merged nor authored by a committer")
    repo = roster_store.get_or_add_repo(session, payload.repository.full_name)
    merged_at = min(data.merged_at or now, now)
    recorded = 0
    # The author's sign first: someone who merged their own PR has `merged` as their latest sign.
    if author is not None:
        recorded += _record_activity(
            session, author, ActivityKind.AUTHORED, repo, data.number, at=merged_at, delivery_id=delivery_id
        )
    if merger is not None:
        recorded += _record_activity(
            session, merger, ActivityKind.MERGED, repo, data.number, at=merged_at, delivery_id=delivery_id
        )
    committer = merger or author
    assert committer is not None
    pr = _pull_request(repo, data, policy.github)
    notice = _merge_notice(
        session, pr, committer, repo, policy=policy, channels=channels, merged_at=merged_at
    )
    if notice is not None:
        notice.merged_by = data.merged_by.login if data.merged_by else None
    audit(
        session,
        now,
        "github",
        "github.merged",
        f"{repo.full_name}#{data.number}",
        committer=committer.github,
        delivery=delivery_id,
    )
    return GitHubOutcome(
        status="accepted",
        detail=f"merge by {committer.github} recorded",
        merge=notice,
        activity=recorded,
    )


def _merge_notice(
    session: Session,
    pr: PullRequest,
    committer: Person,
    repo: Repo,
    *,
    policy: Policy,
    channels: Channels,
    merged_at: dt.datetime,
) -> MergeNotice | None:
    """Pilot and establish: the champions, in the PR's question thread or the coordination channel; scale: the area."""
    assert committer.id is not None
    assert repo.id is not None
    if current_policy(session).routes_by_area:
        area = area_store.find_area_for_repo(session, repo.full_name)
        channel = area.channel if area else channels.coordination
        if not channel:
            return None
        return MergeNotice(
            pr=pr,
            committer=committer,
            merged_by=None,
            champions=[],
            channel=channel,
            merged_at=merged_at,
            area=area.name if area else None,
        )
    champions = [c for _, c in roster_store.list_active_champions(session, committer.id)]
    question = question_store.find_question_for_pr(session, repo.id, pr.number)
    if question is None and not channels.coordination:
        return None
    off_hours = bool(champions) and not any(is_working_time(merged_at, c, policy.hours) for c in champions)
    return MergeNotice(
        pr=pr,
        committer=committer,
        merged_by=None,
        champions=champions,
        channel=channels.coordination,
        question_id=question.id if question else None,
        off_hours=off_hours,
        merged_at=merged_at,
    )


def _labeled(
    session: Session, payload: PullRequestEvent, *, github: GitHubConfig, now: dt.datetime
) -> GitHubOutcome:
    data = payload.pull_request
    label = payload.label.name if payload.label else ""
    if label.strip().lower() != github.review_label.strip().lower():
        return GitHubOutcome(status="ignored", detail=f"not the review label ({github.review_label})")
    if data.state != "open" or data.merged:
        return GitHubOutcome(status="ignored", detail="the pull request is not open")
    repo = roster_store.get_or_add_repo(session, payload.repository.full_name)
    assert repo.id is not None
    if store.find_review_ask(session, repo.id, data.number) is not None:
        return GitHubOutcome(status="accepted", detail="a committer was already asked to review it")
    pr = _pull_request(repo, data, github)
    reviewer = next_reviewer(session, repo, author=pr.author, skip=set(), today=now.date())
    ask = ReviewAsk(
        repo_id=repo.id,
        pr_number=data.number,
        title=pr.title[:300],
        author=(pr.author or "")[:100],
        person_id=reviewer.id if reviewer else None,
        state=ReviewAskState.ASKED if reviewer else ReviewAskState.UNASSIGNED,
        asked_at=now,
    )
    if not store.add_review_ask(session, ask):
        return GitHubOutcome(status="accepted", detail="a committer was already asked to review it")
    card = ReviewAskCard(ask=ask, pr=pr, reviewer=reviewer)
    audit(
        session,
        now,
        "github",
        "review.asked",
        f"{repo.full_name}#{data.number}",
        reviewer=reviewer.github if reviewer else "nobody",
    )
    if reviewer is None:
        return GitHubOutcome(status="accepted", detail="no committer free to review", unassigned=[card])
    return GitHubOutcome(status="accepted", detail=f"{reviewer.github} asked to review", asks=[card])


def holds_grant(grants: list[tuple[object, Repo | None]], repo: str) -> bool:
    """Whether unrevoked grants cover a repository: the repository itself, or every repository of its org."""
    key = repo.lower()
    covering = {key, key.split("/")[0] + "/*"}
    return any(granted is not None and granted.key in covering for _, granted in grants)


def _opened(
    session: Session, payload: PullRequestEvent, *, github: GitHubConfig, now: dt.datetime, ids: Identities
) -> GitHubOutcome:
    """An active committer's pull request on a repository they hold a grant for gets the core-contributor label.

    The author is matched by GitHub account id only: a login can change hands, an id cannot.
    """
    data = payload.pull_request
    account = data.user
    if account is None or account.id is None:
        return GitHubOutcome(status="ignored", detail="the author's GitHub account id is not in the delivery")
    if data.state != "open":
        return GitHubOutcome(status="ignored", detail="the pull request is not open")
    person = ids.match(GitHubAccount(login=account.login, id=account.id), where="a GitHub delivery")
    if person is None or person.id is None or person.removed_on is not None:
        return GitHubOutcome(status="ignored", detail="the author is not on the roster")
    # The standing check `/cc-ask` uses: a committer stored as active, with no required agreement ended.
    if not roster_store.is_active_committer(
        session, person_id=person.id, active=Status.ACTIVE, today=now.date()
    ):
        return GitHubOutcome(status="ignored", detail="the author is not an active committer")
    repo = payload.repository.full_name
    if not holds_grant(list(roster_store.list_active_grants(session, person.id)), repo):
        return GitHubOutcome(status="ignored", detail=f"the author holds no grant for {repo}")
    audit(
        session,
        now,
        "github",
        "github.labelled",
        f"{repo}#{data.number}",
        committer=person.github,
        label=github.cc_label,
    )
    return GitHubOutcome(
        status="accepted",
        detail=f"{person.github}'s pull request gets the {github.cc_label!r} label",
        labels=[LabelToAdd(repo=repo, number=data.number, label=github.cc_label)],
    )


def add_decided_labels(github: GitHubApi | None, labels: list[LabelToAdd]) -> list[str]:
    """Add the labels a delivery decided on GitHub, one call per pull request; return the problems (none: done).

    GitHub's add-labels endpoint creates a label the repository does not have yet, and adding one a pull
    request already carries changes nothing, so a redelivery that got this far would be harmless too.
    """
    if not labels:
        return []
    if github is None:
        return ["GitHub is not configured (CCBOT_GITHUB_TOKEN or the GitHub App): no label added"]
    problems = []
    by_pull: dict[tuple[str, int], list[str]] = {}
    for label in labels:
        by_pull.setdefault((label.repo, label.number), []).append(label.label)
    for (repo, number), names in by_pull.items():
        try:
            github.add_labels(repo, number, names)
        except GitHubError as exc:
            problems.append(str(exc))
    return problems


def _review_requested(
    session: Session, payload: PullRequestEvent, *, delivery_id: str, github: GitHubConfig, ids: Identities
) -> GitHubOutcome:
    if payload.requested_reviewer is None:
        return GitHubOutcome(status="ignored", detail="a team was asked, not a person")
    reviewer = _committer(session, payload.requested_reviewer, ids)
    if reviewer is None or not reviewer.slack_user_id:
        return GitHubOutcome(status="ignored", detail="the reviewer is not a committer on the roster")
    repo = roster_store.get_or_add_repo(session, payload.repository.full_name)
    pr = _pull_request(repo, payload.pull_request, github)
    request = ReviewRequest(
        pr=pr,
        reviewer=reviewer,
        requested_by=payload.sender.login if payload.sender else None,
        delivery_id=delivery_id,
    )
    return GitHubOutcome(status="accepted", detail=f"{reviewer.github} told", requests=[request])


def _review_submitted(
    session: Session,
    payload: ReviewEvent,
    *,
    delivery_id: str,
    github: GitHubConfig,
    now: dt.datetime,
    ids: Identities,
) -> GitHubOutcome:
    data = payload.pull_request
    reviewer = _committer(session, payload.review.user, ids)
    author = data.user.login.lower() if data.user else None
    if reviewer is None or reviewer.github_key == author:
        return GitHubOutcome(status="ignored", detail="not a committer's review of someone else's PR")
    repo = roster_store.get_or_add_repo(session, payload.repository.full_name)
    recorded = _record_activity(
        session, reviewer, ActivityKind.REVIEWED, repo, data.number, at=now, delivery_id=delivery_id
    )
    assert repo.id is not None
    reviewed = []
    ask = store.find_review_ask(session, repo.id, data.number)
    if ask is not None and ask.person_id == reviewer.id and ask.state in store.OPEN_ASK_STATES:
        ask.state, ask.answered_at = ReviewAskState.REVIEWED, ask.answered_at or now
        session.add(ask)
        # The asked committer's DM loses its buttons: the review is done.
        reviewed.append(ask_card(session, ask, web_url=github.web_url))
    return GitHubOutcome(
        status="accepted",
        detail=f"review by {reviewer.github} recorded",
        activity=recorded,
        reviewed=reviewed,
    )
