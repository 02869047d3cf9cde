"""What is open around a person: their own questions and escalations, and questions waiting on them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from storage import escalations as escalation_store
from storage import questions as question_store
from storage import roster as roster_store
from storage.models import Escalation, Question


@dataclass
class Activity:
    """A person's open items; a committer sees only their own escalations."""

    asked: list[tuple[Question, str]] = field(default_factory=list)
    waiting_on_me: list[tuple[Question, str]] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)


def _with_repo(session: Session, questions: list[Question]) -> list[tuple[Question, str]]:
    named = []
    for question in questions:
        repo = roster_store.get_repo_by_id(session, question.repo_id) if question.repo_id else None
        named.append((question, repo.full_name if repo else ""))
    return named


def get_activity(session: Session, person_id: int) -> Activity:
    """Return a person's open questions, the questions waiting on them, and their own escalations."""
    return Activity(
        asked=_with_repo(session, question_store.list_open_questions_of(session, person_id)),
        waiting_on_me=_with_repo(
            session, question_store.list_open_questions_for_responder(session, person_id)
        ),
        escalations=escalation_store.list_escalations_of(session, person_id),
    )
