"""Re-scoring a few people inside the current snapshot, in seconds rather than a monthly run.

A resolved dispute changes which events count for one person; waiting a month for the next run
would leave a wrong score serving. :func:`rescore_people` recomputes those people's
characteristics from the events they depend on (:func:`~credo.features.person.people_events`)
with the pieces of the monthly run (:func:`~credo.scoring.run.scored_expr`, the N/A criteria,
bands, :class:`~credo.scoring.detail.DetailBuilder`), as the current snapshot's run saw the
lake (its as-of date, the events ingested before it started, its model, its tie scores), and
replaces their rows. The only difference from the run is therefore the set of excluded events.

A person's percentile is their new score's rank among everyone else in the snapshot. The
snapshot's summary (band counts, mean) is left as the run wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import pandas as pd

from credo.errors import ModelError
from credo.events.sources import SourceRegistry
from credo.features.engines import feature_engine
from credo.features.person import people_events
from credo.lake.delta import DeltaEventLake
from credo.loyalty.catalogue import privileges_catalogue
from credo.model.artifact import from_artifact, loads
from credo.scoring.bands import band_of, next_band_floor, publish_score
from credo.scoring.criteria import na_reasons
from credo.scoring.detail import DetailBuilder
from credo.scoring.run import run_months_before, scored_expr, scores_of
from credo.settings import DuckDBEngine, ScoringSettings, SparkEngine
from credo.storage.registry import ModelRegistry
from credo.storage.snapshots import RunRecord, SnapshotStore

__all__ = ["AuditTrail", "Rescored", "rescore_people"]


class AuditTrail(Protocol):
    """Where a re-score is recorded (the audit chain serves as one)."""

    def append(
        self,
        actor: str,
        action: str,
        subject: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> object:
        """Append an entry about ``subject``."""
        ...


@dataclass(frozen=True, slots=True)
class Rescored:
    """One person re-scored in run ``run_id``: the score before and after (None for N/A or no
    row), the N/A reason, and whether the person still has a row (``False`` when no event of
    theirs counts any more)."""

    subject: str
    run_id: int
    as_of: datetime
    before: int | None
    after: int | None
    na_reason: str | None
    present: bool


def rescore_people(
    subjects: Iterable[str],
    *,
    lake: DeltaEventLake,
    sources: SourceRegistry,
    models: ModelRegistry,
    snapshots: SnapshotStore,
    scoring: ScoringSettings,
    engine: DuckDBEngine | SparkEngine,
    excluded: Iterable[tuple[str, str]],
    retention: Mapping[str, int] | None = None,
    audit: AuditTrail,
    trigger: str,
) -> list[Rescored]:
    """Re-score ``subjects`` in the current snapshot and record each in ``audit`` (``trigger``
    says why); an empty list when no snapshot is published yet (the first run scores them).

    Raises
    ------
    ModelError
        When the current snapshot's model is not registered any more.
    """
    wanted = sorted(set(subjects))
    run = snapshots.current()
    if run is None or not wanted:
        return []
    version = snapshots.model_version(run.id)
    if version is None:
        raise ModelError(f"run {run.id} has no registered model to re-score with")
    doc = loads(models.get(version).artifact)
    earlier = [r for r in snapshots.published() if r.as_of < run.as_of]
    previous = earlier[-1] if earlier else None
    frame = _scored(
        wanted,
        run,
        doc,
        lake=lake,
        sources=sources,
        snapshots=snapshots,
        previous=previous,
        engine=engine,
        excluded=excluded,
        retention=retention,
    )
    rows = _rows(frame, run, doc, earlier=earlier, snapshots=snapshots, scoring=scoring)
    done = []
    for subject in wanted:
        old = snapshots.score(subject, run.id)
        row = rows.get(subject)
        snapshots.replace(run.id, subject, None if row is None else {"subject": subject, **row})
        result = Rescored(
            subject=subject,
            run_id=run.id,
            as_of=run.as_of,
            before=None if old is None else old.score,
            after=None if row is None else row["score"],
            na_reason=None if row is None else row.get("na_reason"),
            present=row is not None,
        )
        audit.append(
            "system",
            "score.rescored",
            subject,
            {"run": run.id, "trigger": trigger, "changed": result.before != result.after},
        )
        done.append(result)
    return done


def _rows(
    frame: pd.DataFrame,
    run: RunRecord,
    doc: Mapping[str, Any],
    *,
    earlier: list[RunRecord],
    snapshots: SnapshotStore,
    scoring: ScoringSettings,
) -> dict[str, dict[str, Any]]:
    """Per person of ``frame``, their new snapshot row: N/A with its reason, or score, band,
    percentile among the others and the detail document the run would have written."""
    reasons = na_reasons(frame, min_history_months=scoring.min_history_months)
    is_scored = pd.isna(reasons)
    people = frame[is_scored].reset_index(drop=True)
    score = publish_score(people["score"].to_numpy())
    bands = band_of(score, scoring.bands)
    percentile = np.array(
        [
            _percentile(snapshots, run.id, int(s), subject)
            for s, subject in zip(score, people["subject"], strict=True)
        ],
        dtype=np.float64,
    )
    builder = DetailBuilder(
        doc=doc,
        model=from_artifact(doc),
        catalogue=privileges_catalogue(scoring),
        reach_points=scoring.reach_points,
        previous_run=earlier[-1].id if earlier else None,
        three_months_ago=run_months_before(earlier, 3),
        scored_months={s: _months_scored(snapshots, s, run.as_of) for s in people["subject"]},
        snapshots=snapshots,
    )
    details = builder.build(people, score, bands, percentile, next_band_floor(score, scoring.bands))
    rows: dict[str, dict[str, Any]] = {
        subject: {
            "score": int(score[i]),
            "band": str(bands[i]),
            "percentile": float(percentile[i]),
            "detail": details[i],
        }
        for i, subject in enumerate(people["subject"])
    }
    for subject, reason in zip(frame["subject"], reasons, strict=True):
        if reason is not None:
            rows[subject] = {"score": None, "na_reason": str(reason), "detail": {}}
    return rows


def _scored(
    subjects: Sequence[str],
    run: RunRecord,
    doc: Mapping[str, Any],
    *,
    lake: DeltaEventLake,
    sources: SourceRegistry,
    snapshots: SnapshotStore,
    previous: RunRecord | None,
    engine: DuckDBEngine | SparkEngine,
    excluded: Iterable[tuple[str, str]],
    retention: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """The scorecard's output for ``subjects`` (those with a counting event), as the run that
    made the current snapshot computed it but for ``excluded``."""
    reliability = {s.name: s.reliability for s in sources.all()}
    runner = feature_engine(engine)
    try:
        events = people_events(runner.events(lake), subjects, execute=runner.execute)
        ties = None
        if previous is not None:
            ties = runner.table("tie_scores", scores_of(snapshots.table(previous.id)))
        # as the run knew the lake: events ingested since it started wait for the next run
        expr = scored_expr(
            events,
            doc,
            run.as_of,
            reliability=reliability,
            known_at=run.started_at,
            tie_scores=ties,
            excluded=excluded,
            retention=retention,
        )
        expr = expr.filter(expr.subject.isin(list(subjects)))
        frame: pd.DataFrame = runner.execute(expr).to_pandas()
        return frame
    finally:
        runner.close()


def _percentile(snapshots: SnapshotStore, run_id: int, score: int, subject: str) -> float:
    """The share (0-100) of people in the run scoring below ``score``, counting the person
    once with this score (as :func:`~credo.scoring.bands.percentile_rank` does)."""
    below, others = snapshots.rank(run_id, score, excluding=subject)
    return 100.0 * below / (others + 1)


def _months_scored(snapshots: SnapshotStore, subject: str, as_of: datetime) -> int:
    """Published snapshots before ``as_of`` that scored ``subject`` (the run's count)."""
    return sum(1 for h in snapshots.history(subject) if h.as_of < as_of and h.score is not None)
