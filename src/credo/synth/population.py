"""Generate a synthetic population with ground truth, chunk by chunk, into a dataset folder.

Each chunk of people gets its own generators, seeded from ``(seed, chunk index)``; whatever one
chunk must know about people of another (tie counterparts) is index-derived (see
:mod:`credo.synth.people`). Memory is therefore bounded by the chunk size, not the population,
and the output is byte-for-byte the same for the same arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from credo.errors import InvalidInputError
from credo.events.dataset import MANIFEST_NAME, DatasetWriter
from credo.synth.accounts import CARD, LOAN, QUICK, Accounts, build_accounts
from credo.synth.activity import emit_bill_payments, emit_deposits, emit_income, emit_purchases
from credo.synth.calendar import Calendar
from credo.synth.cohort import Cohort, build_cohort
from credo.synth.consents import consent_rows
from credo.synth.contracts import emit_deposit_free, emit_phone_contracts, emit_rentals
from credo.synth.credit import emit_credit, emit_false_records
from credo.synth.graph import emit_ties
from credo.synth.identity import ID_SPACE
from credo.synth.outcomes import OUTCOME_WINDOW_MONTHS, TRUTH_SCHEMA, outcome_table, truth_table
from credo.synth.people import NEVER, World
from credo.synth.profiles import Profiles, build_profiles, emit_identity, emit_profiles
from credo.synth.records import Finished, RecordBuffer
from credo.synth.risk import simulate_defaults
from credo.synth.sources import SOURCE_NAMES, SOURCES

__all__ = ["DEFAULT_CHUNK_SIZE", "FALSE_EVENTS_SCHEMA", "SynthSummary", "generate_population"]

DEFAULT_CHUNK_SIZE = 10_000
TRUTH_FILE = "truth.parquet"
FALSE_EVENTS_FILE = "false_events.parquet"
FALSE_EVENTS_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("event_id", pa.string(), nullable=False),
    ]
)


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What :func:`generate_population` wrote.

    ``bad_rate`` is the share of real (non-sybil) people whose first default falls inside the
    generated months; ``events_without_consent`` counts events no consent covers at their time
    (ingest must reject them with ``no_consent``).
    """

    subjects: int
    sybils: int
    months: int
    events: Mapping[str, int]
    defaults: int
    bad_rate: float
    paths: Mapping[str, Path]
    false_events: int = 0
    corrections: int = 0
    events_without_consent: int = 0

    @property
    def total_events(self) -> int:
        """Events over all sources."""
        return sum(self.events.values())


@dataclass(slots=True)
class _Tally:
    real: int = 0
    defaults: int = 0
    false_events: int = 0
    corrections: int = 0
    without_consent: int = 0
    events: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCE_NAMES, 0))

    def count(self, source: str, done: Finished) -> None:
        self.events[source] += done.rows
        self.false_events += len(done.false_ids)
        self.corrections += done.corrections
        self.without_consent += done.without_consent


class _SideTables:
    """``truth.parquet`` and ``false_events.parquet``, written next to the dataset's files."""

    def __init__(self, root: Path) -> None:
        self.truth = pq.ParquetWriter(root / TRUTH_FILE, TRUTH_SCHEMA, compression="zstd")
        self.false = pq.ParquetWriter(
            root / FALSE_EVENTS_FILE, FALSE_EVENTS_SCHEMA, compression="zstd"
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.truth.close()
        self.false.close()

    def write_false(self, source: str, event_ids: Any) -> None:
        if len(event_ids):
            sources = pa.array([source] * len(event_ids), pa.string())
            self.false.write_table(
                pa.Table.from_arrays([sources, event_ids], schema=FALSE_EVENTS_SCHEMA)
            )


@dataclass(frozen=True, slots=True)
class _Chunk:
    cohort: Cohort
    accounts: Accounts
    profiles: Profiles


def _bank(buf: RecordBuffer, c: _Chunk, rng: np.random.Generator) -> None:
    emit_profiles(buf, c.cohort, c.profiles, rng)
    emit_identity(buf, c.cohort, rng)
    emit_deposits(buf, c.cohort, rng)
    emit_income(buf, c.cohort, rng)
    emit_credit(buf, c.cohort, c.accounts, LOAN, rng)


def _card_issuer(buf: RecordBuffer, c: _Chunk, rng: np.random.Generator) -> None:
    emit_credit(buf, c.cohort, c.accounts, CARD, rng)


def _ecommerce(buf: RecordBuffer, c: _Chunk, rng: np.random.Generator) -> None:
    emit_profiles(buf, c.cohort, c.profiles, rng)
    emit_purchases(buf, c.cohort, rng)
    emit_deposit_free(buf, c.cohort, "ecommerce", 0.08, rng)


def _utility(buf: RecordBuffer, c: _Chunk, rng: np.random.Generator) -> None:
    emit_bill_payments(buf, c.cohort, "utility", rng)


def _telecom(buf: RecordBuffer, c: _Chunk, rng: np.random.Generator) -> None:
    emit_profiles(buf, c.cohort, c.profiles, rng)
    emit_identity(buf, c.cohort, rng)
    emit_phone_contracts(buf, c.cohort, rng)
    emit_bill_payments(buf, c.cohort, "telecom", rng)


def _social(buf: RecordBuffer, c: _Chunk, rng: np.random.Generator) -> None:
    emit_profiles(buf, c.cohort, c.profiles, rng)
    emit_ties(buf, c.cohort, rng)


def _rental(buf: RecordBuffer, c: _Chunk, rng: np.random.Generator) -> None:
    emit_rentals(buf, c.cohort, rng)
    emit_deposit_free(buf, c.cohort, "rental", 0.4, rng)


def _quickloan(buf: RecordBuffer, c: _Chunk, rng: np.random.Generator) -> None:
    emit_credit(buf, c.cohort, c.accounts, QUICK, rng)
    emit_false_records(buf, c.cohort, buf.rows, rng)


_EMITTERS: dict[str, Callable[[RecordBuffer, _Chunk, np.random.Generator], None]] = {
    "bank": _bank,
    "card_issuer": _card_issuer,
    "ecommerce": _ecommerce,
    "utility": _utility,
    "telecom": _telecom,
    "social": _social,
    "rental": _rental,
    "quickloan": _quickloan,
}


def _write_chunk(
    world: World,
    writer: DatasetWriter,
    side: _SideTables,
    tally: _Tally,
    *,
    chunk: int,
    people: range,
) -> None:
    streams = np.random.SeedSequence([world.seed, chunk]).spawn(2 + len(SOURCE_NAMES))
    rng = np.random.default_rng(streams[0])
    cohort = build_cohort(world, people.start, len(people), rng)
    accounts = simulate_defaults(cohort, build_accounts(cohort, rng), rng)
    parts = _Chunk(cohort, accounts, build_profiles(cohort, np.random.default_rng(streams[1])))
    for number, source in enumerate(SOURCE_NAMES):
        source_rng = np.random.default_rng(streams[2 + number])
        buf = RecordBuffer(source, cohort)
        _EMITTERS[source](buf, parts, source_rng)
        done = buf.finish(source_rng)
        if done.rows:
            writer.write_events(source, done.columns)
        side.write_false(source, done.false_ids)
        tally.count(source, done)
    writer.write_consents(consent_rows(cohort.st, cohort.national_id.to_pylist()))
    writer.write_outcomes(outcome_table(cohort))
    side.truth.write_table(truth_table(cohort))
    tally.real += int(cohort.real.sum())
    tally.defaults += int((cohort.default_month != NEVER).sum())


def _check(subjects: int, seed: int, chunk_size: int) -> None:
    if not 1 <= subjects <= ID_SPACE:
        raise InvalidInputError(f"subjects must be in [1, {ID_SPACE}], got {subjects}")
    if seed < 0:
        raise InvalidInputError(f"seed must be >= 0, got {seed}")
    if chunk_size < 1:
        raise InvalidInputError(f"chunk_size must be >= 1, got {chunk_size}")


def generate_population(
    out: Path,
    *,
    subjects: int = 10_000,
    months: int = 24,
    seed: int = 0,
    end_month: str = "2026-10",
    on_progress: Callable[[int, int], None] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> SynthSummary:
    """Write a synthetic population with ground truth as a dataset in ``out``.

    Parameters
    ----------
    out
        Dataset folder (created if needed): ``manifest.json``, ``events/<source>/part-*.parquet``,
        ``consents.csv``, ``outcomes.parquet``, ``truth.parquet`` and ``false_events.parquet``.
    subjects
        Number of people, sybil accounts included (~0.2 %, at least one ring of 10 from 200).
    months
        Number of calendar months, ending with ``end_month`` (inclusive).
    seed
        Seed; the same arguments always write the same data.
    end_month
        Last generated month, ``YYYY-MM``.
    on_progress
        Called as ``on_progress(done_subjects, subjects)`` after each chunk.
    chunk_size
        People generated at a time; bounds memory. Part of the output's identity: another chunk
        size draws other (equally valid) random streams.

    Returns
    -------
    SynthSummary
        Counts and paths of what was written.
    """
    _check(subjects, seed, chunk_size)
    world = World.create(seed, subjects, Calendar.ending(end_month, months))
    tally = _Tally()
    with DatasetWriter(out, generator="synth", sources=SOURCES) as writer:
        with _SideTables(out) as side:
            for chunk, start in enumerate(range(0, subjects, chunk_size)):
                people = range(start, min(start + chunk_size, subjects))
                _write_chunk(world, writer, side, tally, chunk=chunk, people=people)
                if on_progress is not None:
                    on_progress(people.stop, subjects)
        parameters: dict[str, Any] = {"seed": seed, "subjects": subjects, "months": months}
        parameters |= {"end_month": end_month, "chunk_size": chunk_size}
        writer.extra.update(_extra(world, tally, parameters))
    return _summary(out, world, tally)


def _extra(world: World, tally: _Tally, parameters: dict[str, Any]) -> dict[str, Any]:
    """The manifest's ``extra``: side files, generation parameters, ground-truth counts."""
    return {
        "truth": TRUTH_FILE,
        "false_events": FALSE_EVENTS_FILE,
        "parameters": parameters,
        "outcome_window_months": OUTCOME_WINDOW_MONTHS,
        "sybils": world.rings.sybils,
        "defaults": tally.defaults,
        "false_event_count": tally.false_events,
        "corrections": tally.corrections,
        "events_without_consent": tally.without_consent,
    }


def _summary(out: Path, world: World, tally: _Tally) -> SynthSummary:
    names = {"manifest": MANIFEST_NAME, "truth": TRUTH_FILE, "false_events": FALSE_EVENTS_FILE}
    names |= {"outcomes": "outcomes.parquet", "consents": "consents.csv"}
    return SynthSummary(
        subjects=world.subjects,
        sybils=world.rings.sybils,
        months=world.calendar.months,
        events=dict(tally.events),
        defaults=tally.defaults,
        bad_rate=tally.defaults / max(tally.real, 1),
        paths={"root": out} | {key: out / name for key, name in names.items()},
        false_events=tally.false_events,
        corrections=tally.corrections,
        events_without_consent=tally.without_consent,
    )
