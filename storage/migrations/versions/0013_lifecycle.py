"""The program's yearly life: activity, reminder quiet and holds, renewal rounds, agreement history,
inactivity reviews, and nominations that expand an existing committer's rights.

Every agreement already recorded gets a first `recorded` entry in its history, so the history of
each agreement starts with the agreement itself.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXPANDS_FK = "fk_nomination_expands_person_id_person"


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def upgrade() -> None:
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "kind", "ref", name="uq_activity_person_kind_ref"),
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index("ix_activity_person_at", ["person_id", "at"], unique=False)

    op.create_table(
        "reminder_preference",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("hours_start", sa.Time(), nullable=True),
        sa.Column("hours_end", sa.Time(), nullable=True),
        sa.Column("updated_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "reminder_hold",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("due_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("snoozed_from", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("created_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("reminder_hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_hold_person_id"), ["person_id"], unique=False)

    op.create_table(
        "renewal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("audience", _enum("renewalaudience", "individuals", "organizations"), nullable=False),
        sa.Column("opened_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("closed_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "audience", name="uq_renewal_year_audience"),
    )
    with op.batch_alter_table("renewal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_renewal_closes_at"), ["closes_at"], unique=False)

    op.create_table(
        "renewal_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("renewal_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("invited_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deadline", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", _enum("renewalanswer", "pending", "recommitted", "stepped_down"), nullable=False),
        sa.Column("answered_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("settled_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "outcome",
            _enum("renewaloutcome", "recommitted", "alumni", "agreement_ended", "listed", "extended"),
            nullable=True,
        ),
        sa.Column("extensions", sa.Integer(), nullable=False),
        sa.Column("followup_on", sa.Date(), nullable=True),
        sa.CheckConstraint("(person_id IS NULL) <> (organization_id IS NULL)", name="renewal_member_has_one"),
        sa.ForeignKeyConstraint(["answered_by_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["contact_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["renewal_id"], ["renewal.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("renewal_id", "organization_id", name="uq_renewal_member_organization"),
        sa.UniqueConstraint("renewal_id", "person_id", name="uq_renewal_member_person"),
    )
    with op.batch_alter_table("renewal_member", schema=None) as batch_op:
        batch_op.create_index("ix_renewal_member_due", ["settled_at", "deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_renewal_member_renewal_id"), ["renewal_id"], unique=False)

    op.create_table(
        "agreement_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("kind", _enum("agreementkind", "individual", "entity", "nda"), nullable=False),
        sa.Column(
            "action",
            _enum("agreementaction", "recorded", "renewed", "revoked", "invalidated"),
            nullable=False,
        ),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("previous_expires_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("recorded_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(person_id IS NULL) <> (organization_id IS NULL)", name="agreement_event_has_one_holder"
        ),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreement.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("agreement_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_event_agreement_id"), ["agreement_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_agreement_event_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_agreement_event_person_id"), ["person_id"], unique=False)

    op.create_table(
        "inactivity_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("proposed_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_active_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision", _enum("inactivitydecision", "kept", "moved"), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("decided_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("kept_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "period", name="uq_inactivity_proposal_period"),
    )
    with op.batch_alter_table("inactivity_proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inactivity_proposal_person_id"), ["person_id"], unique=False)

    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expands_person_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(EXPANDS_FK, "person", ["expands_person_id"], ["id"], ondelete="SET NULL")

    # The history of every agreement on record starts with the agreement itself.
    op.get_bind().execute(
        sa.text(
            "INSERT INTO agreement_event (agreement_id, person_id, organization_id, kind, action, effective_on, "
            "signed_on, expires_on, previous_expires_on, reason, recorded_by, recorded_at) "
            "SELECT id, person_id, organization_id, kind, 'recorded', COALESCE(signed_on, CURRENT_DATE), "
            "signed_on, expires_on, NULL, 'on record before the agreement history began', "
            "CASE WHEN source = '' THEN 'migration' ELSE SUBSTR(source, 1, 100) END, CURRENT_TIMESTAMP "
            "FROM agreement"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.drop_constraint(EXPANDS_FK, type_="foreignkey")
        batch_op.drop_column("expands_person_id")
    op.drop_table("inactivity_proposal")
    op.drop_table("agreement_event")
    op.drop_table("renewal_member")
    op.drop_table("renewal")
    op.drop_table("reminder_hold")
    op.drop_table("reminder_preference")
    op.drop_table("activity")
