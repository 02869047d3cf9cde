"""One table of where each posted thing lives in Slack; outbox messages that post, redraw, or wait for a posting.

Questions, escalations, nominations and intros kept their own channel/ts columns and posting claims;
they move, with their data, into `slack_posting`, and so do the champions' threads and DMs of
production notices (found by their outbox keys).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, subject prefix, ts column, permalink column or None, posted-at column)
OWNERS = (
    ("question", "question", "thread_ts", "permalink", "asked_at"),
    ("escalation", "escalation", "ts", "permalink", "opened_at"),
    ("nomination", "nomination", "ts", None, "opened_at"),
    ("owner_intro", "intro", "ts", None, "requested_at"),
)
# Outbox key prefixes of production-notice messages whose posting later messages refer to.
NOTICE_KEYS = (("deploy-thread:", "notice-thread:"), ("deploy-dm:", "notice:"))


def upgrade() -> None:
    op.create_table(
        "slack_posting",
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("permalink", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("posted_at", storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject"),
        sa.UniqueConstraint("channel", "ts", name="uq_slack_posting_message"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "op", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="post"
            )
        )
        batch_op.add_column(sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column("after", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column("in_thread", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("fallback", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("next_attempt_at", storage.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_outbox_subject"), ["subject"], unique=False)

    connection = op.get_bind()
    for table, prefix, ts_column, link_column, at_column in OWNERS:
        link = link_column or "NULL"
        connection.execute(
            sa.text(
                f"INSERT INTO slack_posting (subject, channel, ts, permalink, posted_at) "  # noqa: S608
                f"SELECT '{prefix}:' || CAST(id AS VARCHAR), channel, {ts_column}, {link}, {at_column} "
                f"FROM {table} WHERE channel IS NOT NULL AND {ts_column} IS NOT NULL"
            )
        )
    for old, new in NOTICE_KEYS:
        rows = connection.execute(
            sa.text("SELECT key, channel, ts, sent_at FROM outbox WHERE status = 'sent' AND key LIKE :p"),
            {"p": old + "%"},
        ).all()
        for key, channel, ts, sent_at in rows:
            if ts:
                connection.execute(
                    sa.text(
                        "INSERT INTO slack_posting (subject, channel, ts, permalink, posted_at) "
                        "VALUES (:subject, :channel, :ts, NULL, :at)"
                    ),
                    {"subject": new + key[len(old) :], "channel": channel, "ts": ts, "at": sent_at},
                )
        connection.execute(
            sa.text(f"UPDATE outbox SET subject = '{new}' || SUBSTR(key, {len(old) + 1}) WHERE key LIKE :p"),  # noqa: S608
            {"p": old + "%"},
        )

    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_constraint("uq_question_thread", type_="unique")
        batch_op.drop_column("channel")
        batch_op.drop_column("thread_ts")
        batch_op.drop_column("permalink")
        batch_op.drop_column("post_claimed_at")
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_column("channel")
        batch_op.drop_column("ts")
        batch_op.drop_column("permalink")
        batch_op.drop_column("post_claimed_at")
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.drop_column("channel")
        batch_op.drop_column("ts")
    with op.batch_alter_table("owner_intro", schema=None) as batch_op:
        batch_op.drop_column("channel")
        batch_op.drop_column("ts")


def downgrade() -> None:
    with op.batch_alter_table("owner_intro", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("permalink", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.add_column(
            sa.Column("post_claimed_at", storage.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("thread_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column("permalink", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.add_column(
            sa.Column("post_claimed_at", storage.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint("uq_question_thread", ["channel", "thread_ts"])
    connection = op.get_bind()
    for table, prefix, ts_column, link_column, _ in OWNERS:
        postings = connection.execute(
            sa.text("SELECT subject, channel, ts, permalink FROM slack_posting WHERE subject LIKE :p"),
            {"p": prefix + ":%"},
        ).all()
        for subject, channel, ts, permalink in postings:
            assignments = f"channel = :channel, {ts_column} = :ts" + (
                f", {link_column} = :permalink" if link_column else ""
            )
            connection.execute(
                sa.text(f"UPDATE {table} SET {assignments} WHERE id = :id"),  # noqa: S608
                {"channel": channel, "ts": ts, "permalink": permalink, "id": int(subject.split(":")[1])},
            )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_subject"))
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("version")
        batch_op.drop_column("fallback")
        batch_op.drop_column("in_thread")
        batch_op.drop_column("after")
        batch_op.drop_column("subject")
        batch_op.drop_column("op")
    op.drop_table("slack_posting")
