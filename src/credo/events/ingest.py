"""Ingestion: read → validate → check source and consent → pseudonymise → vault → lake.

One call of :meth:`Ingestor.ingest` (files) or :meth:`Ingestor.ingest_records` (records held in
memory, e.g. a partner's feedback over the API) is one Delta commit: a killed or failed ingest
leaves the lake at its previous version. Both read through the JSON Lines reader and the same
pipeline, so a record is accepted or rejected alike whichever way it arrives. Rejected records
never stop the batch; each is written to the rejects file (or kept on the report, for records)
with its row number, field and reason — never with the offending value, which may be personal
data.
"""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, update

from credo.clock import Clock
from credo.consent.collection import ConsentRegistry
from credo.events.readers import jsonl_batches, open_input, read_batches
from credo.events.schemas import (
    EVENT_TYPES,
    TYPE_CATEGORY,
    payload_field_roles,
)
from credo.events.sources import Source, SourceRegistry
from credo.events.validate import RawBatch, Rejects, Verdicts, validate
from credo.lake.delta import LAKE_SCHEMA, DeltaEventLake, lake_column_name
from credo.privacy.tokens import Tokeniser
from credo.privacy.vault import IdentityVault, PersonalValue
from credo.settings import IngestSettings
from credo.storage.tables import ingest_runs

__all__ = ["IngestReport", "Ingestor"]

Progress = Callable[[str, int], None]
_CATEGORY_BY_TYPE = pa.array([TYPE_CATEGORY[t] for t in EVENT_TYPES])
_PERSONAL = [name for name, role in payload_field_roles().items() if role == "personal"]
_REFS = [name for name, role in payload_field_roles().items() if role == "ref"]


@dataclass(slots=True)
class IngestReport:
    """What an ingest did."""

    inputs: list[str]
    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    lake_version: int | None = None
    seconds: float = 0.0
    rejects_path: str | None = None
    rejected_records: Rejects | None = None
    """The rejects themselves, kept by :meth:`Ingestor.ingest_records` only (a file ingest
    writes them to ``rejects_path``); ``rows`` are 1-based positions in the records given."""

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON-ready mapping."""
        return {
            "inputs": self.inputs,
            "read": self.read,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejected_by_reason": dict(sorted(self.by_reason.items())),
            "lake_version": self.lake_version,
            "seconds": round(self.seconds, 3),
            "rejects_file": self.rejects_path,
        }


class _RejectSink(Protocol):
    def write(self, input_name: str, rejects: Rejects) -> None: ...

    def close(self) -> None: ...


class _RejectsKept:
    """Rejects kept in memory (records ingested from memory are few: the caller bounds them)."""

    def __init__(self, kept: Rejects) -> None:
        self._kept = kept

    def write(self, input_name: str, rejects: Rejects) -> None:
        for row, event_id, fld, reason, detail in rejects.entries():
            self._kept.add(row, event_id, fld, reason, detail)

    def close(self) -> None:
        pass


class _RejectsWriter:
    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._handle: IO[str] | None = None

    def write(self, input_name: str, rejects: Rejects) -> None:
        if self._path is None or not len(rejects):
            return
        if self._handle is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self._path.open("w", encoding="utf-8")
        for row, event_id, fld, reason, detail in rejects.entries():
            record = {
                "input": input_name,
                "row": row,
                "event_id": event_id,
                "field": fld,
                "reason": reason,
                "detail": detail,
            }
            self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


class Ingestor:
    """Ingests event files into the lake for registered, consenting sources."""

    def __init__(
        self,
        *,
        engine: Engine,
        lake: DeltaEventLake,
        vault: IdentityVault,
        tokeniser: Tokeniser,
        sources: SourceRegistry,
        consents: ConsentRegistry,
        clock: Clock,
        settings: IngestSettings,
    ) -> None:
        self._engine = engine
        self._lake = lake
        self._vault = vault
        self._tokeniser = tokeniser
        self._sources = sources
        self._consents = consents
        self._clock = clock
        self._settings = settings

    def ingest(
        self,
        paths: Sequence[str],
        *,
        source: str | None = None,
        rejects_path: Path | None = None,
        on_progress: Progress | None = None,
    ) -> IngestReport:
        """Ingest ``paths`` (``-`` is stdin) in one commit; see the module docstring."""
        submitter = self._sources.get(source) if source is not None else None
        settings = self._settings
        inputs = [
            (
                item.path,
                read_batches(
                    item,
                    batch_rows=settings.batch_rows,
                    max_record_bytes=settings.max_record_bytes,
                ),
            )
            for item in [open_input(path) for path in paths]
        ]
        report = IngestReport(
            inputs=list(paths), rejects_path=str(rejects_path) if rejects_path else None
        )
        run = _Run(self, submitter, report, _RejectsWriter(rejects_path), on_progress)
        return self._commit(run, inputs, source)

    def ingest_records(
        self,
        records: Sequence[Mapping[str, Any]],
        *,
        source: str,
        input_name: str = "api",
    ) -> IngestReport:
        """Ingest events held in memory, in the JSON form of a JSON Lines file, for ``source``
        (a registered source), in one commit.

        Each record goes through exactly what a line of a ``.jsonl`` file goes through (the
        same reader, size limit, validation, source and consent checks), so it is accepted or
        rejected with the same reason. The rejects are kept on the report
        (:attr:`IngestReport.rejected_records`, rows numbered from 1 in ``records``' order);
        ``input_name`` names the input in the ingest runs.
        """
        submitter = self._sources.get(source)
        data = b"".join(_json_line(record) for record in records)
        settings = self._settings
        raw = jsonl_batches(io.BytesIO(data), settings.batch_rows, settings.max_record_bytes)
        kept = Rejects()
        report = IngestReport(inputs=[input_name], rejected_records=kept)
        run = _Run(self, submitter, report, _RejectsKept(kept), None)
        return self._commit(run, [(input_name, raw)], source)

    def _commit(
        self, run: _Run, inputs: Sequence[tuple[str, Iterable[RawBatch]]], source: str | None
    ) -> IngestReport:
        """Run ``inputs`` through the pipeline under the ingest lock and append the events
        accepted in one commit; the run is recorded whatever happens."""
        report = run.report
        started = time.perf_counter()
        status = "failed"
        with self._lake.writing():
            self._close_interrupted_runs()
            run_id = self._start_run(report, source)
            try:
                batches = run.lake_batches(inputs)
                first = next(batches, None)
                if first is not None:
                    report.lake_version = self._lake.append(chain([first], batches))
                else:
                    report.lake_version = self._lake.version()
                status = "done"
            finally:
                run.rejects.close()
                report.seconds = time.perf_counter() - started
                self._finish_run(run_id, report, status)
                self._vault.forget_cached_keys()
        return report

    def _close_interrupted_runs(self) -> None:
        """Runs still "running" while we hold the lock were killed: record that they were."""
        with self._engine.begin() as conn:
            conn.execute(
                update(ingest_runs)
                .where(ingest_runs.c.status == "running")
                .values(status="interrupted", finished_at=self._clock.now())
            )

    def _start_run(self, report: IngestReport, source: str | None) -> int:
        with self._engine.begin() as conn:
            result = conn.execute(
                ingest_runs.insert().values(
                    source=source,
                    started_at=self._clock.now(),
                    inputs=json.dumps(report.inputs),
                    status="running",
                    read=0,
                    accepted=0,
                    duplicates=0,
                    rejected=0,
                    rejects_by_reason="{}",
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def _finish_run(self, run_id: int, report: IngestReport, status: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(ingest_runs)
                .where(ingest_runs.c.id == run_id)
                .values(
                    finished_at=self._clock.now(),
                    status=status,
                    read=report.read,
                    accepted=report.accepted if status == "done" else 0,
                    duplicates=report.duplicates,
                    rejected=report.rejected,
                    rejects_by_reason=json.dumps(dict(report.by_reason)),
                    lake_version=report.lake_version,
                )
            )


class _Run:
    """State of one ingest: counters, keys seen, lake keys loaded per (source, month)."""

    def __init__(
        self,
        ingestor: Ingestor,
        submitter: Source | None,
        report: IngestReport,
        rejects: _RejectSink,
        on_progress: Progress | None,
    ) -> None:
        self.ing = ingestor
        self.submitter = submitter
        self.report = report
        self.rejects = rejects
        self.on_progress = on_progress
        self.seen: pa.Array | None = None
        self.loaded: set[tuple[str, str]] = set()
        self.stored: list[pa.Array] = []
        self.known_sources: dict[str, Source | None] = {}
        self.stored_identifiers: set[tuple[str, str]] = set()

    def lake_batches(
        self, inputs: Sequence[tuple[str, Iterable[RawBatch]]]
    ) -> Iterator[pa.RecordBatch]:
        for name, raws in inputs:
            done = 0
            for raw in raws:
                batch = self._process(name, raw)
                done += len(raw) + len(raw.parse_rejects)
                if self.on_progress is not None:
                    self.on_progress(name, done)
                if batch is not None and batch.num_rows:
                    yield batch

    def _reject(self, input_name: str, rejects: Rejects) -> None:
        self.report.rejected += len(rejects)
        self.report.by_reason.update(rejects.reasons)
        self.rejects.write(input_name, rejects)

    def _process(self, input_name: str, raw: RawBatch) -> pa.RecordBatch | None:
        now = self.ing._clock.now()
        self.report.read += len(raw) + len(raw.parse_rejects)
        parse = Rejects()
        for row, fld, reason, detail in raw.parse_rejects:
            parse.add(row, None, fld, reason, detail)
        self._reject(input_name, parse)
        valid, rejects = validate(
            raw,
            now=now,
            future_skew_seconds=self.ing._settings.future_skew_seconds,
            min_year=self.ing._settings.min_year,
        )
        self._reject(input_name, rejects)
        table = valid.table
        if not table.num_rows:
            return None
        verdicts = Verdicts(valid.rows, table.column("event_id").combine_chunks())
        table = self._check_sources(table, verdicts)
        subjects, counterparts = self._tokenise(table, verdicts)
        categories = pc.take(
            _CATEGORY_BY_TYPE, pc.index_in(table.column("type"), pa.array(EVENT_TYPES))
        )
        allowed = self.ing._consents.allowed(
            subjects, categories, table.column("source").combine_chunks()
        )
        verdicts.mark(~allowed, "subject", "no_consent", "no consent for this category and source")
        self._reject(input_name, verdicts.rejects)
        keep = pa.array(~verdicts.bad)
        table = table.filter(keep)
        if not table.num_rows:
            return None
        lake = self._lake_table(
            table, subjects.filter(keep), counterparts.filter(keep), categories.filter(keep), now
        )
        self._store_personal(table, lake)
        return self._drop_stored(lake)

    def _check_sources(self, table: pa.Table, verdicts: Verdicts) -> pa.Table:
        column = table.column("source").combine_chunks()
        if self.submitter is not None:
            name = self.submitter.name
            other = _bools(column.is_valid()) & ~_bools(pc.equal(column, name))
            verdicts.mark(other, "source", "source_mismatch", f"the ingest is for source {name}")
            column = pc.fill_null(column, name)
            table = table.set_column(table.schema.get_field_index("source"), "source", column)
        else:
            verdicts.mark(
                ~_bools(column.is_valid()),
                "source",
                "missing_field",
                "required when the ingest names no source",
            )
        names = [n for n in pc.unique(column).to_pylist() if n is not None]
        missing = [n for n in names if n not in self.known_sources]
        if missing:
            found = self.ing._sources.find(missing)
            self.known_sources.update({n: found.get(n) for n in missing})
        types = table.column("type").combine_chunks()
        for name in names:
            registered = self.known_sources[name]
            rows = _bools(pc.equal(column, name))
            if registered is None:
                verdicts.mark(rows, "source", "unknown_source", "not a registered source")
                continue
            allowed_types = [t for t in EVENT_TYPES if TYPE_CATEGORY[t] in registered.categories]
            ok = _bools(pc.is_in(types, pa.array(allowed_types, pa.string())))
            detail = f"source {name} may send {','.join(sorted(registered.categories))}"
            verdicts.mark(rows & ~ok, "type", "category_not_allowed", detail)
        self._mark_repeated_ids(column, table.column("event_id").combine_chunks(), verdicts)
        return table

    def _mark_repeated_ids(self, sources: pa.Array, ids: pa.Array, verdicts: Verdicts) -> None:
        """An event id seen earlier in this ingest (same source) is a duplicate_id reject."""
        keys = pc.binary_join_element_wise(sources, ids, "\x1f")
        position = pa.array(np.arange(len(keys)))
        first = (
            pa.table({"k": keys, "i": position})
            .group_by("k", use_threads=False)
            .aggregate([("i", "min")])
            .column("i_min")
        )
        repeated = ~_bools(pc.is_in(position, value_set=first))
        if self.seen is not None:
            repeated |= _bools(pc.is_in(keys, value_set=self.seen))
        verdicts.mark(repeated, "event_id", "duplicate_id", "event_id repeated in this ingest")
        kept = keys.filter(pa.array(~verdicts.bad))
        self.seen = kept if self.seen is None else pa.concat_arrays([self.seen, kept])

    def _tokenise(self, table: pa.Table, verdicts: Verdicts) -> tuple[pa.Array, pa.Array]:
        tok = self.ing._tokeniser
        detail = "neither a phone (+digits) nor an id"
        subjects, bad = tok.map_array(table.column("subject").combine_chunks(), "subject")
        verdicts.mark(_bools(bad), "subject", "bad_value", detail)
        counterparts, bad = tok.map_array(table.column("counterpart").combine_chunks(), "subject")
        verdicts.mark(_bools(bad), "counterpart", "bad_value", detail)
        return subjects, counterparts

    def _store_personal(self, table: pa.Table, lake: pa.Table) -> None:
        """Identifier of each new (subject, source) and personal fields of profile updates."""
        first = (
            pa.table(
                {
                    "s": lake.column("subject"),
                    "o": lake.column("source"),
                    "i": pa.array(np.arange(lake.num_rows)),
                }
            )
            .group_by(["s", "o"], use_threads=False)
            .aggregate([("i", "min")])
        )
        pairs = zip(first.column("s").to_pylist(), first.column("o").to_pylist(), strict=True)
        fresh = [
            i
            for i, pair in zip(first.column("i_min").to_pylist(), pairs, strict=True)
            if pair not in self.stored_identifiers
        ]
        values: list[PersonalValue] = []
        if fresh:
            rows = pa.array(fresh)
            subjects = lake.column("subject").take(rows).to_pylist()
            sources = lake.column("source").take(rows).to_pylist()
            identifiers = table.column("subject").take(rows).to_pylist()
            occurred = table.column("occurred_at").take(rows).to_pylist()
            self.stored_identifiers.update(zip(subjects, sources, strict=True))
            # the subject token is the identifier's fingerprint: same normalised id, same token
            values.extend(
                PersonalValue(s, "identifier", o, raw, s, at)
                for s, o, raw, at in zip(subjects, sources, identifiers, occurred, strict=True)
            )
        profile = pc.equal(table.column("type"), "profile_update")
        if pc.any(profile).as_py():
            values.extend(_personal_values(table.filter(profile), lake.filter(profile)))
        self.ing._vault.store(values)

    def _lake_table(
        self,
        table: pa.Table,
        subjects: pa.Array,
        counterparts: pa.Array,
        categories: pa.Array,
        now: datetime,
    ) -> pa.Table:
        tok = self.ing._tokeniser
        n = table.num_rows
        sources = table.column("source").combine_chunks()
        occurred = table.column("occurred_at").combine_chunks()
        ingested = pa.scalar(now, pa.timestamp("us", tz="UTC"))
        columns: dict[str, pa.Array] = {
            "source": sources,
            "subject": subjects,
            "category": categories,
            "occurred_at": occurred,
            "ingested_at": pa.repeat(ingested, n),
            "schema_version": pc.cast(table.column("schema_version"), pa.int32()),
            "counterpart": counterparts,
            "month": _months(occurred),
        }
        for name in _REFS:
            columns[name] = _per_source(tok, table.column(name).combine_chunks(), sources)
        for name in _PERSONAL:
            values = table.column(name).combine_chunks()
            columns[lake_column_name(name)] = tok.map_array(values, "fingerprint", name)[0]
        arrays = [
            (columns[f.name] if f.name in columns else table.column(f.name)).cast(f.type)
            for f in LAKE_SCHEMA
        ]
        return pa.Table.from_arrays(arrays, schema=LAKE_SCHEMA)

    def _drop_stored(self, lake: pa.Table) -> pa.RecordBatch | None:
        """Leave out events the lake already holds (idempotent re-ingest)."""
        pairs = lake.select(["source", "month"]).group_by(["source", "month"]).aggregate([])
        todo = [
            (s, m)
            for s, m in zip(*pairs.to_pydict().values(), strict=True)
            if (s, m) not in self.loaded
        ]
        if todo:
            stored = self.ing._lake.existing_keys({s for s, _ in todo}, {m for _, m in todo})
            if stored:
                self.stored.append(pa.array(sorted(stored), pa.string()))
            self.loaded.update(todo)
        if self.stored:
            keys = pc.binary_join_element_wise(
                lake.column("source"), lake.column("event_id"), "\x1f"
            )
            present = pc.is_in(keys, value_set=pa.concat_arrays(self.stored))
            self.report.duplicates += int(pc.sum(present).as_py() or 0)
            lake = lake.filter(pc.invert(present))
        self.report.accepted += lake.num_rows
        if not lake.num_rows:
            return None
        return lake.combine_chunks().to_batches()[0]


def _json_line(record: Mapping[str, Any]) -> bytes:
    """One record as a JSON line, as a source would have written it to a file.

    A lone surrogate (``"\\ud800"`` in the JSON received) is written as the invalid UTF-8 it
    is, so the reader refuses that one record as ``bad_encoding`` instead of the whole call
    failing to encode.
    """
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass") + b"\n"


def _bools(array: pa.Array | pa.ChunkedArray | np.ndarray) -> np.ndarray:
    if isinstance(array, np.ndarray):
        return array.astype(bool)
    return np.asarray(pc.fill_null(array, False), dtype=bool)


def _months(occurred: pa.Array) -> pa.Array:
    """``YYYY-MM`` of each UTC timestamp (via numpy: Arrow's strftime with a zone is slow)."""
    micros = pc.cast(occurred, pa.int64()).to_numpy(zero_copy_only=False)
    months = micros.astype("datetime64[us]").astype("datetime64[M]")
    distinct, index = np.unique(months, return_inverse=True)
    labels = pa.array([str(m) for m in distinct], pa.string())
    return labels.take(pa.array(index.astype(np.int32)))


def _personal_values(table: pa.Table, lake: pa.Table) -> Iterator[PersonalValue]:
    subjects = lake.column("subject").to_pylist()
    sources = lake.column("source").to_pylist()
    occurred = table.column("occurred_at").to_pylist()
    for name in _PERSONAL:
        raw = table.column(name).to_pylist()
        fingerprints = lake.column(lake_column_name(name)).to_pylist()
        for i, value in enumerate(raw):
            if value is not None:
                yield PersonalValue(
                    subjects[i], name, sources[i], value, fingerprints[i], occurred[i]
                )


def _per_source(tok: Tokeniser, refs: pa.Array, sources: pa.Array) -> pa.Array:
    """Hash references per source: the same account number at two sources is two accounts."""
    names = pc.unique(sources).to_pylist()
    if len(names) == 1:
        return tok.map_array(refs, "ref", names[0])[0]
    out = pa.nulls(len(refs), pa.string())
    for name in names:
        rows = pc.equal(sources, name)
        hashed = tok.map_array(refs, "ref", name)[0]
        out = pc.if_else(rows, hashed, out)
    return out
