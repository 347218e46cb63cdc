"""Build the characteristics table as of an instant, on any ibis engine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import ibis.expr.types as ir

from credo.features.asof import events_as_of
from credo.features.behavior import behavior
from credo.features.capacity import capacity
from credo.features.catalog import CATALOG
from credo.features.history import history
from credo.features.identity import identity
from credo.features.network import network

__all__ = ["DIMENSION_BUILDERS", "characteristics_expr"]

DIMENSION_BUILDERS = (history, capacity, identity, behavior, network)
"""One builder per dimension, each a single pass over the as-of events."""


def characteristics_expr(
    events: ir.Table,
    as_of: datetime,
    *,
    reliability: Mapping[str, float],
    excluded: Iterable[tuple[str, str]] = (),
    retention: Mapping[str, int] | None = None,
    known_at: datetime | None = None,
    tie_scores: ir.Table | None = None,
) -> ir.Table:
    """An expression giving one row per subject with any visible event, one column per
    characteristic of the catalogue (``NULL`` where the person has no data for it).

    ``tie_scores`` (subject, score) is the previous published snapshot, for the ties' scores.
    """
    visible = events_as_of(
        events,
        as_of,
        reliability=reliability,
        excluded=excluded,
        retention=retention,
        known_at=known_at,
    )
    table = visible.select("subject").distinct()
    for builder in DIMENSION_BUILDERS:
        part = network(visible, tie_scores) if builder is network else builder(visible)
        table = table.left_join(part, "subject").drop("subject_right")
    names = [c.name for c in CATALOG]
    return table.select("subject", *names).order_by("subject")
