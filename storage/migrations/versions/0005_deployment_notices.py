"""Deployment-pipeline events and the production notices they carry to committers.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deployment_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("environment", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("repo_id", sa.Integer(), nullable=True),
        sa.Column("sha_range", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("pipeline_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("incident_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("received_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["repo_id"], ["repo.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deployment_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deployment_event_received_at"), ["received_at"], unique=False)

    op.create_table(
        "deployment_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("repo_id", sa.Integer(), nullable=True),
        sa.Column("pr_number", sa.Integer(), nullable=False),
        sa.Column("pr_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("merged_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("reverts", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("matched_by", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("received_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reverting_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reverted_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["deployment_event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["repo_id"], ["repo.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("deployment_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deployment_notice_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployment_notice_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployment_notice_received_at"), ["received_at"], unique=False)
        batch_op.create_index("ix_deployment_notice_repo_pr", ["repo_id", "pr_number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deployment_notice", schema=None) as batch_op:
        batch_op.drop_index("ix_deployment_notice_repo_pr")
        batch_op.drop_index(batch_op.f("ix_deployment_notice_received_at"))
        batch_op.drop_index(batch_op.f("ix_deployment_notice_person_id"))
        batch_op.drop_index(batch_op.f("ix_deployment_notice_event_id"))

    op.drop_table("deployment_notice")
    with op.batch_alter_table("deployment_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_event_received_at"))

    op.drop_table("deployment_event")
