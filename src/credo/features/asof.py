"""Events as of an instant: the only view of the lake that characteristics ever see.

An event counts for an as-of instant when it occurred *and* was ingested before it (so a late
report never rewrites history that was already scored), when no visible correction supersedes
it, when it is not excluded (pending or upheld dispute), and, for a negative record, when its
retention period has not run out (:func:`expired_negatives`). Each event carries its source's
reliability as the weight ``w`` and its age in days, ``age_days``.

Negative records and their retention are declared in :mod:`credo.events.negative`; a negative
record whose period ran out before the as-of instant does not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from credo.clock import utc
from credo.events.negative import BEHAVIOUR_KEYS, DEFAULT_RETENTION_DAYS, NEGATIVE_RULES, POSITIVE

__all__ = [
    "DAYS_PER_MONTH",
    "EXACT",
    "events_as_of",
    "exact_sum",
    "expired_negatives",
    "is_negative",
    "latest_per_key",
]

DAYS_PER_MONTH = 30.4375  # mean Gregorian month, so "months since" does not drift over years
EXACT = dt.Decimal(38, 12)


def exact_sum(value: ir.NumericValue, where: ir.BooleanValue | None = None) -> ir.FloatingValue:
    """The sum of ``value`` as a double, added exactly (in decimal) so that it does not depend
    on the order parallel workers add in: the same events always give the same bits."""
    return value.cast(EXACT).sum(where=where).cast("float64")


_SECONDS_PER_DAY = 86_400


def is_negative(e: ir.Table) -> ir.BooleanValue:
    """Whether each event is a negative record (:data:`credo.events.negative.NEGATIVE_RULES`)."""
    parts: list[ir.BooleanValue] = []
    for event_type, rule in NEGATIVE_RULES.items():
        if rule is None:
            parts.append(e.type == event_type)
            continue
        name, condition = rule
        value = e[name]
        if condition == POSITIVE:
            matched = value.fill_null(0) > 0
        else:
            matched = value.fill_null("").isin(list(condition))
        parts.append((e.type == event_type) & matched)
    result = parts[0]
    for part in parts[1:]:
        result = result | part
    return result


def expired_negatives(
    events: ir.Table, as_of: datetime, retention: Mapping[str, int] | None = None
) -> ir.Table:
    """The negative records among ``events`` whose retention period (days per category,
    :data:`~credo.events.negative.DEFAULT_RETENTION_DAYS` where not given) ended by ``as_of``,
    counted from the last negative record on the same account or contract: ``x_source``,
    ``x_event_id``, ``x_category``, ``x_type`` and ``x_supersedes`` (the event it corrects)."""
    days = dict(retention or {})
    negative = events.filter(is_negative(events))
    behaviour = ibis.coalesce(*(negative[key] for key in BEHAVIOUR_KEYS), negative.event_id)
    negative = negative.mutate(behaviour=behaviour)
    ends = negative.group_by(["subject", "source", "behaviour"]).aggregate(
        ended=negative.occurred_at.max()
    )
    joined = negative.join(ends, ["subject", "source", "behaviour"])
    period = (
        ibis.cases(
            *((joined.category == name, int(value)) for name, value in sorted(days.items())),
            else_=DEFAULT_RETENTION_DAYS,
        )
        if days
        else ibis.literal(DEFAULT_RETENTION_DAYS)
    )
    start = utc(as_of).timestamp()
    # the period ends at ended + period; expired when that is at or before as_of
    ended_seconds = joined.ended.epoch_seconds().floor()
    expired = ended_seconds + period.cast("int64") * _SECONDS_PER_DAY <= ibis.literal(int(start))
    return joined.filter(expired).select(
        x_source=joined.source,
        x_event_id=joined.event_id,
        x_category=joined.category,
        x_type=joined.type,
        x_supersedes=joined.supersedes,
    )


def events_as_of(
    events: ir.Table,
    as_of: datetime,
    *,
    reliability: Mapping[str, float],
    excluded: Iterable[tuple[str, str]] = (),
    known_at: datetime | None = None,
    retention: Mapping[str, int] | None = None,
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
    retention
        Days a negative record counts after the behaviour ended, per category
        (:data:`DEFAULT_RETENTION_DAYS` for a category not given).
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
    expired = expired_negatives(visible, as_of, retention)
    visible = visible.anti_join(
        expired, [visible.source == expired.x_source, visible.event_id == expired.x_event_id]
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
