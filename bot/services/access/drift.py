"""The daily access check: plan against GitHub, store what `/cc` shows, send the notices due, and post the plan
to the admins with an "Apply this plan" button that carries its digest; the click applies exactly that plan."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from bot.services.access.apply import (
    Applied,
    Fresh,
    PlanMoved,
    apply_plan,
    check_unchanged,
    fresh_plan,
    plan_document,
    read_plan_text,
    record_access,
)
from bot.services.access.config import load_access_config
from bot.services.access.notices import notice_messages
from bot.services.admins import admin_messages
from bot.services.errors import UserError
from bot.services.github.api import NOT_CONFIGURED, GitHubApi, GitHubConnect
from bot.services.outbox import Outgoing, commit
from bot.types.access import AccessPlan
from bot.types.keys import Kind
from bot.types.policy import Channels, GitHubConfig
from bot.views import access as views
from storage import access as store
from storage import roster as roster_store
from storage.models import AccessPlanRecord, Person, Role

DRIFT_ACTOR = "ccbot:access_drift"


@dataclass(frozen=True)
class DriftOutcome:
    """What the daily access check found or did, in one line, and the keys of the messages it committed."""

    summary: str
    keys: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.summary


def check_access_drift(
    session: Session,
    connect: GitHubConnect | None,
    config: GitHubConfig,
    *,
    now: dt.datetime,
    channels: Channels,
) -> DriftOutcome:
    """Plan access against GitHub, store what `/cc` shows, send notices due, and post the plan to the admins.

    GitHub changes only with `config.auto_apply`, within `config.max_additions` and `config.max_removals`;
    otherwise an admin applies the plan with its button (or `ccbot access apply --plan`).
    """
    if connect is None:
        return DriftOutcome(f"skipped: {NOT_CONFIGURED}")
    path = Path(config.access_config)
    if not path.is_file():
        return DriftOutcome(f"skipped: {path} not found (CCBOT_ACCESS_CONFIG)")
    mapping = load_access_config(path)
    with connect() as github:
        fresh = fresh_plan(
            session,
            github,
            mapping,
            now=now,
            notice_days=config.notice_days,
            channels=channels,
            actor=DRIFT_ACTOR,
        )
        plan, earlier = fresh.plan, fresh.settled.keys
        if config.auto_apply and plan.changes:
            try:
                applied = _apply(
                    session, fresh, github, config, now=now, actor=DRIFT_ACTOR, channels=channels
                )
            except UserError as exc:
                session.rollback()
                return _post_plan(
                    session, plan, channels, now=now, refused=str(exc), earlier=earlier, found=fresh.identity
                )
            return DriftOutcome(f"applied: {applied.report.summary}", earlier + applied.keys)
    return _post_plan(session, plan, channels, now=now, earlier=earlier, found=fresh.identity)


def _apply(
    session: Session,
    fresh: Fresh,
    github: GitHubApi,
    config: GitHubConfig,
    *,
    now: dt.datetime,
    actor: str,
    channels: Channels,
) -> Applied:
    """Apply a fresh plan within the configured caps, with the admins' identity messages."""
    return apply_plan(
        session,
        fresh.plan,
        github,
        max_additions=config.max_additions,
        max_removals=config.max_removals,
        now=now,
        actor=actor,
        channels=channels,
        extra=fresh.identity,
    )


def _post_plan(
    session: Session,
    plan: AccessPlan,
    channels: Channels,
    *,
    now: dt.datetime,
    refused: str | None = None,
    earlier: tuple[str, ...] = (),
    found: list[Outgoing | None] | None = None,
) -> DriftOutcome:
    record_access(session, plan, now=now)
    messages: list[Outgoing | None] = [*(found or []), *notice_messages(session, plan, now=now)]
    if not plan.drift and refused is None:
        return DriftOutcome(f"no drift ({plan.summary})", earlier + commit(session, messages, now=now))
    digest = plan.digest
    store.add_plan_record(
        session, AccessPlanRecord(digest=digest, body=json.dumps(plan_document(plan)), created_at=now)
    )
    text = views.plan_text(plan, digest)
    blocks = views.plan_blocks(plan, digest)
    if refused is not None:
        blocks = [views.refused_block(refused), *blocks]
    # Once a day for the same plan; a different plan the same day is posted too.
    messages += admin_messages(
        session, channels, Kind.ACCESS_DRIFT, [now.date(), digest[:12]], text, blocks=blocks
    )
    verb = f"not applied ({refused})" if refused else "drift reported"
    return DriftOutcome(f"{verb} ({plan.summary})", earlier + commit(session, messages, now=now))


def apply_posted_plan(
    session: Session,
    connect: GitHubConnect | None,
    config: GitHubConfig,
    digest: str,
    person: Person | None,
    *,
    user_id: str,
    now: dt.datetime,
    channels: Channels,
) -> Applied:
    """Apply the plan an admin reviewed in Slack, by its digest: exactly it, or a refusal saying what moved."""
    if not _may_apply(session, person, user_id, channels):
        raise UserError("Only a program admin can apply a GitHub access plan; ask one of them to click it.")
    record = store.get_plan_record(session, digest)
    if record is None:
        raise UserError("That plan is not known here any more; the next daily check posts a fresh one.")
    if record.applied_at is not None:
        raise UserError(
            f"That plan was already applied by {record.applied_by} at {record.applied_at:%Y-%m-%d %H:%M} UTC."
        )
    if connect is None:
        raise UserError(NOT_CONFIGURED)
    reviewed = read_plan_text(record.body, source=f"plan {digest[:12]}")
    mapping = load_access_config(Path(config.access_config))
    actor = f"{person.github if person else user_id} (Slack)"
    with connect() as github:
        fresh = fresh_plan(
            session, github, mapping, now=now, notice_days=config.notice_days, channels=channels, actor=actor
        )
        try:
            check_unchanged(reviewed, fresh.plan)
        except PlanMoved:
            session.rollback()
            raise
        if not store.claim_plan(session, digest, now=now, actor=actor):
            session.rollback()
            raise UserError(
                "Another admin is applying that plan right now; its report reaches every admin here."
            )
        applied = _apply(session, fresh, github, config, now=now, actor=actor, channels=channels)
    return Applied(applied.report, fresh.settled.keys + applied.keys)


def _may_apply(session: Session, person: Person | None, user_id: str, channels: Channels) -> bool:
    """Whether the clicker is a current admin: on the roster, or bootstrapped by CCBOT_ADMINS."""
    if person is not None and person.removed_on is not None:
        return False
    if (
        person is not None
        and person.id is not None
        and Role.ADMIN in roster_store.list_powers(session, person.id)
    ):
        return True
    return user_id in channels.admins
