"""Retention: negative records past their period leave the lake (``credo rights retention``).

A negative record stops counting the moment its period runs out (:mod:`credo.events.negative`;
the characteristics and the watchlist apply the rule as of their own instant), so purging is
housekeeping with a deadline, not what makes the rule hold. The purge removes exactly the
expired records, and the events that expired corrections had superseded (a purged correction
must not bring back the record it replaced), through :meth:`credo.lake.delta.DeltaEventLake.purge`
(rewrite, vacuum, old log removed), and records the counts in the audit chain.
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import dataclass
from functools import reduce

import pyarrow as pa
import pyarrow.dataset as ds

from credo.consent.audit import AuditLog
from credo.lake.delta import DeltaEventLake, Purge

__all__ = ["Retention", "drop_expression", "purge_expired"]


@dataclass(frozen=True, slots=True)
class Retention:
    """What a retention pass found and (unless a dry run) purged."""

    expired: int
    superseded: int
    by_category: dict[str, int]
    by_type: dict[str, int]
    purge: Purge | None


def drop_expression(keys: set[tuple[str, str]]) -> ds.Expression:
    """A dataset predicate matching the events of ``keys`` (source, event_id)."""
    by_source: dict[str, list[str]] = {}
    for source, event_id in sorted(keys):
        by_source.setdefault(source, []).append(event_id)
    parts = [
        (ds.field("source") == source) & ds.field("event_id").isin(ids)
        for source, ids in by_source.items()
    ]
    expression: ds.Expression = reduce(operator.or_, parts)
    return expression


def purge_expired(
    lake: DeltaEventLake, audit: AuditLog, expired: pa.Table, *, dry_run: bool = False
) -> Retention:
    """Purge the ``expired`` records (``source``, ``event_id``, ``category``, ``type``,
    ``supersedes``, as :func:`credo.features.service.expired_records` gives them) and the
    events they superseded; ``dry_run`` only counts."""
    rows = expired.to_pylist()
    keys = {(r["source"], r["event_id"]) for r in rows}
    replaced = {(r["source"], r["supersedes"]) for r in rows if r["supersedes"]} - keys
    found = Retention(
        expired=len(keys),
        superseded=len(replaced),
        by_category=dict(sorted(Counter(r["category"] for r in rows).items())),
        by_type=dict(sorted(Counter(r["type"] for r in rows).items())),
        purge=None,
    )
    if dry_run or not keys:
        return found
    purge = lake.purge(drop_expression(keys | replaced))
    audit.append(
        "system",
        "retention.purged",
        None,
        {
            "expired": found.expired,
            "superseded": found.superseded,
            "by_category": found.by_category,
            "lake_version": purge.version,
        },
    )
    return Retention(found.expired, found.superseded, found.by_category, found.by_type, purge=purge)
