"""Operations: how each scheduled job has fared, for the alerts."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from storage.models.columns import utc_column


class JobRun(SQLModel, table=True):
    """How one scheduled job has fared, across every process that ran it: the numbers its alerts read."""

    __tablename__ = "job_run"

    name: str = Field(primary_key=True, max_length=64)
    successes: int = Field(default=0)
    failures: int = Field(default=0)
    last_started_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_success_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_failure_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_seconds: float | None = Field(default=None, description="how long the latest run took")
