"""What a person's snapshot row explains: dimension scores, reasons with tips, what would
raise the score, privileges, and what moved since last month."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from credo.features.catalog import CATALOG, characteristic
from credo.loyalty.catalogue import Catalogue
from credo.loyalty.evaluate import evaluate_privileges
from credo.loyalty.facts import Facts
from credo.model.reasons import rank_reasons, reason_code
from credo.model.scorecard import Scorecard
from credo.scoring.compile import points_column
from credo.storage.snapshots import RunRecord, SnapshotStore

__all__ = ["REASONS_SHOWN", "DetailBuilder", "format_value", "reason_text"]

REASONS_SHOWN = 4
MOVERS_SHOWN = 3
_KNOWN = {c.name for c in CATALOG}


UNACTIONABLE = (
    "Nothing to do about this one directly: it follows from your record over time, and credo "
    "does not reward activity for its own sake."
)
"""The tip of a reason no action can change quickly (tie age, purchases, tenure)."""


def reason_text(name: str) -> tuple[str, str]:
    """The plain sentence and the tip of a characteristic (generic for unknown columns)."""
    if name in _KNOWN:
        c = characteristic(name)
        return c.description, c.tip or UNACTIONABLE
    return name.replace("_", " "), UNACTIONABLE


def format_value(name: str, value: Any) -> str:
    """A characteristic's value as people read it, in its catalogue unit.

    >>> format_value("hist_utilisation", 0.14622192084789273)
    '14.6%'
    >>> format_value("hist_worst_dpd_12m", None)
    'no data yet'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data yet"
    if isinstance(value, str | bool) or name not in _KNOWN:
        return str(value)
    unit = characteristic(name).unit
    number = float(value)
    if unit == "share":
        return f"{number:.1%}"
    if unit == "minor units":
        return f"{number / 100:,.2f}"
    if unit in ("days", "months"):
        return f"{number:.0f} {unit}"
    return f"{number:.4g}"


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass
class DetailBuilder:
    """Builds the detail documents of one run's scored people."""

    doc: Mapping[str, Any]
    model: Scorecard
    catalogue: Catalogue
    reach_points: int
    previous_run: int | None
    three_months_ago: RunRecord | None
    scored_months: Mapping[str, int]
    snapshots: SnapshotStore

    def build(
        self,
        people: pd.DataFrame,
        score: npt.NDArray[np.int64],
        bands: npt.NDArray[np.object_],
        percentile: npt.NDArray[np.float64],
        targets: npt.NDArray[np.float64],
    ) -> list[dict[str, Any]]:
        """One detail document per row of ``people`` (characteristics + compiled points)."""
        names = [f["name"] for f in self.doc["features"]]
        dimensions = [f["dimension"] for f in self.doc["features"]]
        points = people[[points_column(n) for n in names]].to_numpy(dtype=np.float64)
        order, lost = rank_reasons(
            points, self.model.state_.best_points(), self.model.state_.name_rank(), REASONS_SHOWN
        )
        actionable = [c.name for c in CATALOG if c.actionable and c.name in names]
        # the top band has nothing above it: a target at the floor of the scale is always met
        reach = np.where(np.isfinite(targets), targets, float(self.doc["scaling"]["score_min"]))
        improvements = self.model.improvements(
            people[list(self.model.feature_names_in_)], reach, actionable=actionable
        )
        dim_columns = [c for c in people.columns if c.startswith("dim__")]
        dims = people[dim_columns].to_numpy(dtype=np.float64)
        dim_names = [c.removeprefix("dim__") for c in dim_columns]
        trend = self._trend
        # plain Python lists: pandas' per-cell access costs microseconds a cell
        wanted = {*names, "hist_defaults_24m", "hist_worst_dpd_12m", "id_verified"}
        values = {name: people[name].tolist() for name in wanted}
        previous = (
            None
            if self.previous_run is None
            else self.snapshots.details(self.previous_run, subjects=people["subject"].tolist())
        )
        out: list[dict[str, Any]] = []
        subjects = people["subject"].tolist()
        for i, subject in enumerate(subjects):
            reasons = []
            for j, loss in zip(order[i], lost[i], strict=True):
                if j < 0:
                    continue
                text, tip = reason_text(names[j])
                reasons.append(
                    {
                        "code": reason_code(names[j]),
                        "characteristic": names[j],
                        "dimension": dimensions[j],
                        "text": text,
                        "tip": tip,
                        "points_lost": round(float(loss), 1),
                        "value": _plain(values[names[j]][i]),
                        "value_text": format_value(names[j], _plain(values[names[j]][i])),
                    }
                )
            dim_scores = {d: round(float(dims[i, k]), 1) for k, d in enumerate(dim_names)}
            mine = {n: round(float(points[i, j]), 2) for j, n in enumerate(names)}
            out.append(
                {
                    "dims": dim_scores,
                    "reasons": reasons,
                    "raise": _improvement(improvements[i], targets[i]),
                    "privileges": self._privileges(
                        values,
                        i,
                        subject=subject,
                        score=int(score[i]),
                        band=str(bands[i]),
                        percentile=float(percentile[i]),
                        dims=dim_scores,
                        trend=trend,
                    ),
                    "points": mine,
                    "values": {n: _plain(values[n][i]) for n in names},
                    "change": None if previous is None else _change(previous, subject, mine),
                }
            )
        return out

    @cached_property
    def _trend(self) -> dict[str, int]:
        """Scores three runs back, for the three-month trend."""
        run = self.three_months_ago
        if run is None:
            return {}
        table = self.snapshots.table(run.id).to_pandas().dropna(subset=["score"])
        return dict(zip(table["subject"], table["score"].astype(int), strict=True))

    def _privileges(
        self,
        values: Mapping[str, list[Any]],
        i: int,
        *,
        subject: str,
        score: int,
        band: str,
        percentile: float,
        dims: Mapping[str, float],
        trend: Mapping[str, int],
    ) -> dict[str, object]:
        defaults = _plain(values["hist_defaults_24m"][i])
        worst = _plain(values["hist_worst_dpd_12m"][i])
        verified = _plain(values["id_verified"][i])
        before = trend.get(subject)
        facts = Facts(
            score=score,
            band=band,
            percentile=float(percentile),
            dims=dims,
            months_scored=self.scored_months.get(subject, 0) + 1,
            # any default, even at a less reliable source, counts against a privilege
            defaults_24m=0 if defaults is None else math.ceil(float(defaults) - 1e-9),
            worst_dpd_12m=None if worst is None else float(worst),
            identity_verified=bool(verified and verified > 0),
            score_trend_3m=None if before is None else float(score - before),
        )
        return evaluate_privileges(self.catalogue, facts, reach_points=self.reach_points).to_dict()


def _change(
    previous: Mapping[str, Mapping[str, Any]], subject: str, mine: Mapping[str, float]
) -> dict[str, Any] | None:
    before = previous.get(subject)
    if not before or "points" not in before:
        return None
    earlier: Mapping[str, float] = before["points"]
    moved = [
        (name, round(value - earlier[name], 1))
        for name, value in mine.items()
        if name in earlier and abs(value - earlier[name]) >= 0.05
    ]
    moved.sort(key=lambda item: (-abs(item[1]), item[0]))
    return {
        "movers": [
            {"characteristic": n, "text": reason_text(n)[0], "points": p}
            for n, p in moved[:MOVERS_SHOWN]
        ],
        "same_model": set(earlier) == set(mine),
    }


def _improvement(move: Any, target: float) -> dict[str, Any] | None:
    if move is None:
        return None
    text, tip = reason_text(move.characteristic)
    return {
        "characteristic": move.characteristic,
        "text": text,
        "tip": tip,
        "from": _plain(move.from_value),
        "to": _plain(move.to_value),
        "from_text": format_value(move.characteristic, _plain(move.from_value)),
        "to_text": format_value(move.characteristic, _plain(move.to_value)),
        "points": round(float(move.points_gained), 1),
        "new_score": math.floor(float(move.new_score) + 0.5),
        "target": None if not math.isfinite(target) else int(target),
    }
