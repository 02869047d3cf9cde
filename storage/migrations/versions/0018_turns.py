"""Whose turn a question is on (and every turn kept), and each nudge DM with its recipient's rating.

A question already answered, or already responded to, is on the committer's turn; the rest on the champions'.
Questions asked before this revision have no turn rows: their champions' turn is read as running from the
asking to the first response (bot/services/responsiveness.py).

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("question") as batch:
        batch.add_column(
            sa.Column(
                "turn",
                sa.Enum("champions", "committer", name="turn", native_enum=False, length=16),
                nullable=False,
                server_default="champions",
            )
        )
    op.get_bind().execute(
        sa.text(
            "UPDATE question SET turn = 'committer' WHERE state = 'answered' OR first_response_at IS NOT NULL"
        )
    )
    op.create_table(
        "question_turn",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column(
            "turn",
            sa.Enum("champions", "committer", name="turn", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("started_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "cause",
            sa.Enum("asked", "reply", "button", "answered", name="turncause", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("by_person_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["by_person_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_question_turn_question_started", "question_turn", ["question_id", "started_at"])
    op.create_table(
        "nudge_recipient",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column(
            "rating",
            sa.Enum("helpful", "not_helpful", name="nudgerating", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("rated_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("question_id", "step", "person_id"),
    )
    op.create_index("ix_nudge_recipient_person_sent", "nudge_recipient", ["person_id", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_nudge_recipient_person_sent", table_name="nudge_recipient")
    op.drop_table("nudge_recipient")
    op.drop_index("ix_question_turn_question_started", table_name="question_turn")
    op.drop_table("question_turn")
    with op.batch_alter_table("question") as batch:
        batch.drop_column("turn")
