"""Datasets: what ``credo synth`` and ``credo import`` write and ``credo load`` reads.

A dataset is a folder with a ``manifest.json``::

    {
      "format": "credo-dataset", "version": 1, "generator": "synth",
      "sources": [{"name": "bank", "categories": ["history"], "reliability": 0.95,
                   "description": "…"}],
      "consents": "consents.csv",
      "events": {"bank": ["events/bank/part-00000.parquet", …]},
      "outcomes": "outcomes.parquet",
      "extra": {…}
    }

Event files hold flat events (the envelope columns followed by payload columns, see
:data:`FLAT_EVENT_SCHEMA`), exactly what ``credo ingest`` accepts from any source. The consents
file has the columns ``subject,category,source,action,at`` (``source`` empty = every source,
``action`` ``grant`` or ``withdraw``). Writers stream: memory stays bounded whatever the size.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pyarrow as pa
import pyarrow.parquet as pq

from credo.errors import InvalidInputError, UnreadableInputError
from credo.events.schemas import (
    ARROW_TYPES,
    CATEGORIES,
    ENVELOPE_FIELDS,
    Category,
    payload_columns,
)

__all__ = [
    "FLAT_EVENT_SCHEMA",
    "MANIFEST_NAME",
    "DatasetWriter",
    "Manifest",
    "SourceSpec",
    "read_manifest",
]

MANIFEST_NAME = "manifest.json"


FLAT_EVENT_SCHEMA: pa.Schema = pa.schema(
    [pa.field("type", pa.string(), nullable=False)]
    + [pa.field(name, ARROW_TYPES[spec.kind]) for name, spec in ENVELOPE_FIELDS.items()]
    + [pa.field(name, ARROW_TYPES[kind]) for name, kind in payload_columns().items()]
)
"""Arrow schema of a flat event file: ``type``, the envelope, then every payload field."""


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A source as a dataset declares it."""

    name: str
    categories: tuple[Category, ...]
    reliability: float = 1.0
    description: str = ""

    def __post_init__(self) -> None:
        unknown = [c for c in self.categories if c not in CATEGORIES]
        if unknown:
            raise InvalidInputError(f"source {self.name!r}: unknown categories {unknown}")
        if not 0.0 < self.reliability <= 1.0:
            raise InvalidInputError(
                f"source {self.name!r}: reliability must be in (0, 1], got {self.reliability}"
            )


@dataclass(slots=True)
class Manifest:
    """The parsed ``manifest.json`` of a dataset; paths are relative to ``root``."""

    root: Path
    generator: str
    sources: list[SourceSpec]
    events: dict[str, list[str]]
    consents: str | None = None
    outcomes: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def event_paths(self, source: str) -> list[Path]:
        """Return the event files of ``source``."""
        return [self.root / rel for rel in self.events.get(source, [])]

    def to_json(self) -> dict[str, Any]:
        """Return the manifest as written to disk."""
        return {
            "format": "credo-dataset",
            "version": 1,
            "generator": self.generator,
            "sources": [
                {**asdict(spec), "categories": list(spec.categories)} for spec in self.sources
            ],
            "consents": self.consents,
            "events": self.events,
            "outcomes": self.outcomes,
            "extra": self.extra,
        }


def read_manifest(root: Path) -> Manifest:
    """Read the dataset manifest in ``root``."""
    path = root / MANIFEST_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UnreadableInputError(f"{path}: no dataset manifest (is {root} a dataset?)") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UnreadableInputError(f"{path}: not valid JSON: {exc}") from exc
    if raw.get("format") != "credo-dataset" or raw.get("version") != 1:
        raise UnreadableInputError(f"{path}: not a credo-dataset v1 manifest")
    sources = [
        SourceSpec(
            name=s["name"],
            categories=tuple(s["categories"]),
            reliability=float(s.get("reliability", 1.0)),
            description=s.get("description", ""),
        )
        for s in raw["sources"]
    ]
    return Manifest(
        root=root,
        generator=raw.get("generator", "unknown"),
        sources=sources,
        events={k: list(v) for k, v in raw.get("events", {}).items()},
        consents=raw.get("consents"),
        outcomes=raw.get("outcomes"),
        extra=raw.get("extra", {}),
    )


class DatasetWriter:
    """Stream a dataset to ``root``: event parts per source, consents, outcomes, manifest.

    Use as a context manager; the manifest is written last, on a clean exit only, so a folder
    without a manifest is an incomplete dataset.
    """

    def __init__(
        self,
        root: Path,
        *,
        generator: str,
        sources: Iterable[SourceSpec],
        rows_per_part: int = 1_000_000,
    ) -> None:
        self.root = root
        self._generator = generator
        self._sources = {spec.name: spec for spec in sources}
        self._rows_per_part = rows_per_part
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._rows_in_part: dict[str, int] = {}
        self._parts: dict[str, list[str]] = {name: [] for name in self._sources}
        self._consents_file: Any = None
        self._consents_csv: Any = None
        self._outcomes: pq.ParquetWriter | None = None
        self.extra: dict[str, Any] = {}
        self.event_counts: dict[str, int] = dict.fromkeys(self._sources, 0)

    def __enter__(self) -> Self:
        self.root.mkdir(parents=True, exist_ok=True)
        manifest = self.root / MANIFEST_NAME
        if manifest.exists():
            manifest.unlink()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()
        if exc_type is None:
            self._write_manifest()

    def write_events(self, source: str, columns: Mapping[str, Any]) -> None:
        """Append flat events of ``source``; ``columns`` maps field names to equal-length arrays.

        Missing columns are written as nulls; ``source`` is filled in when absent.
        """
        if source not in self._sources:
            raise InvalidInputError(f"dataset has no source {source!r}")
        lengths = {len(values) for values in columns.values()}
        if len(lengths) != 1:
            raise InvalidInputError(f"columns of unequal length: {sorted(lengths)}")
        (rows,) = lengths
        if rows == 0:
            return
        unknown = set(columns) - set(FLAT_EVENT_SCHEMA.names)
        if unknown:
            raise InvalidInputError(f"unknown event columns {sorted(unknown)}")
        arrays = []
        for f in FLAT_EVENT_SCHEMA:
            if f.name in columns:
                arrays.append(pa.array(columns[f.name], type=f.type))
            elif f.name == "source":
                arrays.append(pa.array([source] * rows, type=f.type))
            else:
                arrays.append(pa.nulls(rows, type=f.type))
        table = pa.Table.from_arrays(arrays, schema=FLAT_EVENT_SCHEMA)
        self._writer(source, rows).write_table(table)
        self._rows_in_part[source] += rows
        self.event_counts[source] += rows

    def write_consents(self, rows: Iterable[tuple[str, str, str, str, str]]) -> None:
        """Append consent rows ``(subject, category, source, action, at_iso)``."""
        if self._consents_csv is None:
            self._consents_file = (self.root / "consents.csv").open(
                "w", newline="", encoding="utf-8"
            )
            self._consents_csv = csv.writer(self._consents_file)
            self._consents_csv.writerow(["subject", "category", "source", "action", "at"])
        self._consents_csv.writerows(rows)

    def write_outcomes(self, table: pa.Table) -> None:
        """Append ground-truth outcome rows (any schema, the same for every call)."""
        if self._outcomes is None:
            self._outcomes = pq.ParquetWriter(self.root / "outcomes.parquet", table.schema)
        self._outcomes.write_table(table)

    def _writer(self, source: str, incoming: int) -> pq.ParquetWriter:
        writer = self._writers.get(source)
        if writer is not None and self._rows_in_part[source] + incoming > self._rows_per_part:
            writer.close()
            writer = None
        if writer is None:
            rel = f"events/{source}/part-{len(self._parts[source]):05d}.parquet"
            (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(self.root / rel, FLAT_EVENT_SCHEMA, compression="zstd")
            self._writers[source] = writer
            self._rows_in_part[source] = 0
            self._parts[source].append(rel)
        return writer

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        if self._consents_file is not None:
            self._consents_file.close()
            self._consents_file = None
        if self._outcomes is not None:
            self._outcomes.close()
            self._outcomes = None

    def _write_manifest(self) -> None:
        manifest = Manifest(
            root=self.root,
            generator=self._generator,
            sources=list(self._sources.values()),
            events=self._parts,
            consents="consents.csv" if (self.root / "consents.csv").exists() else None,
            outcomes="outcomes.parquet" if (self.root / "outcomes.parquet").exists() else None,
            extra=self.extra,
        )
        (self.root / MANIFEST_NAME).write_text(
            json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8"
        )
