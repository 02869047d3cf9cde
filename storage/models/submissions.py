"""Modal submissions by identity key, so a question or escalation submitted twice is stored once."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from storage.models.columns import utc_column


class Submission(SQLModel, table=True):
    """One identity of a modal submission that created something: a key is taken once, so a repeat finds its subject.

    A submission has several keys (the Slack view it came from; its asker and content within a window), and the
    primary key makes two concurrent submissions sharing one key insert one row: the second waits, then fails.
    """

    key: str = Field(primary_key=True, max_length=100)
    subject: str = Field(max_length=64)
    submitted_at: dt.datetime = Field(sa_column=utc_column())
