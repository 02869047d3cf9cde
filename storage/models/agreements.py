"""Agreements' history: one entry per change, never changed after."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, Text
from sqlmodel import Field, SQLModel

from storage.models.columns import enum_column, person_fk, utc_column
from storage.models.roster import AgreementKind


class AgreementAction(enum.StrEnum):
    """A change in an agreement's history."""

    RECORDED = "recorded"
    RENEWED = "renewed"
    REVOKED = "revoked"
    INVALIDATED = "invalidated"


class AgreementEvent(SQLModel, table=True):
    """One entry of an agreement's history: recorded, renewed, revoked or invalidated; never changed after."""

    __tablename__ = "agreement_event"
    __table_args__ = (
        CheckConstraint(
            "(person_id IS NULL) <> (organization_id IS NULL)", name="agreement_event_has_one_holder"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("agreement.id", ondelete="SET NULL"), index=True),
    )
    person_id: int | None = Field(default=None, sa_column=person_fk(index=True, ondelete="CASCADE"))
    organization_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("organization.id", ondelete="CASCADE"), index=True),
    )
    kind: AgreementKind = Field(sa_column=enum_column(AgreementKind))
    action: AgreementAction = Field(sa_column=enum_column(AgreementAction))
    effective_on: dt.date
    signed_on: dt.date | None = None
    expires_on: dt.date | None = Field(default=None, description="the agreement's end after this change")
    previous_expires_on: dt.date | None = Field(default=None, description="its end before this change")
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    recorded_by: str = Field(max_length=100)
    recorded_at: dt.datetime = Field(sa_column=utc_column())
