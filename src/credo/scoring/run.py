"""The monthly run: characteristics → the active scorecard (in the engine) → N/A, percentile,
band, reasons, what would raise it, privileges → one snapshot, published atomically.

The previous snapshot keeps serving until the new one is complete: rows are written under the
run's own id and the ``current`` pointer moves in one transaction at the end
(:class:`~credo.storage.snapshots.SnapshotStore`). A failure marks the run failed; a kill
leaves it ``running`` until the next run marks it interrupted.

Disputed events (``excluded``: pending and upheld disputes) are left out of the characteristics
by the as-of view (:func:`~credo.features.asof.events_as_of`), on either engine.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from credo.clock import Clock
from credo.errors import NotFoundError
from credo.events.sources import SourceRegistry
from credo.features.build import characteristics_expr
from credo.features.catalog import CATALOG
from credo.features.engines import feature_engine
from credo.lake.delta import DeltaEventLake
from credo.loyalty.catalogue import Catalogue, privileges_catalogue
from credo.model.artifact import from_artifact, loads
from credo.scoring.bands import band_of, next_band_floor, percentile_rank, publish_score
from credo.scoring.compile import compile_scorecard
from credo.scoring.criteria import CRITERIA_COLUMNS, na_reasons
from credo.scoring.detail import DetailBuilder
from credo.settings import DuckDBEngine, ScoringSettings, SparkEngine
from credo.storage.registry import ModelRegistry
from credo.storage.snapshots import SnapshotStore

__all__ = ["RunSummary", "monthly_run", "run_months_before", "scored_expr", "scores_of"]

Progress = Callable[[str], None]
WRITE_BATCH = 10_000


@dataclass(frozen=True)
class RunSummary:
    """What a run did, for the closing summary and ``--json``."""

    run_id: int
    as_of: datetime
    engine: str
    model_version: str
    people: int
    scored: int
    not_scored: int
    bands: dict[str, int]
    mean_score: float | None
    previous_as_of: datetime | None
    mean_change: float | None
    seconds: float
    na_reasons: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "engine": self.engine,
            "model_version": self.model_version,
            "people": self.people,
            "scored": self.scored,
            "not_scored": self.not_scored,
            "na_reasons": self.na_reasons,
            "bands": self.bands,
            "mean_score": self.mean_score,
            "previous_as_of": None
            if self.previous_as_of is None
            else self.previous_as_of.isoformat(),
            "mean_change": self.mean_change,
            "seconds": round(self.seconds, 2),
        }


NARROW = ("subject", "score", *CRITERIA_COLUMNS)
"""The engine's output columns the run holds for everyone at once (percentiles need every
score); the wide rest is streamed to a local file and read back a chunk at a time."""


@dataclass(frozen=True)
class _Scored:
    """Everyone's characteristics and points, in subject order, spilled to ``path``."""

    path: Path
    narrow: pd.DataFrame

    def chunks(self, rows: int) -> Iterator[pd.DataFrame]:
        """The wide rows back, in order, ``rows`` at a time."""
        for batch in pq.ParquetFile(self.path).iter_batches(batch_size=rows):
            yield batch.to_pandas()


def scored_expr(
    events: ir.Table,
    doc: Mapping[str, Any],
    as_of: datetime,
    *,
    reliability: Mapping[str, float],
    known_at: datetime,
    tie_scores: ir.Table | None,
    excluded: Iterable[tuple[str, str]] = (),
    retention: Mapping[str, int] | None = None,
) -> ir.Table:
    """The characteristics of everyone with an event in ``events`` and the output of the
    scorecard ``doc`` compiled over them (points, dimension scores, score), in subject order:
    an expression for the engine ``events`` belongs to.

    Parameters
    ----------
    events
        The event lake, or the part of it that the people to score depend on
        (:func:`~credo.features.person.people_events`).
    doc
        The scorecard artifact.
    as_of, known_at
        The as-of instant, and the instant events must have been ingested before.
    reliability
        Each source's weight.
    tie_scores
        The previous published snapshot's (subject, score), for the ties' scores.
    excluded
        ``(source, event_id)`` pairs left out (disputed events).
    """
    characteristics = characteristics_expr(
        events,
        as_of,
        reliability=reliability,
        excluded=excluded,
        retention=retention,
        known_at=known_at,
        tie_scores=tie_scores,
    )
    names = [c.name for c in CATALOG]
    return compile_scorecard(doc, characteristics, keep=["subject", *names]).order_by("subject")


def _score_to_file(
    lake: DeltaEventLake,
    sources: SourceRegistry,
    doc: Mapping[str, Any],
    as_of: datetime,
    path: Path,
    *,
    engine: DuckDBEngine | SparkEngine,
    known_at: datetime,
    tie_scores: pa.Table | None,
    excluded: Iterable[tuple[str, str]] = (),
    retention: Mapping[str, int] | None = None,
) -> _Scored:
    """Everyone's characteristics and compiled scorecard output, computed in the engine and
    streamed to a Parquet file at ``path`` (memory holds one batch and the narrow columns)."""
    reliability = {s.name: s.reliability for s in sources.all()}
    runner = feature_engine(engine)
    try:
        ties = None if tie_scores is None else runner.table("tie_scores", tie_scores)
        scored = scored_expr(
            runner.events(lake),
            doc,
            as_of,
            reliability=reliability,
            known_at=known_at,
            tie_scores=ties,
            excluded=excluded,
            retention=retention,
        )
        reader = runner.batches(scored, WRITE_BATCH)
        narrow = []
        with pq.ParquetWriter(path, reader.schema) as writer:
            for batch in reader:
                # ibis declares the schema; DuckDB's batches may carry a literal's DECIMAL
                table = pa.Table.from_batches([batch]).cast(reader.schema)
                writer.write_table(table)
                narrow.append(table.select(NARROW))
        schema = pa.schema([reader.schema.field(name) for name in NARROW])
        return _Scored(
            path,
            pa.concat_tables(narrow).to_pandas() if narrow else schema.empty_table().to_pandas(),
        )
    finally:
        runner.close()


def monthly_run(
    *,
    lake: DeltaEventLake,
    sources: SourceRegistry,
    models: ModelRegistry,
    snapshots: SnapshotStore,
    scoring: ScoringSettings,
    engine: DuckDBEngine | SparkEngine,
    clock: Clock,
    as_of: datetime,
    excluded: Iterable[tuple[str, str]] = (),
    retention: Mapping[str, int] | None = None,
    progress: Progress = lambda _: None,
) -> RunSummary:
    """Score everyone as of ``as_of`` with the active model and publish the snapshot; events
    among ``excluded`` (``(source, event_id)`` of pending and upheld disputes) do not count."""
    started = time.perf_counter()
    record = models.active()
    if record is None:
        raise NotFoundError("no active model; `credo train --as-of DATE` trains one")
    doc = loads(record.artifact)
    catalogue = privileges_catalogue(scoring)
    earlier = [run for run in snapshots.published() if run.as_of < as_of]
    previous = earlier[-1] if earlier else None
    run_id = snapshots.begin(
        as_of=as_of, model_id=record.id, engine=engine.kind, started_at=clock.now()
    )
    try:
        before = None if previous is None else scores_of(snapshots.table(previous.id))
        progress(f"characteristics and scores as of {as_of:%Y-%m-%d} on {engine.kind}")
        with tempfile.TemporaryDirectory(prefix="credo-run-") as spill:
            frame = _score_to_file(
                lake,
                sources,
                doc,
                as_of,
                Path(spill) / "scored.parquet",
                engine=engine,
                known_at=clock.now(),
                tie_scores=before,
                excluded=excluded,
                retention=retention,
            )
            progress(f"bands, reasons and privileges for {len(frame.narrow):,} people")
            summary = _publish(
                frame,
                run_id=run_id,
                doc=doc,
                model=from_artifact(doc),
                snapshots=snapshots,
                scoring=scoring,
                catalogue=catalogue,
                previous=previous,
                before=before,
                earlier=earlier,
                as_of=as_of,
                progress=progress,
            )
    except BaseException as exc:  # a failed run is recorded whatever stopped it, then re-raised
        snapshots.fail(run_id, reason=f"{type(exc).__name__}: {exc}", finished_at=clock.now())
        raise
    result = RunSummary(
        run_id=run_id,
        as_of=as_of,
        engine=engine.kind,
        model_version=record.version,
        seconds=time.perf_counter() - started,
        previous_as_of=None if previous is None else previous.as_of,
        **summary,
    )
    snapshots.publish(run_id, summary=result.to_dict(), finished_at=clock.now())
    return result


def scores_of(table: pa.Table) -> pa.Table:
    """The scored people of a snapshot table (:meth:`SnapshotStore.table`): subject and score
    (as double), the ``tie_scores`` the next run reads the ties' scores from."""
    table = table.filter(pc.is_valid(table["score"]))
    return pa.table({"subject": table["subject"], "score": table["score"].cast(pa.float64())})


def _publish(
    scored: _Scored,
    *,
    run_id: int,
    doc: Mapping[str, Any],
    model: Any,
    snapshots: SnapshotStore,
    scoring: ScoringSettings,
    catalogue: Catalogue,
    previous: Any,
    before: pa.Table | None,
    earlier: list[Any],
    as_of: datetime,
    progress: Progress,
) -> dict[str, Any]:
    """Compute what people see and write it; returns the summary's counts."""
    frame = scored.narrow
    reasons_na = na_reasons(frame, min_history_months=scoring.min_history_months)
    is_scored = pd.isna(reasons_na)
    score = publish_score(frame["score"].to_numpy()[is_scored])
    bands = band_of(score, scoring.bands)
    percentile = percentile_rank(score)
    targets = next_band_floor(score, scoring.bands)
    builder = DetailBuilder(
        doc=doc,
        model=model,
        catalogue=catalogue,
        reach_points=scoring.reach_points,
        previous_run=None if previous is None else previous.id,
        three_months_ago=run_months_before(earlier, 3),
        scored_months=snapshots.scored_months(before=as_of),
        snapshots=snapshots,
    )
    # people are explained and written a chunk at a time: the detail documents, the bulk of a
    # snapshot, never all sit in memory together (nor do the characteristics they come from)
    row = done = 0
    for chunk in scored.chunks(WRITE_BATCH):
        mask = is_scored[row : row + len(chunk)]
        row += len(chunk)
        part = chunk[mask].reset_index(drop=True)
        if not len(part):
            continue
        window = slice(done, done + len(part))
        details = builder.build(
            part, score[window], bands[window], percentile[window], targets[window]
        )
        snapshots.write(
            run_id,
            (
                {
                    "subject": subject,
                    "score": int(score[done + i]),
                    "band": str(bands[done + i]),
                    "percentile": float(percentile[done + i]),
                    "detail": details[i],
                }
                for i, subject in enumerate(part["subject"])
            ),
        )
        done += len(part)
        progress(f"explained and written: {done:,}/{len(score):,} people")
    unscored = zip(frame["subject"][~is_scored], reasons_na[~is_scored], strict=True)
    snapshots.write(
        run_id,
        (
            {"subject": subject, "score": None, "na_reason": reason, "detail": {}}
            for subject, reason in unscored
        ),
    )
    counts = {b.name: int((bands == b.name).sum()) for b in scoring.bands}
    change = None
    if before is not None:
        both = before.to_pandas().merge(
            pd.DataFrame({"subject": frame["subject"].to_numpy()[is_scored], "now": score}),
            on="subject",
        )
        if len(both):
            change = float((both["now"] - both["score"]).mean())
    na_counts = pd.Series(reasons_na[~is_scored]).value_counts().to_dict()
    return {
        "people": len(frame),
        "scored": int(is_scored.sum()),
        "not_scored": int((~is_scored).sum()),
        "na_reasons": {str(k): int(v) for k, v in na_counts.items()},
        "bands": counts,
        "mean_score": float(np.mean(score)) if len(score) else None,
        "mean_change": change,
    }


def run_months_before(earlier: list[Any], months: int) -> Any:
    """The published run ``months`` runs back among ``earlier`` (published runs before the
    one being made, oldest first); None when the history is shorter."""
    return earlier[-months] if len(earlier) >= months else None
