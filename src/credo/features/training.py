"""Training sets: characteristics as of each date, joined with what happened next.

The outcome of a person at as-of instant ``T`` is *bad* when a default, a collection or a
repayment 90 or more days past due occurred in ``[T, T + outcome_months)``. Characteristics use
only events before ``T``; outcomes only events from ``T`` on: nothing leaks across ``T``.
People already bad before ``T`` are flagged (``bad_before``) so a trainer can leave them out, as
credit scorecards do for accounts already in default at the observation point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from credo.clock import utc
from credo.features.asof import events_as_of
from credo.features.build import characteristics_expr

__all__ = ["BAD_DAYS_PAST_DUE", "add_months", "outcomes_expr", "training_set"]

BAD_DAYS_PAST_DUE = 90


def add_months(instant: datetime, months: int) -> datetime:
    """``instant`` moved by whole calendar months (the day clipped to the month's end).

    >>> add_months(datetime(2026, 1, 31), 1).isoformat()
    '2026-02-28T00:00:00'
    """
    index = instant.year * 12 + instant.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return instant.replace(year=year, month=month, day=min(instant.day, days))


def outcomes_expr(
    events: ir.Table,
    as_of: datetime,
    outcome_months: int,
    *,
    reliability: Mapping[str, float],
    known_at: datetime,
    excluded: Iterable[tuple[str, str]] = (),
    retention: Mapping[str, int] | None = None,
) -> ir.Table:
    """Per subject with a bad event: ``bad`` (in the window) and ``bad_before`` (before it);
    disputed events (``excluded``) are no outcome, as they are no characteristic."""
    end = add_months(utc(as_of), outcome_months)
    seen = events_as_of(
        events,
        end,
        reliability=reliability,
        excluded=excluded,
        retention=retention,
        known_at=known_at,
    )
    bad = seen.filter(
        (seen.w > 0)
        & (
            seen.type.isin(["default", "collection"])
            | ((seen.type == "repayment") & (seen.days_past_due >= BAD_DAYS_PAST_DUE))
        )
    )
    start = ibis.literal(utc(as_of))
    return bad.group_by("subject").aggregate(
        bad=(bad.occurred_at >= start).cast("int8").max(),
        bad_before=(bad.occurred_at < start).cast("int8").max(),
    )


def training_set(
    events: ir.Table,
    as_of_dates: Sequence[datetime],
    *,
    outcome_months: int = 12,
    reliability: Mapping[str, float],
    known_at: datetime,
    execute: Callable[[ir.Table], pa.Table] | None = None,
    excluded: Iterable[tuple[str, str]] = (),
    retention: Mapping[str, int] | None = None,
) -> pa.Table:
    """Characteristics at each date with ``as_of``, ``bad``, ``bad_before`` and
    ``window_complete`` (whether ``known_at`` is past the end of the outcome window)."""
    parts: list[pa.Table] = []
    for as_of in as_of_dates:
        features = characteristics_expr(
            events,
            as_of,
            reliability=reliability,
            excluded=excluded,
            retention=retention,
            known_at=known_at,
        )
        outcome = outcomes_expr(
            events,
            as_of,
            outcome_months,
            reliability=reliability,
            known_at=known_at,
            excluded=excluded,
            retention=retention,
        )
        joined = features.left_join(outcome, "subject").drop("subject_right")
        complete = add_months(utc(as_of), outcome_months) <= utc(known_at)
        expr = joined.mutate(
            as_of=ibis.literal(utc(as_of)),
            bad=ibis.coalesce(joined.bad, 0).cast("int8"),
            bad_before=ibis.coalesce(joined.bad_before, 0).cast("int8"),
            window_complete=ibis.literal(complete),
        ).order_by("subject")
        parts.append(expr.to_pyarrow() if execute is None else execute(expr))
    return pa.concat_tables(parts)
