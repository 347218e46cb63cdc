"""The registry of sources: who may send which categories of events, and how reliable they are.

Each source also keeps a tally of how the disputes of its events ended (``upheld``: the person
was right and the record was wrong; ``rejected``: the record stands), the evidence a reliability
estimate is later made from. The tally lives with the source, not with the disputes, so erasing
the people who disputed does not clean a source's record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import IntegrityError

from credo.clock import Clock
from credo.errors import ConflictError, InvalidInputError, NotFoundError
from credo.events.schemas import CATEGORIES, Category
from credo.storage.tables import sources

__all__ = ["DisputeOutcome", "Source", "SourceRegistry", "parse_categories"]

DisputeOutcome = Literal["upheld", "rejected"]
"""How a dispute ended: ``upheld`` (the person is right, the record was wrong) or ``rejected``."""

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


@dataclass(frozen=True, slots=True)
class Source:
    """A registered source, with the tally of its disputes' outcomes."""

    name: str
    categories: frozenset[Category]
    reliability: float
    reliability_pinned: bool
    description: str
    created_at: datetime
    disputes_upheld: int = 0
    disputes_rejected: int = 0


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

    def record_dispute_outcome(
        self, name: str, outcome: DisputeOutcome, *, conn: Connection | None = None
    ) -> None:
        """Count one more dispute of ``name``'s events ending ``outcome`` (in ``conn``'s
        transaction when given, so the tally moves with the dispute it counts)."""
        column = {"upheld": sources.c.disputes_upheld, "rejected": sources.c.disputes_rejected}
        if outcome not in column:
            raise InvalidInputError(f"a dispute ends upheld or rejected, got {outcome!r}")
        statement = (
            update(sources)
            .where(sources.c.name == name)
            .values({column[outcome]: column[outcome] + 1})
        )
        if conn is not None:
            counted = conn.execute(statement).rowcount
        else:
            with self._engine.begin() as own:
                counted = own.execute(statement).rowcount
        if counted != 1:
            raise NotFoundError(f"source {name!r} is not registered (see `credo source add`)")

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
        disputes_upheld=int(data["disputes_upheld"]),
        disputes_rejected=int(data["disputes_rejected"]),
    )
