"""The model registry: trained models as JSON artifacts, their history, and the active one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, RowMapping, insert, select, update

from credo.errors import ConflictError, NotFoundError
from credo.storage.tables import models

__all__ = ["ModelRecord", "ModelRegistry"]


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """A registered model; ``artifact`` is the JSON document itself."""

    id: int
    version: str
    kind: str
    created_at: datetime
    active: bool
    trained_as_of: datetime | None
    origin: str
    auc: float | None
    sha256: str
    artifact: str


def _record(row: RowMapping) -> ModelRecord:
    return ModelRecord(**{name: row[name] for name in ModelRecord.__slots__})


class ModelRegistry:
    """Models in the operational store; at most one is active (the one monthly runs use)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def register(
        self,
        *,
        artifact: str,
        sha256: str,
        kind: str,
        created_at: datetime,
        origin: str,
        trained_as_of: datetime | None = None,
        auc: float | None = None,
        activate: bool = True,
    ) -> ModelRecord:
        """Store a model under a new version (``<kind>-<n>``) and, by default, make it the
        active one (the previously active model stays, inactive, in the history)."""
        with self._engine.begin() as conn:
            taken = conn.execute(select(models.c.id).where(models.c.sha256 == sha256)).first()
            if taken is not None:
                raise ConflictError(f"this model (sha256 {sha256[:12]}…) is already registered")
            count = conn.execute(select(models.c.id).order_by(models.c.id.desc())).first()
            version = f"{kind}-{(count[0] if count else 0) + 1:04d}"
            if activate:
                conn.execute(update(models).values(active=False))
            conn.execute(
                insert(models).values(
                    version=version,
                    kind=kind,
                    created_at=created_at,
                    active=activate,
                    trained_as_of=trained_as_of,
                    origin=origin,
                    auc=auc,
                    sha256=sha256,
                    artifact=artifact,
                )
            )
        return self.get(version)

    def get(self, version: str) -> ModelRecord:
        """The model registered as ``version``."""
        with self._engine.connect() as conn:
            row = conn.execute(select(models).where(models.c.version == version)).mappings().first()
        if row is None:
            raise NotFoundError(
                f"no model {version!r}; `credo model list` shows the registered ones"
            )
        return _record(row)

    def active(self) -> ModelRecord | None:
        """The active model, if any."""
        with self._engine.connect() as conn:
            row = conn.execute(select(models).where(models.c.active)).mappings().first()
        return None if row is None else _record(row)

    def history(self) -> list[ModelRecord]:
        """Every registered model, newest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(models).order_by(models.c.id.desc())).mappings().all()
        return [_record(row) for row in rows]

    def activate(self, version: str) -> ModelRecord:
        """Make ``version`` the active model (in one transaction)."""
        self.get(version)
        with self._engine.begin() as conn:
            conn.execute(update(models).values(active=False))
            conn.execute(update(models).where(models.c.version == version).values(active=True))
        return self.get(version)
