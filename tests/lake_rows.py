"""Helpers shared by the feature tests: events as dicts → a lake-shaped Arrow table."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from credo.lake.delta import LAKE_SCHEMA


def to_table(events: list[dict[str, Any]]) -> pa.Table:
    columns = {f.name: [e.get(f.name) for e in events] for f in LAKE_SCHEMA}
    columns["schema_version"] = [1] * len(events)
    columns["month"] = [e["occurred_at"].strftime("%Y-%m") for e in events]
    return pa.Table.from_pydict(columns, schema=LAKE_SCHEMA)
