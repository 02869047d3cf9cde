"""Daily: compare GitHub team membership with the roster, tell the admins of drift, apply only when allowed."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path

from slack_sdk import WebClient
from sqlmodel import Session

from bot.services.access import apply_plan, load_access_config, plan_access, record_access
from bot.services.errors import UserError
from bot.services.outbox import Outgoing, deliver_pending, enqueue
from bot.services.roster import list_admins
from bot.settings import Settings, load_settings
from bot.slack import SlackMessenger
from bot.views.github import applied_text, drift_text, refused_text

logger = logging.getLogger(__name__)


def admin_messages(session: Session, settings: Settings, *, key: str, kind: str, text: str) -> list[Outgoing]:
    """Return one DM per admin (on the roster, or bootstrapped by CCBOT_ADMINS), each under `key`:recipient."""
    recipients = [p.slack_user_id for p in list_admins(session) if p.slack_user_id]
    recipients += [user_id for user_id in settings.admins if user_id not in recipients]
    return [Outgoing(key=f"{key}:{user_id}", kind=kind, channel=user_id, text=text) for user_id in recipients]


def access_drift(
    now: dt.datetime, session: Session, client: WebClient, *, settings: Settings | None = None
) -> str:
    """Plan access against GitHub, store what `/cc` shows, report drift to the admins; apply if configured."""
    settings = settings or load_settings()
    if not settings.github_configured:
        return "skipped: GitHub is not configured (CCBOT_GITHUB_TOKEN, or the GitHub App settings)"
    path = Path(settings.access_config)
    if not path.is_file():
        return f"skipped: {path} not found (CCBOT_ACCESS_CONFIG)"
    from bot.github import make_github

    config = load_access_config(path)
    with make_github(settings) as github:
        plan = plan_access(session, config, github, today=now.date())
        messages: list[Outgoing] = []
        outcome = f"no drift ({plan.summary})"
        if settings.access_auto_apply and (plan.adds or plan.removals):
            try:
                report = apply_plan(
                    session,
                    plan,
                    github,
                    max_removals=settings.access_max_removals,
                    now=now,
                    actor="ccbot:access_drift",
                )
            except UserError as exc:
                record_access(session, plan, now=now)
                text = refused_text(str(exc))
                outcome = f"not applied: {exc}"
            else:
                text = applied_text(report)
                outcome = f"applied: {report.summary}"
            messages = admin_messages(
                session, settings, key=f"access-apply:{now:%Y%m%dT%H%M%S}", kind="access-apply", text=text
            )
        else:
            record_access(session, plan, now=now)
            if plan.drift:
                text = drift_text(plan)
                # Once a day for the same drift; a different drift the same day is reported too.
                digest = hashlib.sha256(text.encode()).hexdigest()[:12]
                messages = admin_messages(
                    session,
                    settings,
                    key=f"access-drift:{now.date()}:{digest}",
                    kind="access-drift",
                    text=text,
                )
                outcome = f"drift reported ({plan.summary})"
    queued = enqueue(session, messages, now=now)
    session.commit()
    report_sent = deliver_pending(session, SlackMessenger(client), now=now, keys=[m.key for m in messages])
    logger.info("access_drift: %s; %d queued; %s", outcome, queued, report_sent)
    return outcome
