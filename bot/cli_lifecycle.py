"""The yearly cycle on the command line: `ccbot renewal`, `ccbot agreements`, `ccbot alumni`, `ccbot activity`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated

import typer
from sqlmodel import Session

from bot.assembly import Bot, build_bot
from bot.cli import _actor, _settings, app, friendly_errors
from bot.services.errors import FieldErrors, UserError
from bot.types.decided import Decided
from storage.db import check_ready
from storage.models import AgreementAction, AgreementKind

renewal_app = typer.Typer(
    help="The yearly recommitment (OEP-54: organisations in December, individuals in January).",
    no_args_is_help=True,
)
agreements_app = typer.Typer(
    help="Agreements with a history: renew, revoke, invalidate, show.", no_args_is_help=True
)
alumni_app = typer.Typer(help="Move people to alumni, and bring alumni back.", no_args_is_help=True)
activity_app = typer.Typer(help="Committers' recorded activity, and who is inactive.", no_args_is_help=True)
app.add_typer(renewal_app, name="renewal")
app.add_typer(agreements_app, name="agreements")
app.add_typer(alumni_app, name="alumni")
app.add_typer(activity_app, name="activity")


class Who(StrEnum):
    """Who a recommitment round asks."""

    INDIVIDUALS = "individuals"
    ORGANIZATIONS = "organizations"
    ALL = "all"


class Kind(StrEnum):
    """The agreement kinds, as the command line names them."""

    INDIVIDUAL = "individual"
    ENTITY = "entity"
    NDA = "nda"


@contextmanager
def _bot_session() -> Iterator[tuple[Bot, Session]]:
    bot = build_bot(_settings())
    try:
        check_ready(bot.runtime.engine)
        with bot.runtime.session_factory() as session:
            yield bot, session
    finally:
        bot.close()


def _deliver(bot: Bot, session: Session, keys: tuple[str, ...], now: dt.datetime) -> None:
    if not keys:
        return
    if bot.settings.slack_configured:
        typer.echo(f"messages: {bot.runtime.deliver(session, keys, now=now)}")
    else:
        typer.echo(
            f"{len(keys)} message(s) queued: the scheduler's outbox_delivery sends them (SLACK_BOT_TOKEN is not set here)"
        )


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} {text!r} is not a date like 2027-01-31") from None


def _fields(exc: FieldErrors) -> UserError:
    return UserError("; ".join(exc.errors.values()))


@renewal_app.command("open")
@friendly_errors
def renewal_open(
    year: Annotated[int, typer.Argument(help="The year committers recommit for, like 2027.")],
    closes: Annotated[
        str | None,
        typer.Option(
            "--closes", help="Last day for answers, YYYY-MM-DD (default: CCBOT_RENEWAL_DAYS from today)."
        ),
    ] = None,
    who: Annotated[Who, typer.Option("--who", help="Who is asked.")] = Who.ALL,
) -> None:
    """Open the year's recommitment: each active committer (or provider organisation's contact) gets a DM."""
    from bot.services.renewals import open_renewal
    from bot.views.renewals import last_day

    closes_on = _date(closes, "--closes")
    now = dt.datetime.now(dt.UTC)
    with _bot_session() as (bot, session):
        opened = open_renewal(
            session,
            year=year,
            who=who.value,
            closes_on=closes_on,
            now=now,
            actor=_actor(),
            policy=bot.runtime.policy,
        )
        for renewal, asked in opened.rounds:
            typer.echo(
                f"opened the {renewal.year} recommitment of {renewal.audience.value}: {asked} asked, "
                f"answers until {last_day(renewal.closes_at)} (UTC)"
            )
        for note in opened.notes:
            typer.echo(f"note: {note}", err=True)
        _deliver(bot, session, opened.keys, now)


@renewal_app.command("status")
@friendly_errors
def renewal_status(
    year: Annotated[
        int | None, typer.Argument(help="Only this year's rounds (default: every round).")
    ] = None,
) -> None:
    """Show each round: who recommitted, stepped down, has not answered, or awaits an admin."""
    from bot.services.renewals import list_rounds
    from bot.views.renewals import last_day, member_label

    with _bot_session() as (_, session):
        rounds = list_rounds(session, year=year)
        if not rounds:
            typer.echo(
                "no recommitment round"
                + (f" for {year}" if year else "")
                + "; `ccbot renewal open YEAR` opens one"
            )
            return
        for progress in rounds:
            renewal = progress.renewal
            state = (
                f"closed {renewal.closed_at:%Y-%m-%d}"
                if renewal.closed_at
                else f"open until {last_day(renewal.closes_at)}"
            )
            typer.echo(
                f"Recommitment {renewal.year}, {renewal.audience.value}: {state}, opened by {renewal.opened_by}"
            )
            for label, cards in (
                ("recommitted", progress.recommitted),
                ("stepped down", progress.stepped_down),
                ("not answered yet", progress.waiting),
                ("no answer, awaiting an admin", progress.listed),
            ):
                names = ", ".join(member_label(card, plain=True) for card in cards)
                typer.echo(f"  {label} ({len(cards)}){': ' + names if names else ''}")


@agreements_app.command("history")
@friendly_errors
def agreements_history(handle: Annotated[str, typer.Argument(help="GitHub handle.")]) -> None:
    """Show every recorded change to a person's agreements (and their organisation's), oldest first."""
    from bot.services.agreements import agreement_history
    from bot.views.agreements import history_lines

    with _bot_session() as (_, session):
        try:
            history = agreement_history(session, handle)
        except FieldErrors as exc:
            raise _fields(exc) from None
        lines = history_lines(history)
        typer.echo("\n".join(lines) if lines else f"no agreement recorded for {history.person.github}")


def _change(
    handle: str,
    kind: Kind,
    action: AgreementAction,
    *,
    reason: str,
    signed: str | None = None,
    expires: str | None = None,
    effective: str | None = None,
) -> None:
    from bot.services.agreements import change_agreement

    now = dt.datetime.now(dt.UTC)
    with _bot_session() as (_, session):
        try:
            decided = change_agreement(
                session,
                _actor(),
                holder=handle,
                kind=AgreementKind(kind.value),
                action=action,
                signed_on=_date(signed, "--signed"),
                expires_on=_date(expires, "--expires"),
                effective_on=_date(effective, "--effective"),
                reason=reason,
                now=now,
            )
        except FieldErrors as exc:
            raise _fields(exc) from None
        typer.echo(decided.confirmation.replace("*", ""))


KIND_OPTION = typer.Option("--kind", help="individual, entity (their organisation's) or nda.")
REASON_OPTION = typer.Option("--reason", help="Why: kept in the agreement's history.")


@agreements_app.command("renew")
@friendly_errors
def agreements_renew(
    handle: Annotated[str, typer.Argument(help="GitHub handle (entity: their organisation's agreement).")],
    kind: Annotated[Kind, KIND_OPTION],
    signed: Annotated[str, typer.Option("--signed", help="Signed on, YYYY-MM-DD.")],
    reason: Annotated[str, REASON_OPTION],
    expires: Annotated[str | None, typer.Option("--expires", help="Expires on, YYYY-MM-DD.")] = None,
) -> None:
    """Record a renewal: a new signing, the earlier agreement kept as it was."""
    _change(handle, kind, AgreementAction.RENEWED, reason=reason, signed=signed, expires=expires)


@agreements_app.command("revoke")
@friendly_errors
def agreements_revoke(
    handle: Annotated[str, typer.Argument(help="GitHub handle (entity: their organisation's agreement).")],
    kind: Annotated[Kind, KIND_OPTION],
    reason: Annotated[str, REASON_OPTION],
    effective: Annotated[
        str | None, typer.Option("--effective", help="Ends on, YYYY-MM-DD (default: today).")
    ] = None,
) -> None:
    """Record a revocation: the agreement ends on the effective date."""
    _change(handle, kind, AgreementAction.REVOKED, reason=reason, effective=effective)


@agreements_app.command("invalidate")
@friendly_errors
def agreements_invalidate(
    handle: Annotated[str, typer.Argument(help="GitHub handle (entity: their organisation's agreement).")],
    kind: Annotated[Kind, KIND_OPTION],
    reason: Annotated[str, REASON_OPTION],
) -> None:
    """Record an invalidation: the latest agreement of that kind counts as never in force."""
    _change(handle, kind, AgreementAction.INVALIDATED, reason=reason)


def _membership_change(change: Callable[..., Decided[str]], handle: str, reason: str) -> None:
    now = dt.datetime.now(dt.UTC)
    with _bot_session() as (bot, session):
        try:
            decided = change(
                session, _actor(), github=handle, reason=reason, now=now, channels=bot.runtime.channels
            )
        except FieldErrors as exc:
            raise _fields(exc) from None
        typer.echo(decided.confirmation.replace("*", "").replace("`", ""))
        _deliver(bot, session, decided.keys, now)


@alumni_app.command("reinstate")
@friendly_errors
def alumni_reinstate(
    handle: Annotated[str, typer.Argument(help="The alumnus' GitHub handle.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit log.")] = "",
) -> None:
    """Bring an alumnus back: their standing is recomputed from their agreements, their history kept."""
    from bot.services.membership import reinstate

    _membership_change(reinstate, handle, reason)


@alumni_app.command("move")
@friendly_errors
def alumni_move(
    handle: Annotated[str, typer.Argument(help="GitHub handle.")],
    reason: Annotated[str, typer.Option("--reason", help="Why: for the audit log and for them.")],
) -> None:
    """Move someone to alumni: they keep their roles and history, and lose every power."""
    from bot.services.membership import retire

    _membership_change(retire, handle, reason)


@activity_app.command("inactive")
@friendly_errors
def activity_inactive() -> None:
    """List the committers inactive for longer than CCBOT_INACTIVE_DAYS (those kept by an admin left out)."""
    from bot.services.membership import list_inactive, tracked_since

    now = dt.datetime.now(dt.UTC)
    with _bot_session() as (bot, session):
        since = tracked_since(session)
        if since is None:
            typer.echo("activity is not tracked yet: the first inactivity_review run starts the clock")
            return
        found = list_inactive(session, now=now, policy=bot.runtime.policy.lifecycle)
        for inactive in found:
            last = f"{inactive.last_active_at:%Y-%m-%d}" if inactive.last_active_at else "none recorded"
            typer.echo(f"{inactive.person.github:<24} last activity {last:<14} counted {inactive.days} days")
        typer.echo(
            f"{len(found)} committer(s) inactive for more than {bot.runtime.policy.lifecycle.inactive_days} days "
            f"(activity tracked since {since:%Y-%m-%d})"
        )


@activity_app.command("show")
@friendly_errors
def activity_show(handle: Annotated[str, typer.Argument(help="GitHub handle.")]) -> None:
    """Show a person's latest recorded activity."""
    from bot.services.activity import recent_activity

    with _bot_session() as (_, session):
        person, entries = recent_activity(session, handle)
        if not entries:
            typer.echo(f"no activity recorded for {person.github}")
        for entry in entries:
            typer.echo(f"{entry.at:%Y-%m-%d %H:%M} {entry.kind:<12} {entry.ref}")
