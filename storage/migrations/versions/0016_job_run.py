"""Each scheduled job's runs, successes, failures and latest success, kept in the database so every process's
`/metrics` reports them, whichever process ran the job.

Revision ID: 0016
Revises: 0015a
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.db

revision: str = "0016"
down_revision: str | None = "0015a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_run",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("successes", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_started_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("job_run")
