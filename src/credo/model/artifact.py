"""A trained scorecard as a versioned, self-verifying JSON document (no pickle).

Document (``schema_version`` 1, ``kind`` ``"credo.scorecard"``)::

    {
      "schema_version": 1,
      "kind": "credo.scorecard",
      "created_at": "2026-11-01T12:00:00+00:00",          # optional, as passed in
      "hyper_parameters": {...},                          # Scorecard(**hyper_parameters)
      "input_features": ["col", ...], "input_named": true, # columns seen in fit
      "scaling": {"pdo", "base_score", "base_odds", "score_min", "score_max",
                  "factor", "offset"},
      "base_points": float,            # information only: already inside the bin points
      "intercept": float,              # intercept of the dimension combination
      "features": [                    # model order: the order points are summed in
        {"name", "dimension", "kind": "numerical" | "categorical",
         "splits": [float, ...], "closed": "left",             # numerical only
         "categories": [[str, ...], ...], "unseen_bin": int,   # categorical only
         "special_codes": [float, ...], "monotonic_trend", "integer_valued",
         "coefficient", "iv", "points_min", "points_max",
         "bins": [{"label", "count", "bad_count", "woe", "iv", "points"}, ...]}
      ],
      "dimensions": {name: {"weight", "intercept", "coefficients": {feature: float},
                            "points_min", "points_max"}},
      "excluded": {column or "dimension:<name>": reason},
      "information_values": {column: float},  # every binned column
      "metrics": {...},
      "training": {"rows", "bad_rate", "fingerprint"},
      "sha256": hex digest of the canonical JSON of everything else
    }

How to score one row from the document (what :func:`from_artifact` does, and what an
in-engine compiler must reproduce):

1. For each entry ``f`` of ``features``, with ``R = len(f["bins"]) - 2`` regular bins (bin
   ``R`` is Special, bin ``R + 1`` is Missing), find the bin ``k`` of the row's value ``v`` of
   column ``f["name"]``:

   * numerical: NULL **or NaN** → ``R + 1``; else ``v`` equal to one of ``special_codes`` →
     ``R``; else ``k`` = the number of splits ``s`` with ``s <= v`` (bins are closed on the
     left: ``(-inf, s0), [s0, s1), …, [s_last, +inf)``; ``+inf`` → ``R - 1``, ``-inf`` → 0);
   * categorical: NULL → ``R + 1``; else the index of the group of ``categories`` holding
     ``str(v)`` (Python's ``str``: booleans ``"True"``/``"False"``, integers ``"1"``, floats
     ``"1.0"``); a value in no group → ``unseen_bin``. Categorical characteristics have no
     special codes.

2. The row's points for ``f`` are ``f["bins"][k]["points"]``; the raw score is their sum
   over ``features`` (the base points are spread into the bins, nothing is added);
3. score = ``min(max(raw, score_min), score_max)``;
4. P(bad) = ``1 / (1 + exp((raw - offset) / factor))`` (from the *unclipped* raw score);
5. the 0-100 score of dimension ``d`` is
   ``100 · (Σ points of the features of d - points_min) / (points_max - points_min)``, with
   ``points_min``/``points_max`` the worst/best attainable sums, clipped to ``[0, 100]``
   (the sums are rounded differently, so a best row can come out at 100.00000000000001);
   50 if ``points_min == points_max``.

``dumps`` writes sorted keys with two-space indents and Python's shortest round-trip float
repr, so identical models give identical bytes; ``loads`` refuses a document whose
``sha256`` does not match its content.
"""

# ruff: noqa: N803 - X is scikit-learn's name for the feature matrix
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from credo.clock import utc
from credo.errors import InvalidInputError, ModelError
from credo.model.binning import Binning
from credo.model.columns import as_target
from credo.model.scaling import Scaling
from credo.model.scorecard import Scorecard
from credo.model.state import FittedState

__all__ = [
    "KIND",
    "SCHEMA_VERSION",
    "dumps",
    "from_artifact",
    "loads",
    "to_artifact",
    "training_fingerprint",
]

SCHEMA_VERSION = 1
KIND = "credo.scorecard"


def _jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars to Python, tuples to lists, mappings to dicts."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _canonical(doc: Mapping[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k != "sha256"}
    text = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def _feature(scorecard: Scorecard, binning: Binning) -> dict[str, Any]:
    name = binning.name
    points = scorecard.points_[name]
    reachable = points[list(binning.attainable())]
    entry: dict[str, Any] = {
        "name": name,
        "dimension": scorecard.dimension_of_[name],
        "kind": binning.kind,
        "special_codes": list(binning.special_codes),
        "monotonic_trend": binning.monotonic_trend,
        "integer_valued": binning.integer_valued,
        "coefficient": scorecard.coefficients_[name],
        "iv": binning.iv,
        "points_min": float(reachable.min()),
        "points_max": float(reachable.max()),
        "bins": [
            {
                "label": label,
                "count": binning.counts[k],
                "bad_count": binning.bad_counts[k],
                "woe": binning.woe[k],
                "iv": binning.bin_iv[k],
                "points": float(points[k]),
            }
            for k, label in enumerate(binning.labels)
        ],
    }
    if binning.kind == "numerical":
        entry.update(splits=list(binning.splits), closed="left")
    else:
        entry.update(
            categories=[list(g) for g in binning.categories], unseen_bin=binning.unseen_bin
        )
    return entry


def to_artifact(
    scorecard: Scorecard,
    *,
    metrics: Mapping[str, Any] | None = None,
    training_fingerprint: str | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """Return the artifact document of a fitted scorecard, ``sha256`` included.

    Parameters
    ----------
    scorecard
        A fitted :class:`~credo.model.scorecard.Scorecard`.
    metrics
        JSON-able evaluation results to record (AUC, Gini, …).
    training_fingerprint
        :func:`training_fingerprint` of the training data.
    created_at
        Timezone-aware creation instant (omitted from the document when None).

    Raises
    ------
    ModelError
        When the scorecard is not fitted.
    InvalidInputError
        When ``metrics`` is not JSON-able or ``created_at`` is naive.
    """
    state: FittedState | None = getattr(scorecard, "state_", None)
    if state is None:
        raise ModelError("artifact: the scorecard is not fitted")
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "hyper_parameters": _jsonable(scorecard.get_params(deep=False)),
        "input_features": list(state.columns),
        "input_named": state.named,
        "scaling": {
            **dataclasses.asdict(state.scaling),
            "factor": state.scaling.factor,
            "offset": state.scaling.offset,
        },
        "base_points": state.base_points,
        "intercept": state.intercept,
        "features": [_feature(scorecard, b) for b in state.binnings],
        "dimensions": {d: _dimension(state, d) for d in state.dimension_weights},
        "excluded": dict(state.exclusions),
        "information_values": dict(state.iv),
        "metrics": _jsonable(dict(metrics or {})),
        "training": {
            "rows": state.rows,
            "bad_rate": state.bad_rate,
            "fingerprint": training_fingerprint,
        },
    }
    if created_at is not None:
        try:
            doc["created_at"] = utc(created_at).isoformat()
        except ValueError as exc:
            raise InvalidInputError(f"artifact: created_at: {exc}") from exc
    try:
        doc["sha256"] = hashlib.sha256(_canonical(doc)).hexdigest()
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"artifact: metrics must be finite JSON values: {exc}") from exc
    return doc


def _dimension(state: FittedState, dimension: str) -> dict[str, Any]:
    low, high = state.dimension_range(dimension)
    return {
        "weight": state.dimension_weights[dimension],
        "intercept": state.dimension_intercepts[dimension],
        "coefficients": {
            n: c for n, c in state.coefficients.items() if state.dimension_of[n] == dimension
        },
        "points_min": low,
        "points_max": high,
    }


def dumps(doc: Mapping[str, Any]) -> str:
    """Return the document as stable JSON text (sorted keys, indent 2, trailing newline)."""
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def loads(text: str) -> dict[str, Any]:
    """Parse artifact text and verify its ``sha256``.

    Raises
    ------
    ModelError
        When the text is not a JSON object, or its ``sha256`` is absent or does not match.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(f"artifact: not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ModelError(f"artifact: expected a JSON object; got {type(doc).__name__}")
    _verify(doc)
    return doc


def _verify(doc: Mapping[str, Any]) -> None:
    recorded = doc.get("sha256")
    if not isinstance(recorded, str):
        raise ModelError("artifact: no sha256 field; refusing an unverifiable model")
    actual = hashlib.sha256(_canonical(doc)).hexdigest()
    if actual != recorded:
        raise ModelError(
            f"artifact: sha256 mismatch (recorded {recorded[:12]}…, content {actual[:12]}…); "
            "the document was changed after it was written"
        )


def from_artifact(doc: Mapping[str, Any]) -> Scorecard:
    """Return a fitted scorecard that scores exactly like the one the document came from.

    Raises
    ------
    ModelError
        When the document has another kind or schema version, fails its ``sha256``, or is
        malformed.
    """
    if doc.get("kind") != KIND or doc.get("schema_version") != SCHEMA_VERSION:
        raise ModelError(
            f"artifact: expected kind {KIND!r} schema_version {SCHEMA_VERSION}; got "
            f"{doc.get('kind')!r} {doc.get('schema_version')!r}"
        )
    _verify(doc)
    try:
        state = _state(doc)
        return Scorecard(**doc["hyper_parameters"]).install(state)
    except (KeyError, TypeError, ValueError, IndexError, InvalidInputError) as exc:
        raise ModelError(f"artifact: malformed document: {exc!r}") from exc


def _binning(entry: Mapping[str, Any]) -> Binning:
    bins = entry["bins"]
    categorical = entry["kind"] == "categorical"
    return Binning(
        name=entry["name"],
        kind=entry["kind"],
        splits=tuple(float(s) for s in entry.get("splits", ())),
        categories=tuple(tuple(g) for g in entry.get("categories", ())),
        special_codes=tuple(float(c) for c in entry["special_codes"]),
        counts=tuple(int(b["count"]) for b in bins),
        bad_counts=tuple(int(b["bad_count"]) for b in bins),
        woe=tuple(float(b["woe"]) for b in bins),
        bin_iv=tuple(float(b["iv"]) for b in bins),
        monotonic_trend=entry["monotonic_trend"],
        unseen_bin=int(entry["unseen_bin"]) if categorical else -1,
        integer_valued=bool(entry["integer_valued"]),
    )


def _state(doc: Mapping[str, Any]) -> FittedState:
    features = doc["features"]
    s = doc["scaling"]
    dimensions = doc["dimensions"]
    return FittedState(
        columns=tuple(doc["input_features"]),
        named=bool(doc["input_named"]),
        binnings=tuple(_binning(f) for f in features),
        dimension_of={f["name"]: f["dimension"] for f in features},
        coefficients={f["name"]: float(f["coefficient"]) for f in features},
        dimension_intercepts={d: float(v["intercept"]) for d, v in dimensions.items()},
        dimension_weights={d: float(v["weight"]) for d, v in dimensions.items()},
        intercept=float(doc["intercept"]),
        points={f["name"]: tuple(float(b["points"]) for b in f["bins"]) for f in features},
        base_points=float(doc["base_points"]),
        scaling=Scaling(s["pdo"], s["base_score"], s["base_odds"], s["score_min"], s["score_max"]),
        exclusions=dict(doc["excluded"]),
        iv={k: float(v) for k, v in doc["information_values"].items()},
        rows=int(doc["training"]["rows"]),
        bad_rate=float(doc["training"]["bad_rate"]),
    )


def training_fingerprint(X: object, y: object) -> str:
    """Return a SHA-256 fingerprint of a training table and its target.

    The table is written as CSV (header, no index, ``\\n`` line ends, floats as ``%.17g`` so
    every float is exact, missing as empty) with the target appended as column
    ``__target__``; the digest is stable across runs and machines for the same data.
    """
    frame = X.copy(deep=False) if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    frame = frame.assign(__target__=as_target(y, len(frame)))
    text = frame.to_csv(index=False, lineterminator="\n", float_format="%.17g", na_rep="")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
