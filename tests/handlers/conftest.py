"""Handler tests run on SQLite: they drive Slack's flows in-process.

The services and repositories under every flow run on both databases in tests/services, tests/jobs,
tests/storage and tests/test_crash_safety.py; running each Slack flow again on PostgreSQL would only
repeat them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty SQLite database URL (handler tests do not repeat on PostgreSQL)."""
    path = tmp_path / "ccbot.db"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"
