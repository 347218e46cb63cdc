"""The event lake: one Delta table of pseudonymous events, partitioned by month.

Appends are single Delta commits (a killed writer leaves the previous version), so readers and
the monthly run always see whole ingests. Engines read the table's active files through
``deltalake`` (``DeltaTable.to_pyarrow_dataset``), which needs no DuckDB or Spark extension.

Erasure and retention remove events physically (:meth:`DeltaEventLake.purge`): a Delta delete,
a vacuum of every file the table no longer references, and a checkpoint after which the older
log files (whose add actions carry per-file min/max statistics, and whose delete actions carry
the predicate) are removed. Two file locks next to the table keep that safe: writers (ingest,
purge) hold ``.ingest.lock`` in turn, and long readers (the monthly run, a re-score, training)
hold ``.readers.lock`` shared, which a purge takes exclusive before it deletes files.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from credo.errors import LakeError
from credo.events.schemas import ARROW_TYPES, payload_columns, payload_field_roles

__all__ = [
    "LAKE_SCHEMA",
    "DeltaEventLake",
    "LakeBusyError",
    "LakeSummary",
    "Purge",
    "lake_column_name",
]

_LOG_FILE = re.compile(r"(\d{20})\.(json|checkpoint\.parquet|checkpoint\.\d+\.\d+\.parquet|crc)")


class LakeBusyError(LakeError):
    """The lake is being read or written and the caller chose not to wait."""


@contextmanager
def _flock(path: Path, mode: int, *, wait: bool, busy: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, mode if wait else mode | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise LakeBusyError(busy) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True, slots=True)
class Purge:
    """What :meth:`DeltaEventLake.purge` removed."""

    deleted: int
    blanked: int
    files_removed: int
    logs_removed: int
    version: int


def lake_column_name(field: str) -> str:
    """Name of a payload field in the lake: personal fields are kept only as fingerprints."""
    return f"{field}_fp" if payload_field_roles().get(field) == "personal" else field


def _lake_schema() -> pa.Schema:
    roles = payload_field_roles()
    payload = [
        pa.field(
            lake_column_name(name), pa.string() if roles[name] != "plain" else ARROW_TYPES[kind]
        )
        for name, kind in payload_columns().items()
    ]
    envelope = [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("subject", pa.string(), nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("occurred_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("schema_version", pa.int32(), nullable=False),
        pa.field("supersedes", pa.string()),
    ]
    return pa.schema([*envelope, *payload, pa.field("month", pa.string(), nullable=False)])


LAKE_SCHEMA: pa.Schema = _lake_schema()
"""Columns of the event table. ``subject`` and ``counterpart`` are tokens, ``*_ref`` are keyed
hashes, ``*_fp`` keyed fingerprints of personal fields; ``month`` (``YYYY-MM`` of
``occurred_at``) is the partition column."""


@dataclass(frozen=True, slots=True)
class LakeSummary:
    """What the lake holds."""

    version: int
    files: int
    events: int
    subjects: int
    size_bytes: int
    first_month: str | None
    last_month: str | None
    by_source: dict[str, int]
    by_type: dict[str, int]


class DeltaEventLake:
    """The Delta table of events under ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def create(self) -> int:
        """Create the empty table if it does not exist; return its version."""
        if self.exists():
            return self.version()
        self.path.mkdir(parents=True, exist_ok=True)
        DeltaTable.create(
            str(self.path),
            schema=LAKE_SCHEMA,
            partition_by=["month"],
            name="events",
            description="credo event lake (pseudonymous)",
        )
        return 0

    @contextmanager
    def writing(self, *, wait: bool = True) -> Iterator[None]:
        """One writer at a time (ingest, purge): a duplicate check and its append, or a delete
        and its vacuum, must not interleave with another writer."""
        with _flock(
            self.path.parent / ".ingest.lock",
            fcntl.LOCK_EX,
            wait=wait,
            busy="an ingest is writing to the lake",
        ):
            yield

    @contextmanager
    def reading(self, *, wait: bool = True) -> Iterator[None]:
        """Held by long readers (the monthly run, re-scores, training) so that no purge removes
        the files they are reading."""
        with _flock(
            self.path.parent / ".readers.lock",
            fcntl.LOCK_SH,
            wait=wait,
            busy="a purge is removing files from the lake",
        ):
            yield

    def purge(
        self,
        drop: ds.Expression,
        *,
        blank_counterpart: ds.Expression | None = None,
        wait: bool = True,
    ) -> Purge:
        """Remove events physically: rewrite the months holding rows that match ``drop``
        without them, with ``counterpart`` set to null where ``blank_counterpart`` matches, in
        one commit; then vacuum every file the table no longer references (old versions, and
        data files of interrupted appends), checkpoint, and remove the log files older than the
        checkpoint.

        The rewrite is an overwrite of whole month partitions fed by a streamed scan (memory
        holds one batch), not a Delta ``DELETE``: delta-rs 1.6's delete and update write string
        columns as ``string_view``, which pyarrow then cannot filter (delta-rs issue 4579).
        Time travel to versions before the purge ends here: that is the point. ``wait=False``
        raises :class:`LakeBusyError` instead of waiting for a writer or a long reader.
        """
        busy = "the monthly run, a re-score or training is reading the lake"
        with (
            self.writing(wait=wait),
            _flock(self.path.parent / ".readers.lock", fcntl.LOCK_EX, wait=wait, busy=busy),
        ):
            blank = blank_counterpart if blank_counterpart is not None else ds.scalar(False)
            dataset = self.dataset()
            # one scan finds the months to rewrite and counts what goes and what is blanked
            found = dataset.to_table(
                columns={"month": ds.field("month"), "drop": drop, "blank": blank & ~drop},
                filter=drop | blank,
            )
            months = sorted(set(found.column("month").to_pylist()))
            deleted = int(pc.sum(found.column("drop")).as_py() or 0)
            blanked = int(pc.sum(found.column("blank")).as_py() or 0)
            if months:
                self._rewrite(dataset, months, drop, blank_counterpart)
            table = self.table()
            removed = table.vacuum(
                retention_hours=0, dry_run=False, enforce_retention_duration=False, full=True
            )
            table = self.table()
            table.create_checkpoint()
            version = int(table.version())
            logs = 0
            for entry in (self.path / "_delta_log").iterdir():
                match = _LOG_FILE.fullmatch(entry.name)
                if match and int(match.group(1)) < version:
                    entry.unlink()
                    logs += 1
            return Purge(deleted, blanked, len(removed), logs, version)

    def _rewrite(
        self,
        dataset: ds.Dataset,
        months: list[str],
        drop: ds.Expression,
        blank_counterpart: ds.Expression | None,
    ) -> None:
        columns: dict[str, ds.Expression] = {name: ds.field(name) for name in LAKE_SCHEMA.names}
        if blank_counterpart is not None:
            columns["counterpart"] = pc.if_else(
                blank_counterpart, pa.scalar(None, pa.string()), ds.field("counterpart")
            )
        keep = ds.field("month").isin(months) & ~drop
        scanner = dataset.scanner(columns=columns, filter=keep, batch_size=64_000)
        reader = pa.RecordBatchReader.from_batches(
            LAKE_SCHEMA, (batch.cast(LAKE_SCHEMA) for batch in scanner.to_batches())
        )
        listed = ", ".join(f"'{month}'" for month in months)  # YYYY-MM: safe to quote
        write_deltalake(
            str(self.path),
            reader,
            mode="overwrite",
            predicate=f"month IN ({listed})",
            partition_by=["month"],
        )

    def exists(self) -> bool:
        """Whether the table has been created."""
        return (self.path / "_delta_log").is_dir()

    def table(self) -> DeltaTable:
        """The current version of the Delta table."""
        try:
            return DeltaTable(str(self.path))
        except TableNotFoundError as exc:
            raise LakeError(f"no event lake at {self.path}; run `credo init` first") from exc

    def version(self) -> int:
        """Current table version."""
        return int(self.table().version())

    def dataset(self, version: int | None = None) -> ds.Dataset:
        """The table's active files as a pyarrow dataset (partition pruning pushed down)."""
        table = self.table()
        if version is not None:
            table.load_as_version(version)
        return table.to_pyarrow_dataset()

    def existing_keys(self, sources: Iterable[str], months: Iterable[str]) -> set[str]:
        """``source + '\\x1f' + event_id`` of stored events of ``sources`` in ``months``."""
        month_list = sorted(set(months))
        source_list = sorted(set(sources))
        if not month_list or not source_list:
            return set()
        dataset = self.dataset()
        expr = ds.field("month").isin(month_list) & ds.field("source").isin(source_list)
        found = dataset.to_table(columns=["source", "event_id"], filter=expr)
        return {f"{s}\x1f{e}" for s, e in zip(*found.to_pydict().values(), strict=True)}

    def append(self, batches: Iterator[pa.RecordBatch]) -> int:
        """Append ``batches`` in one commit; return the new version.

        The batches are streamed: memory holds one batch, yet readers see either none or all of
        them. Data files of an interrupted append are never referenced by the log.
        """
        failures: list[BaseException] = []

        def guarded() -> Iterator[pa.RecordBatch]:
            # delta-rs wraps errors raised by the stream; keep the original to re-raise it
            try:
                yield from batches
            except BaseException as exc:
                failures.append(exc)
                raise

        reader = pa.RecordBatchReader.from_batches(LAKE_SCHEMA, guarded())
        try:
            write_deltalake(str(self.path), reader, mode="append", partition_by=["month"])
        except TableNotFoundError as exc:
            raise LakeError(f"no event lake at {self.path}; run `credo init` first") from exc
        except Exception as exc:
            if failures:
                raise failures[0] from None
            raise LakeError(f"append to {self.path} failed: {exc}") from exc
        return self.version()

    def compact(self, target_size_bytes: int | None = None) -> dict[str, Any]:
        """Rewrite small files into larger ones (a new version; readers are unaffected)."""
        metrics: dict[str, Any] = self.table().optimize.compact(target_size=target_size_bytes)
        return metrics

    def summary(self) -> LakeSummary:
        """Counts by source and type, months covered, size on disk."""
        table = self.table()
        dataset = table.to_pyarrow_dataset()
        con = duckdb.connect()
        con.register("events", dataset)
        total, subjects, first, last = con.execute(
            "SELECT count(*), count(DISTINCT subject), min(month), max(month) FROM events"
        ).fetchone() or (0, 0, None, None)
        by_source = dict(
            con.execute("SELECT source, count(*) FROM events GROUP BY 1 ORDER BY 1").fetchall()
        )
        by_type = dict(
            con.execute("SELECT type, count(*) FROM events GROUP BY 1 ORDER BY 1").fetchall()
        )
        con.close()
        files = table.file_uris()
        size = sum(Path(uri.removeprefix("file://")).stat().st_size for uri in files)
        return LakeSummary(
            version=int(table.version()),
            files=len(files),
            events=int(total),
            subjects=int(subjects),
            size_bytes=size,
            first_month=first,
            last_month=last,
            by_source=by_source,
            by_type=by_type,
        )
