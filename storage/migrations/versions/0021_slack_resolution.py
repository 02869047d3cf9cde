"""Background resolution of Slack ids and time zones: each request with its users.list cursor and its lease.

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_resolution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requested_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "running", "done", name="resolutionstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "mode",
            sa.Enum("walk", "lookup", name="resolutionmode", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("cursor", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("ids_found", sa.Integer(), nullable=False),
        sa.Column("timezones_found", sa.Integer(), nullable=False),
        sa.Column("not_found", sa.JSON(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("lease_until", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("slack_resolution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slack_resolution_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("slack_resolution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_resolution_state"))
    op.drop_table("slack_resolution")
