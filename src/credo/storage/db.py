"""Connecting to the operational store and migrating it with Alembic."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, create_engine, event

from credo.errors import ConfigurationError

__all__ = ["connect", "current_revision", "head_revision", "insert_ignore", "migrate"]

_MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while an ingest writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # deleted rows are overwritten with zeros, not left in free space (erasure, retention)
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def connect(url: str) -> Engine:
    """Create an engine for ``url`` (``sqlite:///…`` or ``postgresql+psycopg://…``)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        engine = create_engine(url, future=True)
    except Exception as exc:  # SQLAlchemy raises several types for bad URLs and missing drivers
        raise ConfigurationError(f"cannot use database URL {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    command.upgrade(_config(engine), revision)


def head_revision() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory.from_config(_config(create_engine("sqlite://"))).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` when never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _sqlite_value(value: Any) -> Any:
    # the text form SQLAlchemy's SQLite DateTime stores and reads back (UTC, no offset)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def insert_ignore(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert ``rows`` in bulk, skipping those that collide with a unique key (both dialects).

    Goes straight to the driver's ``executemany``: ingest writes tens of thousands of vault rows
    per batch and SQLAlchemy's per-row parameter processing would dominate the cost. Column
    names come from the table definition, never from input.
    """
    batch = list(rows)
    if not batch:
        return
    names = list(batch[0])
    unknown = set(names) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"unknown columns for {table.name}: {sorted(unknown)}")
    columns = ", ".join(names)
    if conn.dialect.name == "postgresql":
        marks = ", ".join(["%s"] * len(names))
        sql = f"INSERT INTO {table.name} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608 - names from the table definition
        params = [tuple(row[name] for name in names) for row in batch]
    elif conn.dialect.name == "sqlite":
        marks = ", ".join(["?"] * len(names))
        sql = f"INSERT OR IGNORE INTO {table.name} ({columns}) VALUES ({marks})"  # noqa: S608 - names checked above
        timed = [name for name in names if isinstance(batch[0][name], datetime)]
        if timed:
            batch = [{**row, **{t: _sqlite_value(row[t]) for t in timed}} for row in batch]
        params = [tuple(row[name] for name in names) for row in batch]
    else:
        raise ValueError(f"unsupported database {conn.dialect.name!r}")
    conn.exec_driver_sql(sql, params)
