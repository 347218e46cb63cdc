"""What a privilege rule may ask about a person: the :class:`Facts` and their fixed vocabulary.

A rule names facts from :data:`FACT_NAMES` only. Each name has a :class:`FactSpec` saying its
kind (a number, the ordered band, or a yes/no flag), the range a literal must lie in, the unit
its gaps are counted in and how a distance on it is normalised when the branches of an ``or``
are compared.

Bands are ordered ``poor < fair < good < very good < excellent`` (:data:`BANDS`), the names of
the shipped scorecard's bands; ``band >= "good"`` compares by that order.

A fact that is ``None`` (or NaN) is *unknown*: every atom on it is false, whatever its operator
(fail closed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from numbers import Integral
from operator import attrgetter
from types import MappingProxyType
from typing import Literal

from credo.errors import InvalidInputError

__all__ = [
    "BANDS",
    "DIMENSIONS",
    "FACT_NAMES",
    "SCORE_MAX",
    "SCORE_MIN",
    "SPECS",
    "FactKind",
    "FactSpec",
    "Facts",
]

SCORE_MIN = 350
SCORE_MAX = 950
BANDS: tuple[str, ...] = ("poor", "fair", "good", "very good", "excellent")
DIMENSIONS: tuple[str, ...] = ("history", "capacity", "identity", "behavior", "network")
_BAND_RANK: Mapping[str | None, int] = MappingProxyType({b: i for i, b in enumerate(BANDS)})

FactKind = Literal["number", "band", "flag"]
FactValue = float | int | str | bool
Getter = Callable[["Facts"], FactValue | None]


@dataclass(frozen=True)
class Facts:
    """What is known of one person on the as-of date of a snapshot.

    Parameters
    ----------
    score
        The credit score, an integer in 350..950; ``None`` when the person is not scored (N/A).
    band
        The score's band, one of :data:`BANDS`.
    percentile
        The score's percentile in the scored population, 0..100.
    dims
        Dimension scores 0..100 by dimension name (:data:`DIMENSIONS`); an absent or ``None``
        entry is unknown.
    months_scored
        How many monthly scores the person's history holds.
    defaults_24m
        Defaults and collections in the last 24 months; ``None`` when unknown (fails closed,
        unlike a default of 0 would).
    worst_dpd_12m
        The worst days past due in the last 12 months.
    identity_verified
        Whether the person's identity has been verified.
    score_trend_3m
        The score's change over the last 3 months, in points.

    Raises
    ------
    InvalidInputError
        A value is out of its range. Messages name the field, never the value (personal data).
    """

    score: int | None = None
    band: str | None = None
    percentile: float | None = None
    dims: Mapping[str, float | None] = field(default_factory=dict)
    months_scored: int = 0
    defaults_24m: int | None = None
    worst_dpd_12m: float | None = None
    identity_verified: bool = False
    score_trend_3m: float | None = None

    def __post_init__(self) -> None:
        for name in _INTEGER_FIELDS:
            value = getattr(self, name)
            # numpy integers are not ints (nor JSON-serialisable): keep plain ints only
            if type(value) not in _PLAIN and isinstance(value, Integral):
                if isinstance(value, bool):
                    raise InvalidInputError(f"facts: {name} must be an integer, not a boolean")
                object.__setattr__(self, name, int(value))
        problem = _first_problem(self)
        if problem:
            raise InvalidInputError(f"facts: {problem}")


_INTEGER_FIELDS = ("score", "months_scored", "defaults_24m")
_PLAIN = (int, float, type(None))
_DIMENSION_SET = frozenset(DIMENSIONS)


def _bad_number(value: float | None, low: float, high: float) -> bool:
    if value is None:
        return False
    if type(value) not in _PLAIN and (isinstance(value, bool) or not isinstance(value, float)):
        return True
    return value == value and not low <= value <= high  # noqa: PLR0124 (NaN is unknown, not bad)


def _first_problem(facts: Facts) -> str | None:
    score = facts.score
    if score is not None and (type(score) is not int or not SCORE_MIN <= score <= SCORE_MAX):
        return f"score must be an integer in {SCORE_MIN}..{SCORE_MAX} or None"
    if facts.band is not None and facts.band not in _BAND_RANK:
        return f"band must be one of {', '.join(BANDS)} or None"
    if _bad_number(facts.percentile, 0, 100):
        return "percentile must be in 0..100 or None"
    if not _DIMENSION_SET.issuperset(facts.dims):
        unknown = sorted(set(facts.dims) - _DIMENSION_SET)
        return f"dims has unknown dimensions {unknown}; known: {', '.join(DIMENSIONS)}"
    for value in facts.dims.values():
        if _bad_number(value, 0, 100):
            return "every dimension score must be in 0..100 or None"
    if type(facts.months_scored) is not int or facts.months_scored < 0:
        return "months_scored must be a non-negative integer"
    if facts.defaults_24m is not None and (
        type(facts.defaults_24m) is not int or facts.defaults_24m < 0
    ):
        return "defaults_24m must be a non-negative integer or None"
    if _bad_number(facts.worst_dpd_12m, 0, math.inf):
        return "worst_dpd_12m must be a non-negative number or None"
    if type(facts.identity_verified) is not bool:
        return "identity_verified must be True or False"
    if _bad_number(facts.score_trend_3m, -math.inf, math.inf):
        return "score_trend_3m must be a number or None"
    return None


@dataclass(frozen=True)
class FactSpec:
    """How the rule language treats one fact name.

    Attributes
    ----------
    name
        The name as written in a rule, e.g. ``dim.history``.
    kind
        ``number``, ``band`` (compared by band order) or ``flag`` (a bare yes/no fact).
    label
        How the fact reads in a sentence, e.g. ``history dimension score``.
    unit
        Singular and plural of the unit a gap is counted in, e.g. ``("point", "points")``.
    low, high
        The range a literal in a rule must lie in (a rule outside it is a typo, not a policy).
    scale
        The span a distance is divided by to compare gaps on different facts (the ``or`` rule).
    step
        The smallest change of an integer-valued fact (1), 0 for a real-valued one: the distance
        of a strict comparison is the difference plus this step.
    """

    name: str
    kind: FactKind
    label: str
    unit: tuple[str, str]
    low: float
    high: float
    scale: float
    step: int
    get: Getter = field(repr=False, compare=False)


def _dimension(name: str) -> FactSpec:
    def get(facts: Facts) -> float | None:
        return facts.dims.get(name)

    return FactSpec(
        f"dim.{name}", "number", f"{name} dimension score", _POINTS, 0, 100, 100, 0, get
    )


def _band_rank(facts: Facts) -> int | None:
    return _BAND_RANK.get(facts.band)


_POINTS = ("point", "points")
_SPECS: tuple[FactSpec, ...] = (
    FactSpec(
        "score", "number", "score", _POINTS, SCORE_MIN, SCORE_MAX, 600, 1, attrgetter("score")
    ),
    FactSpec("band", "band", "band", ("band", "bands"), 0, len(BANDS) - 1, 4, 1, _band_rank),
    FactSpec(
        "percentile",
        "number",
        "percentile",
        ("percentile point", "percentile points"),
        0,
        100,
        100,
        0,
        attrgetter("percentile"),
    ),
    *(_dimension(d) for d in DIMENSIONS),
    FactSpec(
        "months_scored",
        "number",
        "months of score history",
        ("month", "months"),
        0,
        1200,
        24,
        1,
        attrgetter("months_scored"),
    ),
    FactSpec(
        "defaults_24m",
        "number",
        "defaults or collections in the last 24 months",
        ("default or collection", "defaults or collections"),
        0,
        1000,
        3,
        1,
        attrgetter("defaults_24m"),
    ),
    FactSpec(
        "worst_dpd_12m",
        "number",
        "worst days past due in the last 12 months",
        ("day", "days"),
        0,
        3650,
        90,
        0,
        attrgetter("worst_dpd_12m"),
    ),
    FactSpec(
        "identity_verified",
        "flag",
        "identity verification",
        ("", ""),
        0,
        1,
        1,
        1,
        attrgetter("identity_verified"),
    ),
    FactSpec(
        "score_trend_3m",
        "number",
        "score change over the last 3 months",
        _POINTS,
        -(SCORE_MAX - SCORE_MIN),
        SCORE_MAX - SCORE_MIN,
        600,
        0,
        attrgetter("score_trend_3m"),
    ),
)

SPECS: Mapping[str, FactSpec] = MappingProxyType({s.name: s for s in _SPECS})
"""Every fact name a rule may use, with its :class:`FactSpec`."""

FACT_NAMES: tuple[str, ...] = tuple(SPECS)
"""The fixed vocabulary of rules, in documentation order."""
