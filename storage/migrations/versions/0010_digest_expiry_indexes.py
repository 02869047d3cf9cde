"""Covering indexes for the weekly digest's window reads, and an organisation's members by handle.

The digest reads each question asked (or answered) in the week for its response time (or answerer);
with these columns in the index the database never visits the table for them. The expiry scan pages
through an organisation's committers by handle.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        # Each replaces a one-column index that it serves in full (same leading column).
        batch_op.create_index(
            "ix_question_asked_response",
            ["asked_at", "first_response_at", "first_responder_id"],
            unique=False,
        )
        batch_op.create_index("ix_question_answered_by", ["answered_at", "answered_by_id"], unique=False)
        batch_op.drop_index("ix_question_asked_at")
        batch_op.drop_index("ix_question_answered_at")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index("ix_person_organization", ["organization_id", "github_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_organization")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.create_index("ix_question_answered_at", ["answered_at"], unique=False)
        batch_op.create_index("ix_question_asked_at", ["asked_at"], unique=False)
        batch_op.drop_index("ix_question_answered_by")
        batch_op.drop_index("ix_question_asked_response")
