"""Fairness audit: does a scorecard treat groups of people alike that it never looks at?

The groups come from an attribute the model does not use (age group, sex, nationality: kept
apart from the characteristics, DESIGN.md). For each group of one attribute the audit gives

* **approval rate** at a score threshold (a person with no score, N/A, is not approved) and
  the **adverse impact ratio**: the lowest group approval rate over the highest. Under the
  *four-fifths rule* (US EEOC Uniform Guidelines, 29 CFR 1607.4 D) a ratio below 0.8 is
  evidence of adverse impact that the lender must be able to justify;
* **AUC** of the score among the group's people with a known outcome (the probability that a
  good scores higher than a bad, ties counted half) with the Hanley-McNeil (1982) standard
  error, so that a gap between groups can be told from noise;
* **calibration**: the mean predicted probability of bad against the observed bad rate, their
  ratio (observed / expected bads) and a z statistic ``(O - E) / sqrt(Σ p (1 - p))``; and the
  same per score band. A group whose observed bad rate exceeds the predicted one is scored too
  kindly, one below it too harshly.

A group with fewer than ``min_group`` people (30 by default) is reported but not judged: it
takes no part in the adverse impact ratio. Neither does the group of people whose attribute is
unknown. AUC and calibration are judged only for groups with ``min_group`` known outcomes.
Everything here is pure: arrays in, frozen records out; outcomes use 1 = bad.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from credo.errors import InvalidInputError
from credo.model.evaluation import (
    DEFAULT_BANDS,
    Band,
    BandCalibration,
    auc,
    calibration_by_band,
    json_safe,
)

__all__ = [
    "FOUR_FIFTHS",
    "MIN_GROUP",
    "UNKNOWN",
    "FairnessAudit",
    "GroupResult",
    "auc_standard_error",
    "audit_attribute",
    "bin_values",
    "threshold_for_share",
]

FOUR_FIFTHS = 0.8
MIN_GROUP = 30
UNKNOWN = "(unknown)"

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class GroupResult:
    """One group of an attribute: how often it is approved, how well it is ranked and how
    well its risk is predicted. Rates are 0..1; NaN where there is nothing to measure."""

    group: str
    n: int
    scored: int
    approved: int
    approval_rate: float
    impact_ratio: float
    judged: bool
    outcomes: int = 0
    bads: int = 0
    bad_rate: float = math.nan
    auc: float = math.nan
    auc_se: float = math.nan
    mean_p_bad: float = math.nan
    observed_to_expected: float = math.nan
    calibration_z: float = math.nan
    calibration: tuple[BandCalibration, ...] = ()

    @property
    def na_rate(self) -> float:
        """Share of the group with no score (N/A)."""
        return 1.0 - self.scored / self.n if self.n else math.nan

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields (NaN becomes ``None``)."""
        head = {k: json_safe(v) for k, v in asdict(self).items() if k != "calibration"}
        return head | {"calibration": [row.to_dict() for row in self.calibration]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroupResult:
        """The inverse of :meth:`to_dict`."""
        values: dict[str, Any] = {
            k: (math.nan if v is None else v)
            for k, v in data.items()
            if k in cls.__dataclass_fields__ and k != "calibration"
        }
        rows = tuple(_band_row(row) for row in data.get("calibration", ()))
        return cls(**values, calibration=rows)


def _band_row(row: Mapping[str, Any]) -> BandCalibration:
    values: dict[str, Any] = {k: (math.nan if v is None else v) for k, v in row.items()}
    return BandCalibration(**values)


@dataclass(frozen=True)
class FairnessAudit:
    """The audit of one attribute at one threshold: a row per group and the whole sample."""

    attribute: str
    threshold: float
    groups: tuple[GroupResult, ...]
    overall: GroupResult
    min_group: int = MIN_GROUP
    sample: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def judged(self) -> tuple[GroupResult, ...]:
        """The groups large enough, and known, to be judged."""
        return tuple(g for g in self.groups if g.judged)

    @property
    def adverse_impact_ratio(self) -> float:
        """Lowest over highest approval rate among judged groups (NaN: fewer than two judged
        groups, or none approved)."""
        rates = [g.approval_rate for g in self.judged]
        if len(rates) < 2 or max(rates) == 0:
            return math.nan
        return min(rates) / max(rates)

    @property
    def verdict(self) -> str:
        """``"pass"`` (ratio at least 0.8), ``"adverse impact"`` or ``"not judged"``."""
        ratio = self.adverse_impact_ratio
        if math.isnan(ratio):
            return "not judged"
        return "pass" if ratio >= FOUR_FIFTHS else "adverse impact"

    @property
    def judged_outcomes(self) -> tuple[GroupResult, ...]:
        """The judged groups with at least ``min_group`` outcomes: enough to judge AUC and
        calibration (a group can be large enough for its approval rate alone)."""
        return tuple(g for g in self.judged if g.outcomes >= self.min_group)

    @property
    def auc_range(self) -> float:
        """Highest minus lowest AUC among :attr:`judged_outcomes` (NaN if fewer than two)."""
        values = [g.auc for g in self.judged_outcomes if math.isfinite(g.auc)]
        return max(values) - min(values) if len(values) >= 2 else math.nan

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe document, derived figures included."""
        return {
            "attribute": self.attribute,
            "threshold": json_safe(self.threshold),
            "min_group": self.min_group,
            "sample": self.sample,
            "notes": list(self.notes),
            "adverse_impact_ratio": json_safe(self.adverse_impact_ratio),
            "verdict": self.verdict,
            "auc_range": json_safe(self.auc_range),
            "overall": self.overall.to_dict(),
            "groups": [g.to_dict() for g in self.groups],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FairnessAudit:
        """The inverse of :meth:`to_dict` (the derived figures are recomputed)."""
        try:
            return cls(
                attribute=str(data["attribute"]),
                threshold=float(data["threshold"]),
                groups=tuple(GroupResult.from_dict(g) for g in data["groups"]),
                overall=GroupResult.from_dict(data["overall"]),
                min_group=int(data.get("min_group", MIN_GROUP)),
                sample=str(data.get("sample", "")),
                notes=tuple(data.get("notes", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"not a fairness audit document: {exc!r}") from exc


def auc_standard_error(area: float, bads: int, goods: int) -> float:
    """Hanley and McNeil's (1982) standard error of an AUC from ``bads`` and ``goods``.

    >>> round(auc_standard_error(0.75, 2, 2), 4)
    0.2763
    """
    if bads < 1 or goods < 1 or not math.isfinite(area):
        return math.nan
    q1 = area / (2.0 - area)
    q2 = 2.0 * area * area / (1.0 + area)
    variance = (
        area * (1.0 - area) + (bads - 1) * (q1 - area * area) + (goods - 1) * (q2 - area * area)
    ) / (bads * goods)
    return math.sqrt(max(variance, 0.0))


def bin_values(values: npt.ArrayLike, edges: Sequence[float]) -> tuple[list[str], list[str]]:
    """Group numbers into intervals closed on the left: edges ``(25, 40)`` give ``"< 25"``,
    ``"[25, 40)"`` and ``">= 40"``; a missing value is :data:`UNKNOWN`.

    Returns the label of each value and the labels in interval order.

    >>> bin_values([19, 25, 39.5, 71, None], [25, 40])[0]
    ['< 25', '[25, 40)', '[25, 40)', '>= 40', '(unknown)']
    """
    cuts = [float(e) for e in edges]
    if not cuts or any(b <= a for a, b in itertools.pairwise(cuts)):
        raise InvalidInputError(f"bin edges must be increasing numbers; got {list(edges)}")
    try:
        numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="raise")
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"only numbers can be cut into bins: {exc}") from exc
    array = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    order = [f"< {cuts[0]:g}"]
    order += [f"[{a:g}, {b:g})" for a, b in itertools.pairwise(cuts)]
    order.append(f">= {cuts[-1]:g}")
    index = np.searchsorted(np.asarray(cuts), array, side="right")
    labels = [UNKNOWN if math.isnan(v) else order[i] for v, i in zip(array, index, strict=True)]
    return labels, order


def threshold_for_share(scores: npt.ArrayLike, share: float) -> float:
    """The lowest score threshold that approves at most ``share`` of the scored people
    (approval: score at or above the threshold; N/A rows are left out).

    >>> threshold_for_share([400, 500, 600, 700], 0.5)
    600.0
    """
    if not 0.0 < share <= 1.0:
        raise InvalidInputError(f"an approval share must be in (0, 1]; got {share}")
    points = np.sort(_scores(scores, None))[::-1]
    points = points[np.isfinite(points)]
    if points.size == 0:
        raise InvalidInputError("no scored rows to set a threshold on")
    allowed = math.floor(share * points.size + 1e-9)
    if allowed == 0:
        return math.nextafter(float(points[0]), math.inf)
    candidate = float(points[allowed - 1])
    if allowed < points.size and points[allowed] == candidate:  # ties would approve too many
        above = points[points > candidate]
        return float(above.min()) if above.size else math.nextafter(candidate, math.inf)
    return candidate


def _scores(values: npt.ArrayLike, n: int | None) -> FloatArray:
    try:
        array = pd.to_numeric(pd.Series(values, dtype=object)).to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"scores must be numbers (NaN for N/A): {exc}") from exc
    if n is not None and array.shape != (n,):
        raise InvalidInputError(f"expected {n} scores; got {array.shape[0]}")
    return array


def _outcomes(y: npt.ArrayLike | None, n: int) -> FloatArray:
    if y is None:
        return np.full(n, np.nan)
    array = _scores(y, n)
    known = array[~np.isnan(array)]
    if not np.isin(known, (0.0, 1.0)).all():
        raise InvalidInputError("outcomes must be 0 (good), 1 (bad) or missing")
    return array


def _labels(groups: Sequence[object] | npt.ArrayLike, n: int) -> list[str]:
    values: list[object] = list(np.asarray(groups, dtype=object).reshape(-1))
    labels = [UNKNOWN if pd.isna(g) else str(g) for g in values]  # type: ignore[call-overload]
    if len(labels) != n:
        raise InvalidInputError(f"expected {n} group labels; got {len(labels)}")
    return labels


def _risk(scores: FloatArray) -> FloatArray:
    """A probability-like risk that falls as the score rises (ties kept), for :func:`auc`."""
    _, inverse = np.unique(-scores, return_inverse=True)
    ranks = inverse.reshape(-1).astype(np.float64)
    return np.asarray((ranks + 1.0) / (ranks.max() + 1.0), dtype=np.float64)


def _group(
    name: str,
    scores: FloatArray,
    y: FloatArray,
    p_bad: FloatArray | None,
    *,
    threshold: float,
    bands: Sequence[Band],
    judged: bool,
) -> GroupResult:
    n = int(scores.size)
    scored = np.isfinite(scores)
    approved = int((scores[scored] >= threshold).sum())
    base = GroupResult(
        group=name,
        n=n,
        scored=int(scored.sum()),
        approved=approved,
        approval_rate=approved / n if n else math.nan,
        impact_ratio=math.nan,
        judged=judged,
    )
    known = scored & ~np.isnan(y)
    if p_bad is not None:
        known &= np.isfinite(p_bad)
    outcome = y[known].astype(np.int64)
    if outcome.size == 0:
        return base
    bads = int(outcome.sum())
    goods = outcome.size - bads
    area = auc(outcome, _risk(scores[known])) if bads and goods else math.nan
    extra: dict[str, Any] = {
        "outcomes": int(outcome.size),
        "bads": bads,
        "bad_rate": bads / outcome.size,
        "auc": area,
        "auc_se": auc_standard_error(area, bads, goods),
    }
    if p_bad is not None:
        prob = p_bad[known]
        expected = float(prob.sum())
        spread = float((prob * (1.0 - prob)).sum())
        extra |= {
            "mean_p_bad": expected / outcome.size,
            "observed_to_expected": bads / expected if expected > 0 else math.nan,
            "calibration_z": (bads - expected) / math.sqrt(spread) if spread > 0 else math.nan,
            "calibration": tuple(calibration_by_band(outcome, prob, scores[known], bands)),
        }
    return replace(base, **extra)


def audit_attribute(
    attribute: str,
    groups: Sequence[object] | npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    threshold: float,
    y: npt.ArrayLike | None = None,
    p_bad: npt.ArrayLike | None = None,
    order: Sequence[str] | None = None,
    bands: Sequence[Band] = DEFAULT_BANDS,
    min_group: int = MIN_GROUP,
    sample: str = "",
    notes: Sequence[str] = (),
) -> FairnessAudit:
    """Audit one attribute.

    Parameters
    ----------
    attribute
        The attribute's name, e.g. ``"age group"``.
    groups
        Each person's group (missing: :data:`UNKNOWN`).
    scores
        Each person's score, NaN for N/A (never approved); higher is safer.
    threshold
        A person is approved when their score is at or above it.
    y
        Outcomes (1 = bad, 0 = good, NaN unknown); without them only approval is audited.
    p_bad
        The model's predicted probability of bad, for calibration.
    order
        Group order for the report (default: sorted); groups not named follow, sorted, and
        :data:`UNKNOWN` comes last.
    min_group
        Groups with fewer people are reported but not judged.
    """
    points = _scores(scores, None)
    n = points.size
    labels = _labels(groups, n)
    outcome = _outcomes(y, n)
    prob = None if p_bad is None else _scores(p_bad, n)
    if prob is not None and ((prob < 0) | (prob > 1)).any():
        raise InvalidInputError("p_bad must hold probabilities in [0, 1]")
    named = [g for g in dict.fromkeys(order or ()) if g != UNKNOWN]
    seen = set(labels)
    names = [g for g in named if g in seen] + sorted(seen - set(named) - {UNKNOWN})
    names += [UNKNOWN] if UNKNOWN in seen else []
    label_array = np.asarray(labels, dtype=object)
    rows: list[GroupResult] = []
    for name in names:
        inside = label_array == name
        rows.append(
            _group(
                name,
                points[inside],
                outcome[inside],
                None if prob is None else prob[inside],
                threshold=threshold,
                bands=bands,
                judged=name != UNKNOWN and int(inside.sum()) >= min_group,
            )
        )
    reference = max((g.approval_rate for g in rows if g.judged), default=0.0)
    if reference > 0:
        rows = [replace(g, impact_ratio=g.approval_rate / reference) for g in rows]
    overall = _group("all", points, outcome, prob, threshold=threshold, bands=bands, judged=False)
    return FairnessAudit(
        attribute=attribute,
        threshold=float(threshold),
        groups=tuple(rows),
        overall=overall,
        min_group=min_group,
        sample=sample,
        notes=tuple(notes),
    )
