"""Events as of an instant: the only view of the lake that characteristics ever see.

An event counts for an as-of instant when it occurred *and* was ingested before it (so a late
report never rewrites history that was already scored), when no visible correction supersedes
it, and when it is not excluded (pending or upheld dispute). Each event carries its source's
reliability as the weight ``w`` and its age in days, ``age_days``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from credo.clock import utc

__all__ = ["DAYS_PER_MONTH", "EXACT", "events_as_of", "exact_sum", "latest_per_key"]

DAYS_PER_MONTH = 30.4375  # mean Gregorian month, so "months since" does not drift over years
EXACT = dt.Decimal(38, 12)


def exact_sum(value: ir.NumericValue, where: ir.BooleanValue | None = None) -> ir.FloatingValue:
    """The sum of ``value`` as a double, added exactly (in decimal) so that it does not depend
    on the order parallel workers add in: the same events always give the same bits."""
    return value.cast(EXACT).sum(where=where).cast("float64")


_SECONDS_PER_DAY = 86_400


def events_as_of(
    events: ir.Table,
    as_of: datetime,
    *,
    reliability: Mapping[str, float],
    excluded: Iterable[tuple[str, str]] = (),
    known_at: datetime | None = None,
) -> ir.Table:
    """The events that count as of ``as_of``, with weight ``w``, ``age_days`` and the instant
    itself as ``as_of_seconds`` (Unix seconds).

    Parameters
    ----------
    events
        The event lake as an ibis table (any engine).
    as_of
        The instant (aware); events at or after it are invisible.
    reliability
        Weight of each source; events of a source not listed weigh 0 (fail closed).
    excluded
        ``(source, event_id)`` pairs left out (disputed events).
    known_at
        Only events ingested before this instant count; by default ``as_of`` itself ("as
        known then", reproducible). A later instant rebuilds the past from history loaded
        afterwards ("as known now", for back-filled sources and training sets).
    """
    cutoff = ibis.literal(utc(as_of))
    known = ibis.literal(utc(known_at if known_at is not None else as_of))
    visible = events.filter((events.occurred_at < cutoff) & (events.ingested_at < known))
    corrections = visible.filter(visible.supersedes.notnull())
    superseded = corrections.select(
        s_source=corrections.source, s_event_id=corrections.supersedes
    ).distinct()
    visible = visible.anti_join(
        superseded,
        [visible.source == superseded.s_source, visible.event_id == superseded.s_event_id],
    )
    keys = sorted({f"{source}\x1f{event_id}" for source, event_id in excluded})
    if keys:
        visible = visible.filter(~(visible.source.concat("\x1f", visible.event_id)).isin(keys))
    weight = (
        ibis.cases(
            *(
                (visible.source == name, float(value))
                for name, value in sorted(reliability.items())
            ),
            else_=0.0,
        )
        if reliability
        else ibis.literal(0.0)
    )
    now_seconds = int(utc(as_of).timestamp())
    # whole seconds: Spark's unix_timestamp truncates, DuckDB's epoch keeps the fraction
    age_seconds = ibis.literal(now_seconds) - visible.occurred_at.epoch_seconds().floor()
    return visible.mutate(
        w=weight.cast("float64"),
        age_days=age_seconds.cast("float64") / _SECONDS_PER_DAY,
        as_of_seconds=ibis.literal(now_seconds, "int64"),
    )


def latest_per_key(events: ir.Table, value: ir.Value, keys: list[str]) -> ir.Table:
    """Per key, ``value`` of the latest event (the largest among ties, so every engine agrees),
    with the weight ``w`` of that event."""
    rows = events.mutate(value=value)
    last = rows.group_by(keys).aggregate(last_at=rows.occurred_at.max())
    joined = rows.join(last, [*keys, rows.occurred_at == last.last_at])
    return joined.group_by(keys).aggregate(value=joined.value.max(), w=joined.w.max())
