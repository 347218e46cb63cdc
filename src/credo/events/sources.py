"""The registry of sources: who may send which categories of events, and how reliable they are."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from credo.clock import Clock
from credo.errors import ConflictError, InvalidInputError, NotFoundError
from credo.events.schemas import CATEGORIES, Category
from credo.storage.tables import sources

__all__ = ["Source", "SourceRegistry", "parse_categories"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


@dataclass(frozen=True, slots=True)
class Source:
    """A registered source."""

    name: str
    categories: frozenset[Category]
    reliability: float
    reliability_pinned: bool
    description: str
    created_at: datetime


def parse_categories(text: str | Iterable[str]) -> frozenset[Category]:
    """Parse ``history,behavior`` (or an iterable) into categories, refusing unknown ones."""
    items = text.split(",") if isinstance(text, str) else list(text)
    names = [item.strip() for item in items if item.strip()]
    unknown = [name for name in names if name not in CATEGORIES]
    if unknown or not names:
        raise InvalidInputError(
            f"categories must be a non-empty subset of {','.join(CATEGORIES)}; "
            f"got {names or text!r}"
        )
    return frozenset(name for name in CATEGORIES if name in names)


class SourceRegistry:
    """Sources in the operational store."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def add(
        self,
        name: str,
        categories: Iterable[str] | str,
        *,
        reliability: float = 1.0,
        description: str = "",
        exist_ok: bool = False,
    ) -> Source:
        """Register a source; ``exist_ok`` returns an identical existing one instead of failing."""
        if not _NAME.fullmatch(name):
            raise InvalidInputError(
                f"source name {name!r} must be 2-63 lowercase letters, digits or _, "
                "starting with a letter"
            )
        cats = parse_categories(categories)
        if not 0.0 < reliability <= 1.0:
            raise InvalidInputError(f"reliability must be in (0, 1], got {reliability}")
        row = {
            "name": name,
            "categories": ",".join(sorted(cats)),
            "reliability": reliability,
            "reliability_pinned": False,
            "description": description,
            "created_at": self._clock.now(),
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(sources.insert(), row)
        except IntegrityError as exc:
            existing = self.get(name)
            if exist_ok and existing.categories == cats:
                return existing
            raise ConflictError(f"source {name!r} is already registered") from exc
        return self.get(name)

    def get(self, name: str) -> Source:
        """The source called ``name``."""
        with self._engine.connect() as conn:
            row = conn.execute(select(sources).where(sources.c.name == name)).mappings().first()
        if row is None:
            raise NotFoundError(f"source {name!r} is not registered (see `credo source add`)")
        return _source(row)

    def find(self, names: Iterable[str]) -> dict[str, Source]:
        """The registered sources among ``names``."""
        wanted = sorted(set(names))
        with self._engine.connect() as conn:
            rows = conn.execute(select(sources).where(sources.c.name.in_(wanted))).mappings()
            return {row["name"]: _source(row) for row in rows}

    def all(self) -> list[Source]:
        """Every registered source, by name."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(sources).order_by(sources.c.name)).mappings()
            return [_source(row) for row in rows]


def _source(row: object) -> Source:
    data = dict(row)  # type: ignore[call-overload]
    return Source(
        name=data["name"],
        categories=frozenset(data["categories"].split(",")),
        reliability=float(data["reliability"]),
        reliability_pinned=bool(data["reliability_pinned"]),
        description=data["description"],
        created_at=data["created_at"],
    )
