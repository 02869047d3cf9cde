"""Questions and their threads, repository owners and intros, and the outbox.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("thread_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("blocks", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_kind"), ["kind"], unique=False)
        batch_op.create_index("ix_outbox_status_created", ["status", "created_at"], unique=False)

    op.create_table(
        "repo_ownership",
        sa.Column("repo_id", sa.Integer(), nullable=False),
        sa.Column("catalog_owner", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("lifecycle", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("component_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("codeowners", sa.Text(), nullable=True),
        sa.Column("synced_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["repo_id"], ["repo.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("repo_id"),
    )
    op.create_table(
        "owner_intro",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committer_id", sa.Integer(), nullable=False),
        sa.Column("repo_id", sa.Integer(), nullable=False),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("owners", sa.JSON(), nullable=False),
        sa.Column("requested_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(["committer_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["repo_id"], ["repo.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("owner_intro", schema=None) as batch_op:
        batch_op.create_index("ix_owner_intro_lookup", ["committer_id", "repo_id", "path"], unique=False)

    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committer_id", sa.Integer(), nullable=False),
        sa.Column("repo_id", sa.Integer(), nullable=True),
        sa.Column("pr_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("pr_number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("urgency", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("has_grant", sa.Boolean(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("asked_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("thread_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("permalink", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_responder_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("reopened_at", storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["answered_by_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["claimed_by_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["committer_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["first_responder_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["repo_id"], ["repo.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "thread_ts", name="uq_question_thread"),
    )
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_committer_id"), ["committer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_question_repo_id"), ["repo_id"], unique=False)
        batch_op.create_index("ix_question_state_asked", ["state", "asked_at"], unique=False)

    op.create_table(
        "question_nudge",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("due_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("taken_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("question_id", "step"),
    )
    op.create_table(
        "question_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("slack_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("question_id", "ts", name="uq_question_reply_ts"),
    )
    with op.batch_alter_table("question_reply", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_reply_question_id"), ["question_id"], unique=False)

    op.create_table(
        "question_responder",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("question_id", "person_id"),
    )
    with op.batch_alter_table("question_responder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_responder_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("question_responder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_responder_person_id"))

    op.drop_table("question_responder")
    with op.batch_alter_table("question_reply", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_reply_question_id"))

    op.drop_table("question_reply")
    op.drop_table("question_nudge")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_index("ix_question_state_asked")
        batch_op.drop_index(batch_op.f("ix_question_repo_id"))
        batch_op.drop_index(batch_op.f("ix_question_committer_id"))

    op.drop_table("question")
    with op.batch_alter_table("owner_intro", schema=None) as batch_op:
        batch_op.drop_index("ix_owner_intro_lookup")

    op.drop_table("owner_intro")
    op.drop_table("repo_ownership")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_created")
        batch_op.drop_index(batch_op.f("ix_outbox_kind"))

    op.drop_table("outbox")
