"""Retrospectives, and claims on posting questions and escalations (so two workers never post one twice).

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retro",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("opened_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("closed_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("retro", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retro_closes_at"), ["closes_at"], unique=False)

    op.create_table(
        "retro_participant",
        sa.Column("retro_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["retro_id"], ["retro.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("retro_id", "person_id"),
    )
    op.create_table(
        "retro_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("retro_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("liked", sa.Text(), nullable=False),
        sa.Column("lacked", sa.Text(), nullable=False),
        sa.Column("learned", sa.Text(), nullable=False),
        sa.Column("longed_for", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["retro_id"], ["retro.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("retro_id", "person_id", name="uq_retro_response_person"),
    )
    with op.batch_alter_table("retro_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retro_response_retro_id"), ["retro_id"], unique=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )

    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("post_claimed_at", storage.db.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("post_claimed_at", storage.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_column("post_claimed_at")

    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_column("post_claimed_at")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("file_name")

    with op.batch_alter_table("retro_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retro_response_retro_id"))

    op.drop_table("retro_response")
    op.drop_table("retro_participant")
    with op.batch_alter_table("retro", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retro_closes_at"))

    op.drop_table("retro")
