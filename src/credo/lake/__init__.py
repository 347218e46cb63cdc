"""The Delta event lake: append-only, ACID, partitioned by month, erasable."""

from credo.lake.delta import LAKE_SCHEMA, DeltaEventLake, LakeSummary, lake_column_name

__all__ = ["LAKE_SCHEMA", "DeltaEventLake", "LakeSummary", "lake_column_name"]
