"""`ccbot agreements`: an agreement's history, and its renewal, revocation or invalidation."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

import typer

from bot.cli.base import actor, bot_session, field_errors, friendly_errors, parse_date
from bot.services.errors import FieldErrors
from storage.models import AgreementAction, AgreementKind

app = typer.Typer(help="Agreements with a history: renew, revoke, invalidate, show.", no_args_is_help=True)


class Kind(StrEnum):
    """The agreement kinds, as the command line names them."""

    INDIVIDUAL = "individual"
    ENTITY = "entity"
    NDA = "nda"


@app.command("history")
@friendly_errors
def agreements_history(
    handle: Annotated[str, typer.Argument(metavar="HANDLE", help="GitHub handle.")],
) -> None:
    """Show every recorded change to a person's agreements (and their organisation's), oldest first."""
    from bot.services.agreements import agreement_history
    from bot.views.agreements import history_lines

    with bot_session() as (_, session):
        try:
            history = agreement_history(session, handle)
        except FieldErrors as exc:
            raise field_errors(exc) from None
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
    with bot_session() as (_, session):
        try:
            decided = change_agreement(
                session,
                actor(),
                holder=handle,
                kind=AgreementKind(kind.value),
                action=action,
                signed_on=parse_date(signed, "--signed"),
                expires_on=parse_date(expires, "--expires"),
                effective_on=parse_date(effective, "--effective"),
                reason=reason,
                now=now,
            )
        except FieldErrors as exc:
            raise field_errors(exc) from None
        typer.echo(decided.confirmation.replace("*", ""))


KIND_OPTION = typer.Option("--kind", help="individual, entity (their organisation's) or nda.")
REASON_OPTION = typer.Option("--reason", metavar="TEXT", help="Why: kept in the agreement's history.")


@app.command("renew")
@friendly_errors
def agreements_renew(
    handle: Annotated[
        str, typer.Argument(metavar="HANDLE", help="GitHub handle (entity: their organisation's agreement).")
    ],
    kind: Annotated[Kind, KIND_OPTION],
    signed: Annotated[str, typer.Option("--signed", metavar="DATE", help="Signed on, YYYY-MM-DD.")],
    reason: Annotated[str, REASON_OPTION],
    expires: Annotated[
        str | None, typer.Option("--expires", metavar="DATE", help="Expires on, YYYY-MM-DD.")
    ] = None,
) -> None:
    """Record a renewal: a new signing, the earlier agreement kept as it was."""
    _change(handle, kind, AgreementAction.RENEWED, reason=reason, signed=signed, expires=expires)


@app.command("revoke")
@friendly_errors
def agreements_revoke(
    handle: Annotated[
        str, typer.Argument(metavar="HANDLE", help="GitHub handle (entity: their organisation's agreement).")
    ],
    kind: Annotated[Kind, KIND_OPTION],
    reason: Annotated[str, REASON_OPTION],
    effective: Annotated[
        str | None, typer.Option("--effective", metavar="DATE", help="Ends on, YYYY-MM-DD (default: today).")
    ] = None,
) -> None:
    """Record a revocation: the agreement ends on the effective date."""
    _change(handle, kind, AgreementAction.REVOKED, reason=reason, effective=effective)


@app.command("invalidate")
@friendly_errors
def agreements_invalidate(
    handle: Annotated[
        str, typer.Argument(metavar="HANDLE", help="GitHub handle (entity: their organisation's agreement).")
    ],
    kind: Annotated[Kind, KIND_OPTION],
    reason: Annotated[str, REASON_OPTION],
) -> None:
    """Record an invalidation: the latest agreement of that kind counts as never in force."""
    _change(handle, kind, AgreementAction.INVALIDATED, reason=reason)
