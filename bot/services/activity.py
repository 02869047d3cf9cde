"""What is open around a person: questions, escalations, deployments, GitHub work and access, their last activity."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.services.access import AccessLine, access_of
from bot.services.github import GitHubWork, github_work
from bot.services.keys import Subject
from bot.services.lifecycle import latest_activity
from bot.services.outbox import postings_of
from storage import deployments as deployment_store
from storage import escalations as escalation_store
from storage import models
from storage import questions as question_store
from storage import roster as roster_store
from storage.models import DeploymentNotice, Escalation, Question

RECENT_DEPLOYMENTS = dt.timedelta(days=14)


@dataclass
class Activity:
    """A person's open items; a committer sees only their own escalations."""

    asked: list[tuple[Question, str]] = field(default_factory=list)
    waiting_on_me: list[tuple[Question, str]] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    deployments: list[tuple[DeploymentNotice, str]] = field(default_factory=list)
    github: GitHubWork | None = None
    access: list[AccessLine] = field(default_factory=list)
    # The latest sign of activity, with the bot or on GitHub: what the inactivity review counts from.
    last_active: models.Activity | None = None
    links: dict[str, str] = field(default_factory=dict)

    def link(self, subject: str) -> str | None:
        """Return the permalink of a posted question or escalation (by subject), or None."""
        return self.links.get(subject)


def _with_repo(session: Session, questions: list[Question]) -> list[tuple[Question, str]]:
    named = []
    for question in questions:
        repo = roster_store.get_repo_by_id(session, question.repo_id) if question.repo_id else None
        named.append((question, repo.full_name if repo else ""))
    return named


def get_activity(
    session: Session, person_id: int, *, now: dt.datetime, web_url: str = "https://github.com"
) -> Activity:
    """Return a person's open questions, questions waiting on them, their escalations and recent deployments.

    `web_url` is GitHub's web address (GitHub Enterprise's, when configured), for the review asks' links.
    """
    notices = deployment_store.list_recent_notices_of(session, person_id, since=now - RECENT_DEPLOYMENTS)
    activity = Activity(
        asked=_with_repo(session, question_store.list_open_questions_of(session, person_id)),
        waiting_on_me=_with_repo(
            session, question_store.list_open_questions_for_responder(session, person_id)
        ),
        escalations=escalation_store.list_escalations_of(session, person_id),
        deployments=[(n, _repo_name(session, n.repo_id)) for n in notices],
        github=github_work(session, person_id, now=now, web_url=web_url),
        access=access_of(session, person_id),
        last_active=latest_activity(session, person_id),
    )
    subjects = [Subject.question(q.id or 0) for q, _ in [*activity.asked, *activity.waiting_on_me]]
    subjects += [Subject.escalation(e.id or 0) for e in activity.escalations]
    activity.links = permalinks(session, subjects)
    return activity


def permalinks(session: Session, subjects: list[str]) -> dict[str, str]:
    """Return the permalinks of these postings, by subject (those without one are absent)."""
    return {subject: p.permalink for subject, p in postings_of(session, subjects).items() if p.permalink}


def _repo_name(session: Session, repo_id: int | None) -> str:
    repo = roster_store.get_repo_by_id(session, repo_id) if repo_id else None
    return repo.full_name if repo else ""
