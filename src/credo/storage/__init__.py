"""The operational store: SQLAlchemy tables, connections and Alembic migrations."""

from credo.storage.db import connect, current_revision, head_revision, insert_ignore, migrate
from credo.storage.tables import metadata

__all__ = ["connect", "current_revision", "head_revision", "insert_ignore", "metadata", "migrate"]
