"""Alembic environment: the engine comes from :func:`credo.storage.db.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from credo.storage.tables import metadata

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through credo.storage.db.migrate()")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
