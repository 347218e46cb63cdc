"""The monthly run: characteristics → the active scorecard (in the engine) → N/A, percentile,
band, reasons, what would raise it, privileges → one snapshot, published atomically.

The previous snapshot keeps serving until the new one is complete: rows are written under the
run's own id and the ``current`` pointer moves in one transaction at the end
(:class:`~credo.storage.snapshots.SnapshotStore`). A failure marks the run failed; a kill
leaves it ``running`` until the next run marks it interrupted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from credo.clock import Clock
from credo.errors import NotFoundError
from credo.events.sources import SourceRegistry
from credo.features.build import characteristics_expr
from credo.features.catalog import CATALOG
from credo.features.engines import feature_engine
from credo.lake.delta import DeltaEventLake
from credo.loyalty.catalogue import Catalogue, default_catalogue, load_catalogue
from credo.model.artifact import from_artifact, loads
from credo.scoring.bands import band_of, next_band_floor, percentile_rank, publish_score
from credo.scoring.compile import compile_scorecard
from credo.scoring.criteria import na_reasons
from credo.scoring.detail import DetailBuilder
from credo.settings import DuckDBEngine, ScoringSettings, SparkEngine
from credo.storage.registry import ModelRegistry
from credo.storage.snapshots import SnapshotStore

__all__ = ["RunSummary", "monthly_run", "privileges_catalogue"]

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


def privileges_catalogue(scoring: ScoringSettings) -> Catalogue:
    """The configured privileges catalogue (the shipped one by default), extended by each
    partner's own entries (a partner may add privileges, never change another's)."""
    if scoring.privileges_file is None:
        catalogue = default_catalogue()
    else:
        catalogue = load_catalogue(scoring.privileges_file)
    for partner, path in sorted(scoring.partner_privileges.items()):
        catalogue = catalogue.merge(load_catalogue(path, partner=partner))
    return catalogue


def _score_frame(
    lake: DeltaEventLake,
    sources: SourceRegistry,
    doc: Mapping[str, Any],
    as_of: datetime,
    *,
    engine: DuckDBEngine | SparkEngine,
    known_at: datetime,
    tie_scores: pa.Table | None,
) -> pd.DataFrame:
    """Everyone's characteristics and compiled scorecard output, computed in the engine."""
    reliability = {s.name: s.reliability for s in sources.all()}
    runner = feature_engine(engine)
    try:
        ties = None if tie_scores is None else runner.table("tie_scores", tie_scores)
        characteristics = characteristics_expr(
            runner.events(lake), as_of, reliability=reliability, known_at=known_at, tie_scores=ties
        )
        names = [c.name for c in CATALOG]
        scored = compile_scorecard(doc, characteristics, keep=["subject", *names])
        frame: pd.DataFrame = runner.execute(scored.order_by("subject")).to_pandas()
        return frame
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
    progress: Progress = lambda _: None,
) -> RunSummary:
    """Score everyone as of ``as_of`` with the active model and publish the snapshot."""
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
        tie_scores = None
        if previous is not None:
            table = snapshots.table(previous.id).filter(
                pa.compute.is_valid(snapshots.table(previous.id)["score"])
            )
            tie_scores = pa.table(
                {"subject": table["subject"], "score": table["score"].cast(pa.float64())}
            )
        progress(f"characteristics and scores as of {as_of:%Y-%m-%d} on {engine.kind}")
        frame = _score_frame(
            lake, sources, doc, as_of, engine=engine, known_at=clock.now(), tie_scores=tie_scores
        )
        progress(f"bands, reasons and privileges for {len(frame):,} people")
        summary = _publish(
            frame,
            run_id=run_id,
            doc=doc,
            model=from_artifact(doc),
            snapshots=snapshots,
            scoring=scoring,
            catalogue=catalogue,
            previous=previous,
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


def _publish(
    frame: pd.DataFrame,
    *,
    run_id: int,
    doc: Mapping[str, Any],
    model: Any,
    snapshots: SnapshotStore,
    scoring: ScoringSettings,
    catalogue: Catalogue,
    previous: Any,
    earlier: list[Any],
    as_of: datetime,
    progress: Progress,
) -> dict[str, Any]:
    """Compute what people see and write it; returns the summary's counts."""
    reasons_na = na_reasons(frame, min_history_months=scoring.min_history_months)
    scored = pd.isna(reasons_na)
    people = frame[scored].reset_index(drop=True)
    score = publish_score(people["score"].to_numpy())
    bands = band_of(score, scoring.bands)
    percentile = percentile_rank(score)
    targets = next_band_floor(score, scoring.bands)
    builder = DetailBuilder(
        doc=doc,
        model=model,
        catalogue=catalogue,
        reach_points=scoring.reach_points,
        previous_run=None if previous is None else previous.id,
        three_months_ago=_run_months_before(earlier, 3),
        scored_months=snapshots.scored_months(before=as_of),
        snapshots=snapshots,
    )
    # people are explained and written a chunk at a time: the detail documents, the bulk of a
    # snapshot, never all sit in memory together
    for start in range(0, len(people), WRITE_BATCH):
        stop = min(start + WRITE_BATCH, len(people))
        part = people.iloc[start:stop].reset_index(drop=True)
        window = slice(start, stop)
        details = builder.build(
            part, score[window], bands[window], percentile[window], targets[window]
        )
        snapshots.write(
            run_id,
            (
                {
                    "subject": subject,
                    "score": int(score[start + i]),
                    "band": str(bands[start + i]),
                    "percentile": float(percentile[start + i]),
                    "detail": details[i],
                }
                for i, subject in enumerate(part["subject"])
            ),
        )
        progress(f"explained and written: {stop:,}/{len(people):,} people")
    unscored = zip(frame["subject"][~scored], reasons_na[~scored], strict=True)
    snapshots.write(
        run_id,
        (
            {"subject": subject, "score": None, "na_reason": reason, "detail": {}}
            for subject, reason in unscored
        ),
    )
    counts = {b.name: int((bands == b.name).sum()) for b in scoring.bands}
    change = None
    if previous is not None:
        before = snapshots.table(previous.id).to_pandas().dropna(subset=["score"])
        both = before.merge(
            pd.DataFrame({"subject": people["subject"], "now": score}), on="subject"
        )
        if len(both):
            change = float((both["now"] - both["score"]).mean())
    na_counts = pd.Series(reasons_na[~scored]).value_counts().to_dict()
    return {
        "people": len(frame),
        "scored": int(scored.sum()),
        "not_scored": int((~scored).sum()),
        "na_reasons": {str(k): int(v) for k, v in na_counts.items()},
        "bands": counts,
        "mean_score": float(np.mean(score)) if len(score) else None,
        "mean_change": change,
    }


def _run_months_before(earlier: list[Any], months: int) -> Any:
    """The published run ``months`` runs back (None when the history is shorter)."""
    return earlier[-months] if len(earlier) >= months else None
