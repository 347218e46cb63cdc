"""The model report: one self-contained HTML page a credit analyst or validator can read.

It shows the scorecard's discrimination (AUC, KS, Gini) and accuracy (Brier) on the training and
test samples beside a challenger's, the ROC and KS curves, the score distribution of goods and
bads, calibration and population per score band, stability (PSI), fairness across groups of
people the model never tells apart (:mod:`credo.model.fairness_report`) and the scorecard
itself, bin by bin. The page needs nothing else: inline CSS, charts as inline SVG
(:mod:`credo.model.svg`), no script and no external resource. All text is HTML-escaped by
the Jinja2 template.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np
import numpy.typing as npt
import pandas as pd
from markupsafe import Markup

from credo.errors import InvalidInputError
from credo.model.evaluation import (
    DEFAULT_BANDS,
    Band,
    BandCalibration,
    Evaluation,
    auc,
    brier,
    evaluate,
    ks,
    ks_curve,
    roc_curve_points,
    score_distribution,
)
from credo.model.fairness import FairnessAudit
from credo.model.fairness_report import fairness_context
from credo.model.stability import PsiRow
from credo.model.svg import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    PURPLE,
    Axis,
    BarGroup,
    Line,
    bar_chart,
    line_chart,
    nice_ticks,
)

__all__ = [
    "SCORECARD_COLUMNS",
    "ChallengerInput",
    "EvaluationInput",
    "ReportData",
    "TrainingSummary",
    "render_report",
]

SCORECARD_COLUMNS = (
    "dimension",
    "characteristic",
    "bin",
    "count",
    "count_share",
    "bad_count",
    "bad_rate",
    "woe",
    "iv",
    "points",
)
_TEMPLATES = Path(__file__).with_name("templates")
_MISSING = "\N{EM DASH}"
_UNIT = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True, eq=False)
class EvaluationInput:
    """Outcomes (1 = bad), predicted P(bad) and scores of one sample, e.g. ``"test 2026-10"``."""

    label: str
    y: npt.ArrayLike
    p_bad: npt.ArrayLike
    scores: npt.ArrayLike


@dataclass(frozen=True, eq=False)
class ChallengerInput:
    """A challenger's predicted P(bad) on a labelled sample, shown beside the scorecard."""

    label: str
    y: npt.ArrayLike
    p_bad: npt.ArrayLike


@dataclass(frozen=True)
class TrainingSummary:
    """What the model was trained on: rows, bad rate (0..1) and the period in words."""

    rows: int
    bad_rate: float
    period: str


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything the report shows.

    ``scorecard_table`` has one row per bin with the keys of :data:`SCORECARD_COLUMNS` (a list of
    mappings or a DataFrame); ``psi_rows`` may include the score itself as a characteristic;
    ``fairness`` holds the audits of attributes the model does not use (none: no section).
    """

    title: str
    model_version: str
    created_at: str
    training: TrainingSummary
    train: EvaluationInput
    scorecard_table: Sequence[Mapping[str, object]] | pd.DataFrame
    dimension_weights: Mapping[str, float] = field(default_factory=dict)
    test: EvaluationInput | None = None
    psi_rows: Sequence[PsiRow] = ()
    challenger: ChallengerInput | None = None
    bands: Sequence[Band] = DEFAULT_BANDS
    fairness: Sequence[FairnessAudit] = ()


def _real(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return number


def _fixed(value: object, digits: int) -> str:
    number = _real(value)
    return f"{number:.{digits}f}" if math.isfinite(number) else _MISSING


def _percent(value: object, digits: int = 1) -> str:
    number = _real(value)
    return f"{100 * number:.{digits}f} %" if math.isfinite(number) else _MISSING


def _count(value: object) -> str:
    number = _real(value)
    return f"{round(number):,}" if math.isfinite(number) else _MISSING


def _points(value: object) -> str:
    number = _real(value)
    if not math.isfinite(number):
        return _MISSING
    return f"{number:.0f}" if abs(number - round(number)) < 1e-9 else f"{number:.1f}"


def _metric_row(model: str, sample: str, evaluation: Evaluation) -> dict[str, str]:
    return {
        "model": model,
        "sample": sample,
        "n": _count(evaluation.n),
        "bad_rate": _percent(evaluation.bad_rate),
        "auc": _fixed(evaluation.auc, 3),
        "ks": _fixed(evaluation.ks, 3),
        "gini": _fixed(evaluation.gini, 3),
        "brier": _fixed(evaluation.brier, 4),
    }


def _challenger_row(challenger: ChallengerInput) -> dict[str, str]:
    y = np.asarray(challenger.y, dtype=np.float64)
    area = auc(challenger.y, challenger.p_bad)
    return {
        "model": "Challenger (LightGBM)",
        "sample": challenger.label,
        "n": _count(y.size),
        "bad_rate": _percent(y.mean()),
        "auc": _fixed(area, 3),
        "ks": _fixed(ks(challenger.y, challenger.p_bad), 3),
        "gini": _fixed(2 * area - 1, 3),
        "brier": _fixed(brier(challenger.y, challenger.p_bad), 4),
    }


def _roc_chart(data: ReportData, samples: Sequence[EvaluationInput]) -> tuple[str, str]:
    lines: list[Line] = []
    words: list[str] = []
    for sample, colour in zip(samples, (BLUE, GREEN), strict=False):
        fpr, tpr = roc_curve_points(sample.y, sample.p_bad)
        lines.append(Line(f"scorecard, {sample.label}", fpr, tpr, colour))
        words.append(f"scorecard on {sample.label}: AUC {auc(sample.y, sample.p_bad):.3f}")
    if data.challenger is not None:
        fpr, tpr = roc_curve_points(data.challenger.y, data.challenger.p_bad)
        lines.append(Line(f"challenger, {data.challenger.label}", fpr, tpr, ORANGE, dashed=True))
        area = auc(data.challenger.y, data.challenger.p_bad)
        words.append(f"challenger on {data.challenger.label}: AUC {area:.3f}")
    caption = "ROC curves (dotted diagonal: no discrimination); " + "; ".join(words) + "."
    svg = line_chart(
        lines,
        chart_id="roc",
        title="ROC curve",
        description=caption,
        x_axis=Axis("share of goods flagged (false-positive rate)", 0.0, 1.0, _UNIT, "{:.1f}"),
        y_axis=Axis("share of bads caught (true-positive rate)", 0.0, 1.0, _UNIT, "{:.1f}"),
        diagonal=True,
    )
    return svg, caption


def _score_axis(scores: npt.NDArray[np.float64], label: str) -> Axis:
    finite = scores[np.isfinite(scores)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (350.0, 950.0)
    if high <= low:
        low, high = low - 1.0, high + 1.0
    return Axis(label, low, high, nice_ticks(low, high), "{:.0f}")


def _ks_chart(sample: EvaluationInput) -> tuple[str, str]:
    thresholds, cum_bad, cum_good = ks_curve(sample.y, sample.scores)
    widest = int(np.argmax(np.abs(cum_bad - cum_good)))
    gap = float(abs(cum_bad[widest] - cum_good[widest]))
    at = float(thresholds[widest])
    caption = (
        f"Cumulative share of bads and goods at or below each score ({sample.label}); "
        f"the largest gap, KS = {gap:.3f}, is at score {at:.0f}."
    )
    svg = line_chart(
        [
            Line("bads", thresholds, cum_bad, ORANGE),
            Line("goods", thresholds, cum_good, BLUE, dashed=True),
        ],
        chart_id="ks",
        title="KS plot",
        description=caption,
        x_axis=_score_axis(thresholds, "score"),
        y_axis=Axis("cumulative share", 0.0, 1.0, _UNIT, "{:.1f}"),
        marker_x=at,
        marker_label=f"KS {gap:.3f}",
    )
    return svg, caption


def _score_edges(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    finite = scores[np.isfinite(scores)]
    if finite.size == 0:
        raise InvalidInputError("the report needs at least one finite score")
    low, high = float(finite.min()), float(finite.max())
    step = next((s for s in (5, 10, 20, 25, 50, 100, 250, 500) if (high - low) / s <= 30), None)
    if step is None:  # not a 350-950 scale: 30 equal bins over whatever range it has
        return np.linspace(low, high, 31)
    start = math.floor(low / step) * step
    stop = math.floor(high / step) * step + step
    return np.arange(start, stop + step / 2, step, dtype=np.float64)


def _distribution_chart(sample: EvaluationInput) -> tuple[str, str]:
    scores = np.asarray(sample.scores, dtype=np.float64)
    histogram = score_distribution(scores, sample.y, bins=list(_score_edges(scores)))
    goods = 100 * histogram.goods / max(int(histogram.goods.sum()), 1)
    bads = 100 * histogram.bads / max(int(histogram.bads.sum()), 1)
    top = max(float(goods.max()), float(bads.max()), 1.0) * 1.1
    labels = [f"{edge:.0f}" for edge in histogram.edges[:-1]]
    caption = (
        f"Share of goods and of bads per score bin ({sample.label}); bins start at the "
        f"labelled score, {histogram.edges[1] - histogram.edges[0]:.0f} points wide."
    )
    svg = bar_chart(
        labels,
        [BarGroup("goods", goods, BLUE), BarGroup("bads", bads, ORANGE)],
        chart_id="distribution",
        title="Score distribution by outcome",
        description=caption,
        x_label="score",
        y_axis=Axis("share of outcome group (%)", 0.0, top, nice_ticks(0.0, top), "{:g}"),
        label_every=max(1, math.ceil(len(labels) / 10)),
    )
    return svg, caption


def _calibration_chart(rows: Sequence[BandCalibration], label: str) -> tuple[str, str]:
    predicted = np.array([100 * row.mean_p_bad for row in rows], dtype=np.float64)
    observed = np.array([100 * row.bad_rate for row in rows], dtype=np.float64)
    finite = np.r_[predicted, observed][np.isfinite(np.r_[predicted, observed])]
    top = max(float(finite.max()) if finite.size else 0.0, 1.0) * 1.1
    caption = f"Mean predicted and observed bad rate per score band ({label})."
    svg = bar_chart(
        [row.band for row in rows],
        [BarGroup("predicted", predicted, GREY), BarGroup("observed", observed, PURPLE)],
        chart_id="calibration",
        title="Calibration by score band",
        description=caption,
        x_label="score band",
        y_axis=Axis("bad rate (%)", 0.0, top, nice_ticks(0.0, top), "{:g}"),
    )
    return svg, caption


def _band_rows(bands: Sequence[Band], evaluations: Sequence[Evaluation]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i, band in enumerate(bands):
        cells = [
            {
                "count": _count(e.calibration[i].count),
                "share": _percent(e.calibration[i].share),
                "bad_rate": _percent(e.calibration[i].bad_rate),
            }
            for e in evaluations
        ]
        rows.append({"band": band.name, "range": f"{band.low}-{band.high}", "samples": cells})
    return rows


def _scorecard_records(
    table: Sequence[Mapping[str, object]] | pd.DataFrame,
) -> list[Mapping[str, object]]:
    records: list[Mapping[str, object]] = (
        [{str(k): v for k, v in row.items()} for row in table.to_dict(orient="records")]
        if isinstance(table, pd.DataFrame)
        else list(table)
    )
    for number, record in enumerate(records):
        absent = [key for key in SCORECARD_COLUMNS if key not in record]
        if absent:
            raise InvalidInputError(f"scorecard table row {number} lacks the keys {absent}")
    return records


def _scorecard_groups(records: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    grouped: dict[str, dict[str, list[Mapping[str, object]]]] = {}
    for record in records:
        dimension = grouped.setdefault(str(record["dimension"]), {})
        dimension.setdefault(str(record["characteristic"]), []).append(record)
    return [
        {
            "name": dimension,
            "characteristics": [
                {
                    "name": name,
                    "iv": _fixed(sum(_real(r["iv"]) for r in bins), 3),
                    "bins": [_scorecard_bin(r) for r in bins],
                }
                for name, bins in characteristics.items()
            ],
        }
        for dimension, characteristics in grouped.items()
    ]


def _scorecard_bin(record: Mapping[str, object]) -> dict[str, str]:
    return {
        "bin": str(record["bin"]),
        "count": _count(record["count"]),
        "count_share": _percent(record["count_share"]),
        "bad_count": _count(record["bad_count"]),
        "bad_rate": _percent(record["bad_rate"]),
        "woe": _fixed(record["woe"], 3),
        "iv": _fixed(record["iv"], 4),
        "points": _points(record["points"]),
    }


def _weights(
    weights: Mapping[str, float], records: Sequence[Mapping[str, object]]
) -> list[dict[str, str]]:
    iv: dict[str, float] = {}
    for record in records:
        key = str(record["dimension"])
        iv[key] = iv.get(key, 0.0) + _real(record["iv"])
    return [
        {"dimension": name, "weight": _fixed(weight, 3), "iv": _fixed(iv.get(name), 3)}
        for name, weight in weights.items()
    ]


def _context(data: ReportData) -> dict[str, object]:
    samples = [data.train] if data.test is None else [data.train, data.test]
    evaluations = [evaluate(s.y, s.p_bad, s.scores, data.bands) for s in samples]
    focus, focus_evaluation = samples[-1], evaluations[-1]
    metrics = [
        _metric_row("Scorecard", s.label, e) for s, e in zip(samples, evaluations, strict=True)
    ]
    if data.challenger is not None:
        metrics.append(_challenger_row(data.challenger))
    records = _scorecard_records(data.scorecard_table)
    charts = {
        "roc": _roc_chart(data, samples),
        "ks": _ks_chart(focus),
        "distribution": _distribution_chart(focus),
        "calibration": _calibration_chart(focus_evaluation.calibration, focus.label),
    }
    return {
        "title": data.title,
        "model_version": data.model_version,
        "created_at": data.created_at,
        "training": {
            "rows": _count(data.training.rows),
            "bad_rate": _percent(data.training.bad_rate),
            "period": data.training.period,
        },
        "metrics": metrics,
        # the SVG strings are built by credo.model.svg, which escapes every text it embeds
        "charts": {name: Markup(svg) for name, (svg, _) in charts.items()},  # noqa: S704
        "captions": {name: caption for name, (_, caption) in charts.items()},
        "focus_label": focus.label,
        "calibration": [
            {
                "band": row.band,
                "range": f"{row.low}-{row.high}",
                "count": _count(row.count),
                "bads": _count(row.bads),
                "bad_rate": _percent(row.bad_rate),
                "mean_p_bad": _percent(row.mean_p_bad),
            }
            for row in focus_evaluation.calibration
        ],
        "band_samples": [s.label for s in samples],
        "bands": _band_rows(data.bands, evaluations),
        "psi": [
            {"characteristic": r.characteristic, "psi": _fixed(r.psi, 3), "verdict": r.verdict}
            for r in data.psi_rows
        ],
        "weights": _weights(data.dimension_weights, records),
        "scorecard": _scorecard_groups(records),
        "fairness": fairness_context(data.fairness),
    }


def render_report(data: ReportData) -> str:
    """The model report as one self-contained HTML document.

    Raises
    ------
    InvalidInputError
        When a sample is not evaluable (one outcome only, probabilities outside [0, 1]) or the
        scorecard table lacks a column of :data:`SCORECARD_COLUMNS`.
    """
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("report.html.j2").render(_context(data))
