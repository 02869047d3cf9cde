"""Outbox lanes (interactive before bulk) and the Slack sending budget every instance shares.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The kinds of bulk campaigns when this migration was written (bot.types.outbox.LANES keeps the table).
BULK_KINDS = (
    "question-nudge",
    "phase",
    "lapsed",
    "active-again",
    "now-active",
    "expiry",
    "onboarding",
    "retro",
    "retro-report",
    "digest",
    "digest-csv",
    "gh-merged",
    "access-drift",
    "access-notice",
    "renewal-invite",
    "renewal-reminder",
    "renewal-followup",
    "renewal-ended",
    "renewal-contact",
    "inactive-review",
    "alumni",
)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column(
                "lane",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="interactive",
            )
        )
        batch.create_index("ix_outbox_lane_status_created", ["lane", "status", "created_at"])
    outbox = sa.table("outbox", sa.column("lane", sa.String), sa.column("kind", sa.String))
    op.execute(outbox.update().where(outbox.c.kind.in_(BULK_KINDS)).values(lane="bulk"))
    op.create_table(
        "slack_budget",
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("method", "scope"),
    )


def downgrade() -> None:
    op.drop_table("slack_budget")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_lane_status_created")
        batch.drop_column("lane")
