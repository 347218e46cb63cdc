"""Where characteristic expressions run: DuckDB in process (default), Apache Spark at scale."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from credo.errors import ConfigurationError
from credo.lake.delta import DeltaEventLake
from credo.settings import DuckDBEngine, SparkEngine

__all__ = ["DuckDBFeatureEngine", "feature_engine"]


class DuckDBFeatureEngine:
    """DuckDB over the lake's active files (a registered Arrow dataset: filters and partition
    pruning are pushed down, and no DuckDB extension has to be downloaded)."""

    def __init__(self, settings: DuckDBEngine) -> None:
        options: dict[str, Any] = {}
        if settings.threads is not None:
            options["threads"] = settings.threads
        if settings.memory_limit is not None:
            options["memory_limit"] = settings.memory_limit
        self._backend = ibis.duckdb.connect(**options)

    def events(self, lake: DeltaEventLake) -> ir.Table:
        """The event table as an ibis expression."""
        self._backend.con.register("events", lake.dataset())
        return self._backend.table("events")

    def execute(self, expr: ir.Table) -> pa.Table:
        """Run ``expr`` and return the result as Arrow."""
        return expr.to_pyarrow()

    def close(self) -> None:
        """Release the connection."""
        self._backend.disconnect()


def feature_engine(settings: DuckDBEngine | SparkEngine) -> DuckDBFeatureEngine:
    """The engine the settings name."""
    if isinstance(settings, DuckDBEngine):
        return DuckDBFeatureEngine(settings)
    raise ConfigurationError(
        "the Spark engine for characteristics is not available yet (issue 3 is in progress); "
        "use CREDO_ENGINE__KIND=duckdb"
    )
