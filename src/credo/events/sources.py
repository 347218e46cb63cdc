"""The registry of sources: who may send which categories of events, and how reliable they are.

Each source also keeps a tally of how the disputes of its events ended (``upheld``: the person
was right and the record was wrong; ``rejected``: the record stands), the evidence a reliability
estimate is later made from. The tally lives with the source, not with the disputes, so erasing
the people who disputed does not clean a source's record.

The reliability the run weighs a source's events by starts as the one the operator declared at
registration. :meth:`SourceRegistry.apply_estimates` replaces it with an estimate
(:mod:`credo.events.reliability`), keeping every estimate with its evidence, unless the operator
pinned a value (:meth:`SourceRegistry.pin`); every change is in the audit chain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from credo.clock import Clock
from credo.consent.audit import AuditLog
from credo.errors import ConflictError, InvalidInputError, NotFoundError
from credo.events.reliability import ReliabilityEstimate
from credo.events.schemas import CATEGORIES, Category
from credo.storage.tables import reliability_estimates, sources

__all__ = [
    "AppliedEstimates",
    "DisputeOutcome",
    "Source",
    "SourceRegistry",
    "StoredEstimate",
    "parse_categories",
]

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
    reliability_declared: float = 1.0


@dataclass(frozen=True, slots=True)
class StoredEstimate:
    """The last estimate stored for a source: when, its value, and whether it became the
    weight (not when the source was pinned)."""

    source: str
    estimated_at: datetime
    estimate: float
    applied: bool


@dataclass(frozen=True, slots=True)
class AppliedEstimates:
    """What :meth:`SourceRegistry.apply_estimates` did: ``weights`` maps each source whose
    estimate became its weight to its old and new weight; ``pinned`` sources kept theirs."""

    at: datetime
    weights: dict[str, tuple[float, float]]
    pinned: tuple[str, ...]


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
        _check_reliability(reliability)
        row = {
            "name": name,
            "categories": ",".join(sorted(cats)),
            "reliability": reliability,
            "reliability_pinned": False,
            "reliability_declared": reliability,
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

    def pin(self, name: str, reliability: float, *, audit: AuditLog) -> Source:
        """Fix ``name``'s reliability at ``reliability``: estimates no longer change it."""
        _check_reliability(reliability)
        with audit.writing() as conn:
            previous = self._read(conn, name)
            conn.execute(
                update(sources)
                .where(sources.c.name == name)
                .values(reliability=reliability, reliability_pinned=True)
            )
            detail = {"source": name, "from": previous.reliability, "to": reliability}
            audit.append("operator", "source.reliability.pinned", None, detail, conn=conn)
        return self.get(name)

    def unpin(self, name: str, *, audit: AuditLog) -> Source:
        """Let estimates change ``name``'s reliability again (it keeps its value until the next
        :meth:`apply_estimates`)."""
        with audit.writing() as conn:
            previous = self._read(conn, name)
            conn.execute(
                update(sources).where(sources.c.name == name).values(reliability_pinned=False)
            )
            detail = {"source": name, "reliability": previous.reliability}
            audit.append("operator", "source.reliability.unpinned", None, detail, conn=conn)
        return self.get(name)

    def apply_estimates(
        self, estimates: Iterable[ReliabilityEstimate], *, audit: AuditLog
    ) -> AppliedEstimates:
        """Store ``estimates`` with their evidence and make each the source's reliability,
        except for pinned sources (pinned now, whatever the estimate saw), in one transaction
        with one ``source.reliability`` audit entry (counts and values only)."""
        rows = list(estimates)
        at = self._clock.now()
        weights: dict[str, tuple[float, float]] = {}
        pinned: list[str] = []
        with audit.writing() as conn:
            for estimate in rows:
                current = self._read(conn, estimate.source)
                applied = not current.reliability_pinned
                if applied:
                    conn.execute(
                        update(sources)
                        .where(sources.c.name == estimate.source)
                        .values(reliability=estimate.estimate)
                    )
                    weights[estimate.source] = (current.reliability, estimate.estimate)
                else:
                    pinned.append(estimate.source)
                conn.execute(
                    insert(reliability_estimates).values(
                        source=estimate.source,
                        estimated_at=at,
                        estimate=estimate.estimate,
                        previous=current.reliability,
                        applied=applied,
                        evidence=json.dumps(estimate.evidence(), sort_keys=True),
                    )
                )
            detail = {
                "estimated": len(rows),
                "weights": {
                    name: {"from": old, "to": round(new, 4)}
                    for name, (old, new) in sorted(weights.items())
                },
                "pinned": sorted(pinned),
            }
            audit.append("operator", "source.reliability", None, detail, conn=conn)
        return AppliedEstimates(at=at, weights=weights, pinned=tuple(sorted(pinned)))

    def last_estimates(self) -> dict[str, StoredEstimate]:
        """The last stored estimate of each source that has one."""
        latest = (
            select(func.max(reliability_estimates.c.id))
            .group_by(reliability_estimates.c.source)
            .scalar_subquery()
        )
        query = select(reliability_estimates).where(reliability_estimates.c.id.in_(latest))
        with self._engine.connect() as conn:
            return {
                row["source"]: StoredEstimate(
                    source=row["source"],
                    estimated_at=row["estimated_at"],
                    estimate=float(row["estimate"]),
                    applied=bool(row["applied"]),
                )
                for row in conn.execute(query).mappings()
            }

    @staticmethod
    def _read(conn: Connection, name: str) -> Source:
        """``name`` as ``conn``'s transaction sees it (pins and estimates are written under the
        audit chain's write lock, so they never interleave)."""
        row = conn.execute(select(sources).where(sources.c.name == name)).mappings().first()
        if row is None:
            raise NotFoundError(f"source {name!r} is not registered (see `credo source add`)")
        return _source(row)


def _check_reliability(value: float) -> None:
    if not 0.0 < value <= 1.0:
        raise InvalidInputError(f"reliability must be in (0, 1], got {value}")


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
        reliability_declared=float(data["reliability_declared"]),
    )
