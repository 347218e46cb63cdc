"""Characteristics of everyone as of an instant, from a credo home's lake and sources."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

import ibis
import pyarrow as pa

from credo.errors import InvalidInputError
from credo.events.sources import SourceRegistry
from credo.features.asof import expired_negatives
from credo.features.build import characteristics_expr
from credo.features.engines import feature_engine
from credo.features.training import training_set
from credo.lake.delta import DeltaEventLake
from credo.settings import DuckDBEngine, SparkEngine

__all__ = ["build_characteristics", "build_training_set", "expired_records", "parse_as_of"]


def parse_as_of(text: str) -> datetime:
    """``YYYY-MM-DD`` means the end of that day (UTC); a full ISO instant needs an offset.

    >>> parse_as_of("2026-10-31").isoformat()
    '2026-11-01T00:00:00+00:00'
    """
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInputError(
            f"as-of {text!r} is not a date (YYYY-MM-DD) or ISO instant"
        ) from exc
    if instant.tzinfo is None:
        raise InvalidInputError(f"as-of {text!r} needs a UTC offset")
    return instant.astimezone(UTC)


def build_characteristics(
    lake: DeltaEventLake,
    sources: SourceRegistry,
    as_of: datetime,
    *,
    engine: DuckDBEngine | SparkEngine,
    known_at: datetime | None = None,
    excluded: Iterable[tuple[str, str]] = (),
    retention: Mapping[str, int] | None = None,
    tie_scores: pa.Table | None = None,
) -> pa.Table:
    """One row per person with any event visible as of ``as_of``, one column per
    characteristic; events weigh their source's reliability.

    ``tie_scores`` (``subject``, ``score``) are the previous published snapshot's scores,
    for the ties' average score; without it that characteristic is missing.
    """
    reliability = {s.name: s.reliability for s in sources.all()}
    runner = feature_engine(engine)
    try:
        expr = characteristics_expr(
            runner.events(lake),
            as_of,
            reliability=reliability,
            excluded=excluded,
            retention=retention,
            known_at=known_at,
            tie_scores=None if tie_scores is None else runner.table("tie_scores", tie_scores),
        )
        return runner.execute(expr)
    finally:
        runner.close()


def build_training_set(
    lake: DeltaEventLake,
    sources: SourceRegistry,
    as_of_dates: Sequence[datetime],
    *,
    outcome_months: int = 12,
    engine: DuckDBEngine | SparkEngine,
    known_at: datetime,
    excluded: Iterable[tuple[str, str]] = (),
    retention: Mapping[str, int] | None = None,
) -> pa.Table:
    """Characteristics at each date joined with the outcome in the following window, for
    training a model (see :mod:`credo.features.training`); ``excluded`` ``(source, event_id)``
    pairs (disputed events) count neither as characteristics nor as outcomes."""
    if not as_of_dates:
        raise InvalidInputError("give at least one as-of date for a training set")
    if outcome_months < 1:
        raise InvalidInputError(f"outcome_months must be at least 1, got {outcome_months}")
    reliability = {s.name: s.reliability for s in sources.all()}
    runner = feature_engine(engine)
    try:
        return training_set(
            runner.events(lake),
            as_of_dates,
            outcome_months=outcome_months,
            reliability=reliability,
            known_at=known_at,
            execute=runner.execute,
            excluded=excluded,
            retention=retention,
        )
    finally:
        runner.close()


def expired_records(
    lake: DeltaEventLake,
    as_of: datetime,
    *,
    engine: DuckDBEngine | SparkEngine,
    retention: Mapping[str, int] | None,
) -> pa.Table:
    """The lake's negative records whose retention period ran out by ``as_of``
    (:func:`credo.features.asof.expired_negatives` over every event, whenever ingested):
    ``source``, ``event_id``, ``category``, ``type`` and ``supersedes``."""
    runner = feature_engine(engine)
    try:
        events = runner.events(lake)
        seen = events.filter(events.occurred_at < ibis.literal(as_of))
        expired = expired_negatives(seen, as_of, retention)
        return runner.execute(
            expired.select(
                source=expired.x_source,
                event_id=expired.x_event_id,
                category=expired.x_category,
                type=expired.x_type,
                supersedes=expired.x_supersedes,
            ).order_by(["source", "event_id"])
        )
    finally:
        runner.close()
