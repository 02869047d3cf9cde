"""Access you can trust: each person's GitHub account id, GitHub writes recorded before they are made,
removals announced ahead, and the plans shown to the admins.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("github_id", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_person_github_id", ["github_id"], unique=True)
    with op.batch_alter_table("access_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("github_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("plan", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("reconciled_at", storage.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_access_change_result"), ["result"], unique=False)
    op.create_table(
        "access_notice",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("cause", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("teams", sa.JSON(), nullable=False),
        sa.Column("noticed_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("remove_after", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "access_plan",
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("applied_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.PrimaryKeyConstraint("digest"),
    )


def downgrade() -> None:
    op.drop_table("access_plan")
    op.drop_table("access_notice")
    with op.batch_alter_table("access_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_change_result"))
        batch_op.drop_column("reconciled_at")
        batch_op.drop_column("plan")
        batch_op.drop_column("github_id")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_github_id")
        batch_op.drop_column("github_id")
