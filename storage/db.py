"""Engines, sessions, UTC datetimes and Alembic migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import SecretStr
from sqlalchemy import DateTime, Engine, Float, event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC that always comes back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass a timezone-aware value")
        value = value.astimezone(dt.UTC)
        # SQLite has no time zone type; keep a naive UTC value there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        # SQLite drops tzinfo on the way in; re-attach UTC on the way out.
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class DatabaseNotReady(Exception):
    """The database is unreachable or not migrated to the code's schema."""


def normalise_url(url: str) -> str:
    """Return `url` with PostgreSQL URLs pointed at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_file(url: str | SecretStr) -> Path | None:
    """Return the file a SQLite URL names (None for another database, an in-memory one or a `file:` URI)."""
    parsed = make_url(normalise_url(url.get_secret_value() if isinstance(url, SecretStr) else url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:") or parsed.query.get("uri"):
        return None
    return Path(parsed.database)


def make_engine(url: str | SecretStr, *, pool_size: int = 20) -> Engine:
    """Create an engine for `url` (CCBOT_DATABASE_URL, held as a secret) with settings suited to a threaded server.

    Its errors name the statement, never its parameters: a traceback in the log holds no question's text.
    """
    url = normalise_url(url.get_secret_value() if isinstance(url, SecretStr) else url)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            # As many kept connections as PostgreSQL's: a busy server reuses them instead of opening
            # (and setting up) an overflow connection for each request beyond the fifth.
            kwargs.update(pool_size=pool_size, max_overflow=pool_size)
    else:
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_recycle=1800)
    engine = create_engine(url, hide_parameters=True, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    if not _is_memory(dbapi_connection):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _is_memory(dbapi_connection: Any) -> bool:
    cursor = dbapi_connection.cursor()
    try:
        rows = cursor.execute("PRAGMA database_list").fetchall()
    finally:
        cursor.close()
    return any(row[1] == "main" and not row[2] for row in rows)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory whose objects stay readable after commit."""
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    """Return an Alembic config that migrates `engine` with the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("storage") / "migrations"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(engine), revision)


def head_revision(engine: Engine) -> str | None:
    """Return the newest migration revision the code knows."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def describe_error(exc: BaseException) -> str:
    """Return one line saying why the database refused (the driver's first line, never the URL)."""
    original = getattr(exc, "orig", None) or exc
    first = next((line.strip() for line in str(original).splitlines() if line.strip()), "")
    return f"{original.__class__.__name__}: {first}" if first else original.__class__.__name__


def reachable_revision(engine: Engine) -> str | None:
    """Return the database's revision like current_revision, raising DatabaseNotReady when it cannot be reached."""
    try:
        return current_revision(engine)
    except Exception as exc:
        raise DatabaseNotReady(
            f"cannot reach the database ({describe_error(exc)}): check CCBOT_DATABASE_URL and that the server is up"
        ) from None


def check_ready(engine: Engine) -> None:
    """Raise DatabaseNotReady unless the database answers and is at the newest migration."""
    current = reachable_revision(engine)
    head = head_revision(engine)
    if current != head:
        state = "not migrated" if current is None else f"at revision {current}, code needs {head}"
        raise DatabaseNotReady(f"the database is {state}: run `ccbot db upgrade`")


def check_writable(engine: Engine) -> None:
    """Write a row and roll it back; raises when the database refuses writes (read-only, disk full)."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            connection.execute(
                text("INSERT INTO slack_event (event_id, received_at) VALUES (:id, :at)"),
                {"id": f"ccbot-readyz-{dt.datetime.now(dt.UTC).timestamp()}", "at": dt.datetime.now(dt.UTC)},
            )
        finally:
            transaction.rollback()


class seconds_between(FunctionElement[float]):
    """SQL for the seconds from one timestamp column to another, on SQLite and PostgreSQL."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (
        f"((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)})) * 86400.0)"
    )


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)}))"


def insert_once(session: Session, row: object) -> bool:
    """Add a row unless a unique constraint says it is already there; return whether it was added.

    The insert runs in a savepoint, so a duplicate leaves the rest of the transaction untouched.
    """
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


# Rows per statement in `insert_many_once`: well within SQLite's and PostgreSQL's limits on bound parameters.
INSERT_BATCH = 500


def insert_many_once(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows, each unless a unique constraint says it is already there; return how many were inserted.

    What `insert_once` does row by row, in a few statements (`ON CONFLICT DO NOTHING`, on SQLite and
    PostgreSQL alike): a row another transaction inserted first is skipped, and so is a repeat within `rows`
    (the first one wins). Every row must name the same columns. Pending ORM changes are flushed first.
    """
    if not rows:
        return 0
    session.flush()
    target = getattr(table, "__table__", table)
    dialect = session.get_bind().dialect.name
    build = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = build(target).on_conflict_do_nothing().returning(target.c[_first_key(target)])
    inserted = 0
    for start in range(0, len(rows), INSERT_BATCH):
        inserted += len(session.execute(statement, list(rows[start : start + INSERT_BATCH])).all())
    return inserted


def _first_key(table: Any) -> str:
    return str(next(iter(table.primary_key.columns)).name)
