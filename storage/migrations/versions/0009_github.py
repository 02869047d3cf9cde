"""GitHub: webhook deliveries, committers' activity, review asks, team access snapshots and changes.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "github_delivery",
        sa.Column("delivery_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("received_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id"),
    )
    with op.batch_alter_table("github_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_github_delivery_received_at"), ["received_at"], unique=False)

    op.create_table(
        "access_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("team", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("login", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("change", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("result", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("access_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_change_at"), ["at"], unique=False)

    op.create_table(
        "github_access",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("team", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("checked_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id", "team"),
    )
    op.create_table(
        "github_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("repo_id", sa.Integer(), nullable=False),
        sa.Column("pr_number", sa.Integer(), nullable=False),
        sa.Column("at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivery_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["repo_id"], ["repo.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "kind", "repo_id", "pr_number", name="uq_github_activity"),
    )
    with op.batch_alter_table("github_activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_github_activity_at"), ["at"], unique=False)
        batch_op.create_index("ix_github_activity_person_at", ["person_id", "at"], unique=False)

    op.create_table(
        "review_ask",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repo_id", sa.Integer(), nullable=False),
        sa.Column("pr_number", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("asked_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("passed", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["repo_id"], ["repo.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("repo_id", "pr_number", name="uq_review_ask_pr"),
    )
    with op.batch_alter_table("review_ask", schema=None) as batch_op:
        batch_op.create_index("ix_review_ask_person_state", ["person_id", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_ask", schema=None) as batch_op:
        batch_op.drop_index("ix_review_ask_person_state")

    op.drop_table("review_ask")
    with op.batch_alter_table("github_activity", schema=None) as batch_op:
        batch_op.drop_index("ix_github_activity_person_at")
        batch_op.drop_index(batch_op.f("ix_github_activity_at"))

    op.drop_table("github_activity")
    op.drop_table("github_access")
    with op.batch_alter_table("access_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_change_at"))

    op.drop_table("access_change")
    with op.batch_alter_table("github_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_github_delivery_received_at"))

    op.drop_table("github_delivery")
