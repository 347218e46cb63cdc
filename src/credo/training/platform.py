"""Train a scorecard on the platform's own data: the lake's training set as of a date."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from credo.clock import Clock
from credo.errors import InvalidInputError
from credo.events.sources import SourceRegistry
from credo.features.catalog import CATALOG
from credo.features.service import build_characteristics, build_training_set
from credo.features.training import add_months
from credo.lake.delta import DeltaEventLake
from credo.model.evaluation import Band
from credo.scoring.criteria import na_reasons
from credo.settings import DuckDBEngine, ScoringSettings, SparkEngine
from credo.storage.registry import ModelRecord, ModelRegistry
from credo.training.fit import fit_and_evaluate

__all__ = ["TrainReport", "lake_last_instant", "model_bands", "train_on_lake"]

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TrainReport:
    """What training did, for the CLI's summary."""

    model: ModelRecord
    rows: int
    bad_rate: float
    excluded: dict[str, int]
    test_auc: float
    test_ks: float
    challenger_auc: float | None
    characteristics: int
    report_path: Path


def model_bands(scoring: ScoringSettings) -> tuple[Band, ...]:
    """The configured bands in the model package's terms."""
    return tuple(Band(b.name, b.low, b.high) for b in scoring.bands)


def lake_last_instant(lake: DeltaEventLake) -> datetime | None:
    """The end of the lake's last month with events (None when it is empty)."""
    last = lake.summary().last_month
    if not last:
        return None
    year, month = (int(part) for part in str(last)[:7].split("-"))
    return add_months(datetime(year, month, 1, tzinfo=UTC), 1)


def train_on_lake(
    *,
    lake: DeltaEventLake,
    sources: SourceRegistry,
    registry: ModelRegistry,
    reports: Path,
    as_of: datetime,
    scoring: ScoringSettings,
    engine: DuckDBEngine | SparkEngine,
    clock: Clock,
    outcome_months: int | None = None,
    activate: bool = True,
    disputed: Iterable[tuple[str, str]] = (),
    retention: Mapping[str, int] | None = None,
    progress: Progress = lambda _: None,
) -> TrainReport:
    """Characteristics at ``as_of`` and outcomes over the following months → a scorecard,
    registered (active by default) with its report under ``reports``; ``disputed``
    ``(source, event_id)`` pairs (pending and upheld disputes) count for neither, nor do
    negative records past their ``retention`` (days per category)."""
    disputed = sorted(set(disputed))
    months = outcome_months or scoring.outcome_months
    now = clock.now()
    last = lake_last_instant(lake)
    if last is None:
        raise InvalidInputError("the lake is empty: ingest events before training")
    limit = min(now, last)
    if add_months(as_of, months) > limit:
        latest = add_months(limit, -months) - timedelta(days=1)
        raise InvalidInputError(
            f"outcomes over {months} months after {as_of - timedelta(days=1):%Y-%m-%d} are not "
            f"all in the lake (its events end {last - timedelta(days=1):%Y-%m-%d}); "
            f"train as of {latest:%Y-%m-%d} or earlier"
        )
    day = as_of - timedelta(days=1)  # an as-of instant is the end of this day
    progress(f"building the training set as of {day:%Y-%m-%d} ({months}-month outcomes)")
    table = build_training_set(
        lake,
        sources,
        [as_of],
        outcome_months=months,
        engine=engine,
        known_at=now,
        excluded=disputed,
        retention=retention,
    ).to_pandas()
    excluded = {
        "in default already": int((table["bad_before"] == 1).sum()),
    }
    keep = table["bad_before"] == 0
    reasons = na_reasons(table, min_history_months=scoring.min_history_months)
    excluded["below the minimum scoring criteria"] = int((keep & pd.notna(reasons)).sum())
    keep &= pd.isna(reasons)
    frame = table[keep]
    names = [c.name for c in CATALOG]
    progress(
        f"characteristics at the lake's end ({last - timedelta(days=1):%Y-%m-%d}), for stability"
    )
    later = build_characteristics(
        lake, sources, last, engine=engine, known_at=now, excluded=disputed, retention=retention
    ).to_pandas()
    progress(f"fitting the scorecard on {len(frame):,} people and a LightGBM challenger")
    fitted = fit_and_evaluate(
        frame[names],
        frame["bad"].to_numpy(),
        params={"dimensions": {c.name: c.dimension for c in CATALOG}},
        monotone={c.name: 1 if c.direction == "higher_is_riskier" else -1 for c in CATALOG},
        later=later[names],
        period=f"as of {day:%Y-%m-%d}, outcomes over {months} months",
        bands=model_bands(scoring),
        created_at=now,
    )
    record = registry.register(
        artifact=fitted.text,
        sha256=fitted.sha256,
        kind="scorecard",
        created_at=now,
        origin=f"lake as of {day:%Y-%m-%d}, {months}-month outcomes, {len(frame):,} people",
        trained_as_of=as_of,
        auc=fitted.test_evaluation.auc,
        activate=activate,
    )
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / f"{record.version}.html"
    html = fitted.report(
        title=f"credo scorecard {record.version}",
        version=record.version,
        bands=model_bands(scoring),
    )
    path.write_text(html, encoding="utf-8")
    challenger = fitted.artifact["metrics"].get("challenger")
    return TrainReport(
        model=record,
        rows=len(frame),
        bad_rate=float(frame["bad"].mean()),
        excluded=excluded,
        test_auc=fitted.test_evaluation.auc,
        test_ks=fitted.test_evaluation.ks,
        challenger_auc=None if challenger is None else float(challenger["auc"]),
        characteristics=len(fitted.scorecard.features_),
        report_path=path,
    )
