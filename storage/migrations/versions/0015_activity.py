"""GitHub work is activity: every merge and review recorded before counts in the one activity record.

Merges and reviews from GitHub's webhooks were kept in `github_activity` alone, which the inactivity
review never read; each becomes a row of `activity` too (`org/repo#N`), as new deliveries now do.
No schema change.

Revision ID: 0015a
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015a"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REF = "SUBSTR(r.full_name || '#' || CAST(g.pr_number AS VARCHAR(12)), 1, 255)"


def upgrade() -> None:
    op.get_bind().execute(
        sa.text(
            "INSERT INTO activity (person_id, kind, at, ref) "  # noqa: S608 - no input: a fixed expression
            f"SELECT g.person_id, g.kind, g.at, {REF} "
            "FROM github_activity g JOIN repo r ON r.id = g.repo_id "
            "WHERE NOT EXISTS (SELECT 1 FROM activity a "
            f"WHERE a.person_id = g.person_id AND a.kind = g.kind AND a.ref = {REF})"
        )
    )


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM activity WHERE kind IN ('merged', 'authored', 'reviewed')"))
