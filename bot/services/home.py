"""What `/cc` and App Home show each person: their status, their open items, and by role their queue, the
week's numbers and roster health; and the answer to a message sent to the bot."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlmodel import Session

from bot.services.access import access_of
from bot.services.activity import latest_activity
from bot.services.business_hours import zone
from bot.services.digest import build_digest
from bot.services.github.work import github_work
from bot.services.outbox import commit, post, postings_of
from bot.services.responsiveness import intervals_of, responsiveness_series, waiting_time
from bot.services.roster import get_profile
from bot.services.yearly import yearly_home
from bot.types.home import HomeData, OpenItems, RosterHealth
from bot.types.keys import Kind, Subject
from bot.types.policy import DEFAULT_HOURS, Policy, WorkingHours
from bot.views import home as views
from bot.views.text import blocks_to_text, mrkdwn
from storage import escalations as escalation_store
from storage import notices as notice_store
from storage import questions as question_store
from storage import roster as roster_store
from storage.models import Question, Role

RECENT_DEPLOYMENTS = dt.timedelta(days=14)
# Weeks of responsiveness a manager's or admin's App Home shows.
HOME_WEEKS = 6


def _with_repo(session: Session, questions: list[Question]) -> list[tuple[Question, str]]:
    named = []
    for question in questions:
        repo = roster_store.get_repo_by_id(session, question.repo_id) if question.repo_id else None
        named.append((question, repo.full_name if repo else ""))
    return named


def get_open_items(
    session: Session,
    person_id: int,
    *,
    now: dt.datetime,
    web_url: str = "https://github.com",
    hours: WorkingHours = DEFAULT_HOURS,
) -> OpenItems:
    """Return a person's open questions, questions waiting on them (those on the champions' turn, with the
    business time they have waited on the champions in this person's hours), their escalations and recent
    deployments.

    `web_url` is GitHub's web address (GitHub Enterprise's, when configured), for the review asks' links.
    """
    notices = notice_store.list_recent_notices_of(session, person_id, since=now - RECENT_DEPLOYMENTS)
    activity = OpenItems(
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
    if activity.waiting_on_me:
        person = roster_store.get_person(session, person_id)
        tz = zone(person.timezone if person else None)
        questions = [q for q, _ in activity.waiting_on_me]
        activity.waited = {
            q.id or 0: waiting_time(turns, now=now, tz=tz, hours=hours)
            for q, turns in zip(questions, intervals_of(session, questions), strict=True)
        }
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


def build_home(
    session: Session, person_id: int, *, now: dt.datetime, policy: Policy | None = None
) -> HomeData:
    """Return the App Home data for a person, with the sections their roles call for."""
    profile = get_profile(session, person_id, today=now.date())
    policy = policy or Policy()
    activity = get_open_items(session, person_id, now=now, web_url=policy.github.web_url, hours=policy.hours)
    data = HomeData(profile=profile, activity=activity)
    data.yearly = yearly_home(session, profile.person, now=now, policy=policy)
    roles = set(profile.roles)
    if roles & {Role.MANAGER, Role.ADMIN}:
        data.digest = build_digest(
            session,
            now=now,
            lifecycle=policy.lifecycle,
            hours=policy.hours,
            response_target=policy.response_target,
        )
        data.responsiveness = responsiveness_series(
            session, now=now, weeks=HOME_WEEKS, target=policy.response_target, hours=policy.hours
        )
        data.overdue = escalation_store.list_overdue_escalations(session)
        data.activity.links.update(permalinks(session, [Subject.escalation(e.id or 0) for e in data.overdue]))
    if Role.ADMIN in roles:
        assert data.digest is not None
        required = profile.policy.champions_required
        counts = Counter(a.committer_id for a in roster_store.active_assignments(session))
        committers = roster_store.list_people_with_role(session, Role.COMMITTER)
        short = [(p, counts[p.id or 0]) for p in committers if counts[p.id or 0] < required]
        data.health = RosterHealth(data.digest.onboarding, data.digest.expiring, short, required)
    return data


def answer_direct_message(session: Session, *, channel: str, ts: str, now: dt.datetime) -> tuple[str, ...]:
    """Answer a message sent to the bot's DM with the list of commands (once per message); return the keys."""
    blocks = views.help_blocks()
    text = mrkdwn(
        "I answer slash commands rather than messages. Here is what I can do: {commands}",
        commands=blocks_to_text(blocks),
    )
    message = post(Kind.DM_HELP, [channel, ts], channel, text, blocks=blocks)
    return commit(session, [message], now=now)
