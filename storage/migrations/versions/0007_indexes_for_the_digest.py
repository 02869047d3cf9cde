"""Indexes the weekly digest and the busy-champion queries need at a million questions.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.create_index("ix_question_answered_at", ["answered_at"], unique=False)
        batch_op.create_index("ix_question_asked_at", ["asked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_index("ix_question_asked_at")
        batch_op.drop_index("ix_question_answered_at")
