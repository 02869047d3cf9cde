"""Webhook deliveries already handled, so a replayed deployment notice (signed without a timestamp) is a no-op.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hook_delivery",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("hook", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("received_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("hook_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hook_delivery_received_at"), ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hook_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hook_delivery_received_at"))
    op.drop_table("hook_delivery")
