"""A scorecard artifact compiled into an ibis expression: scoring runs inside the engine.

The expression follows the scoring rule written in :mod:`credo.model.artifact` step by step
(bin lookup with closed-left splits, Special and Missing bins, unseen categories, points summed
in the artifact's feature order, clipping, P(bad) from the unclipped sum, 0-100 dimension
scores), so DuckDB and Spark give what :meth:`credo.model.Scorecard.score` gives.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from credo.errors import ModelError

__all__ = ["compile_points", "compile_scorecard", "points_column", "with_numbers"]


def points_column(name: str) -> str:
    """The column holding a characteristic's points in the compiled table."""
    return f"pts__{name}"


def _lit(value: float) -> ir.FloatingScalar:
    # ibis writes float literals bare and DuckDB reads a bare 31.746529177403268 as a DECIMAL,
    # which a CASE of such literals then overflows; a string cast is an exact DOUBLE on every
    # engine (repr is the shortest text that reads back as the same double)
    return ibis.literal(repr(float(value))).cast(dt.float64)


def _numerical(x: ir.FloatingValue, feature: Mapping[str, Any]) -> ir.FloatingValue:
    """Points of a numerical characteristic; ``x`` is the value already cast to double.

    The common case is tested first: special codes, then the closed-left splits, then any
    other number up to +inf (the last bin); what is left is NULL or NaN, the Missing bin (NaN
    compares above +inf on DuckDB and Spark, and NULL compares to nothing).
    """
    bins = feature["bins"]
    regular = len(bins) - 2
    splits: Sequence[float] = feature["splits"]
    if len(splits) != regular - 1:
        raise ModelError(f"{feature['name']}: {len(splits)} splits for {regular} bins")
    branches: list[tuple[ir.BooleanValue, ir.FloatingScalar]] = []
    if feature.get("special_codes"):
        codes = [float(c) for c in feature["special_codes"]]
        branches.append((x.isin(codes), _lit(bins[regular]["points"])))
    for k, split in enumerate(splits):
        branches.append((x < _lit(split), _lit(bins[k]["points"])))
    branches.append((x <= _lit(math.inf), _lit(bins[regular - 1]["points"])))
    return ibis.cases(*branches, else_=_lit(bins[regular + 1]["points"]))


def _categorical(v: ir.Value, feature: Mapping[str, Any]) -> ir.FloatingValue:
    bins = feature["bins"]
    regular = len(bins) - 2
    # the artifact matches categories as Python's str() prints them: True/False for booleans
    is_bool = v.type().is_boolean()
    text = ibis.cases((v, "True"), else_="False") if is_bool else v.cast("string")
    branches: list[tuple[ir.BooleanValue, ir.FloatingScalar]] = [
        (v.isnull(), _lit(bins[regular + 1]["points"]))
    ]
    for k, group in enumerate(feature["categories"]):
        branches.append((text.isin(list(group)), _lit(bins[k]["points"])))
    return ibis.cases(*branches, else_=_lit(bins[int(feature["unseen_bin"])]["points"]))


def _cast_column(name: str) -> str:
    return f"num__{name}"


def with_numbers(doc: Mapping[str, Any], table: ir.Table) -> ir.Table:
    """``table`` with each numerical characteristic cast to double once (``num__<name>``)."""
    casts = {}
    for feature in doc["features"]:
        name = feature["name"]
        if name not in table.columns:
            raise ModelError(f"the model needs column {name!r}, which the table lacks")
        if feature["kind"] == "numerical":
            casts[_cast_column(name)] = table[name].cast("float64")
    return table.mutate(**casts)


def compile_points(doc: Mapping[str, Any], table: ir.Table) -> dict[str, ir.FloatingValue]:
    """Per characteristic of the artifact, the expression of a row's points over a table
    prepared by :func:`with_numbers`."""
    out: dict[str, ir.FloatingValue] = {}
    for feature in doc["features"]:
        name = feature["name"]
        if feature["kind"] == "numerical":
            out[name] = _numerical(table[_cast_column(name)], feature)
        else:
            out[name] = _categorical(table[name], feature)
    return out


def compile_scorecard(
    doc: Mapping[str, Any], table: ir.Table, *, keep: Sequence[str] = ("subject",)
) -> ir.Table:
    """``table`` scored: the ``keep`` columns, ``raw`` (unclipped points), ``score`` (clipped),
    ``p_bad``, one ``dim__<dimension>`` 0-100 column per dimension and the per-characteristic
    points (:func:`points_column`)."""
    table = with_numbers(doc, table)
    points = compile_points(doc, table)
    scaling = doc["scaling"]
    raw: ir.FloatingValue = _lit(0.0)
    for feature in doc["features"]:  # the artifact's order: floating-point sums are ordered
        raw = raw + points[feature["name"]]
    staged = table.select(
        *keep, raw=raw, **{points_column(name): expr for name, expr in points.items()}
    )
    score = ibis.least(
        ibis.greatest(staged.raw, _lit(scaling["score_min"])), _lit(scaling["score_max"])
    )
    p_bad = 1.0 / (1.0 + ((staged.raw - scaling["offset"]) / scaling["factor"]).exp())
    dims: dict[str, ir.FloatingValue] = {}
    for dimension, spec in doc["dimensions"].items():
        members = [f["name"] for f in doc["features"] if f["dimension"] == dimension]
        if not members:
            continue
        low, high = float(spec["points_min"]), float(spec["points_max"])
        total: ir.FloatingValue = _lit(0.0)
        for name in members:
            total = total + staged[points_column(name)]
        share = 100.0 * (total - low) / (high - low)
        dims[f"dim__{dimension}"] = (
            _lit(50.0) if high == low else ibis.least(ibis.greatest(share, 0.0), 100.0)
        )
    return staged.mutate(score=score, p_bad=p_bad, **dims)
