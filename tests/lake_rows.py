"""Helpers shared by the feature tests: events as dicts → a lake-shaped Arrow table."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from credo.lake.delta import LAKE_SCHEMA


def to_table(events: list[dict[str, Any]]) -> pa.Table:
    columns = {f.name: [e.get(f.name) for e in events] for f in LAKE_SCHEMA}
    columns["schema_version"] = [1] * len(events)
    columns["month"] = [e["occurred_at"].strftime("%Y-%m") for e in events]
    return pa.Table.from_pydict(columns, schema=LAKE_SCHEMA)


def credit_event(
    event_id: str,
    subject: str,
    occurred_at: datetime,
    *,
    type_: str = "repayment",
    days_past_due: int = 0,
    source: str = "bank",
    ingested_at: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A credit-history event as a lake row (ingested an hour after it occurred by default)."""
    return {
        "event_id": event_id,
        "source": source,
        "subject": subject,
        "type": type_,
        "category": "history",
        "occurred_at": occurred_at,
        "ingested_at": ingested_at or occurred_at + timedelta(hours=1),
        "supersedes": None,
        "account_ref": "a",
        "amount_minor": 100,
        "days_past_due": days_past_due,
        "status": None,
        "kind": None,
        **fields,
    }
