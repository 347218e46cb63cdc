"""Where characteristic expressions run: DuckDB in process (default), Apache Spark at scale."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from credo.errors import ConfigurationError
from credo.lake.delta import DeltaEventLake
from credo.settings import DuckDBEngine, SparkEngine

__all__ = ["DuckDBFeatureEngine", "SparkFeatureEngine", "feature_engine", "spark_session"]


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

    def table(self, name: str, data: pa.Table) -> ir.Table:
        """``data`` (small: one row per person at most) as a table named ``name``."""
        self._backend.con.register(name, data)
        return self._backend.table(name)

    def execute(self, expr: ir.Table) -> pa.Table:
        """Run ``expr`` and return the result as Arrow."""
        return expr.to_pyarrow()

    def batches(self, expr: ir.Table, rows: int) -> pa.RecordBatchReader:
        """Run ``expr`` and stream the result ``rows`` at a time (never all in memory)."""
        return expr.to_pyarrow_batches(chunk_size=rows)

    def close(self) -> None:
        """Release the connection."""
        self._backend.disconnect()


def spark_session(settings: SparkEngine) -> Any:
    """A Spark session for ``settings`` (reused while it lives; starting one takes seconds)."""
    try:
        from pyspark.sql import SparkSession  # noqa: PLC0415 - Spark is an optional extra
    except ImportError as exc:
        raise ConfigurationError(
            "the Spark engine needs the spark extra: pip install -e '.[spark]' (and Java 17)"
        ) from exc
    builder = (
        SparkSession.builder.master(settings.master)
        .appName(settings.app_name)
        .config("spark.sql.session.timeZone", "UTC")  # timestamps are UTC everywhere in credo
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
    )
    return builder.getOrCreate()


class SparkFeatureEngine:
    """Apache Spark through ibis's PySpark backend: the same expressions as on DuckDB.

    The lake is read as Delta where the Delta Lake jars are on the classpath, else as exactly
    the table's active Parquet files (what a Delta reader would read at this version).
    """

    def __init__(self, settings: SparkEngine) -> None:
        self._spark = spark_session(settings)
        self._backend = ibis.pyspark.connect(self._spark)

    def events(self, lake: DeltaEventLake) -> ir.Table:
        """The event table as an ibis expression over a Spark DataFrame."""
        base = lake.path.resolve().as_uri()
        try:
            frame = self._spark.read.format("delta").load(base)
        except Exception:  # noqa: BLE001 - no Delta jars: the reader class is simply missing
            files = lake.table().file_uris()
            frame = self._spark.read.option("basePath", base).parquet(*files)
        frame.createOrReplaceTempView("credo_events")
        return self._backend.table("credo_events")

    def table(self, name: str, data: pa.Table) -> ir.Table:
        """``data`` (one row per person at most) as a temporary view named ``name``."""
        self._spark.createDataFrame(data.to_pandas()).createOrReplaceTempView(name)
        return self._backend.table(name)

    def execute(self, expr: ir.Table) -> pa.Table:
        """Run ``expr`` on Spark and collect the (per-person, small) result as Arrow."""
        return expr.to_pyarrow()

    def batches(self, expr: ir.Table, rows: int) -> pa.RecordBatchReader:
        """The result ``rows`` at a time (ibis collects a Spark result to the driver first)."""
        return expr.to_pyarrow_batches(chunk_size=rows)

    def close(self) -> None:
        """Keep the session: the next run reuses it (stopping costs a restart)."""


def feature_engine(
    settings: DuckDBEngine | SparkEngine,
) -> DuckDBFeatureEngine | SparkFeatureEngine:
    """The engine the settings name."""
    if isinstance(settings, DuckDBEngine):
        return DuckDBFeatureEngine(settings)
    return SparkFeatureEngine(settings)
