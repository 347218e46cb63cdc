"""Monotone optimal binning of one characteristic; optbinning stays inside this module.

A :class:`MonotoneBinner` asks ``optbinning.OptimalBinning`` for the splits (numerical) or the
category groups (categorical) of one column, and returns a plain, frozen :class:`Binning` that
scores without optbinning: :func:`assign_bins` maps raw values to bin indices with numpy only.

Conventions (the scorecard artifact and the in-engine compiler rely on each of them):

* **Bin order.** ``n_regular`` regular bins, then the Special bin (index ``n_regular``), then
  the Missing bin (index ``n_regular + 1``), like optbinning's binning table.
* **Numerical bins are closed on the left**, exactly like optbinning
  (``np.digitize(x, splits, right=False)``): with splits ``s_0 < … < s_k-1`` the regular bins
  are ``(-inf, s_0), [s_0, s_1), …, [s_k-1, +inf)``; a value equal to a split belongs to the
  bin on its right; the index is ``np.searchsorted(splits, x, side="right")``. ``+inf`` falls
  in the last regular bin and ``-inf`` in the first.
* **Missing**: NaN, None, ``pd.NA`` and ``NaT`` go to the Missing bin.
* **Special**: a numerical value equal to one of ``special_codes`` goes to the Special bin
  (checked before the splits). Special codes apply to numerical characteristics only; a
  categorical characteristic has an always-empty Special bin.
* **Categories** are compared as ``str(value)``. A category not seen in training goes to
  ``unseen_bin``: the regular bin whose WoE is closest to 0 (ties: the lowest index) — an
  unseen value carries no evidence, so it gets the points of the most neutral seen group
  rather than those of Missing, whose WoE can be strongly informative.
* **WoE sign**, as in optbinning: ``WoE_i = ln(%good_i / %bad_i)`` where ``%good_i`` is the
  bin's share of all good rows; a higher WoE means less risk.
* **Smoothing.** Regular bins use the empirical WoE (the binner asks optbinning for at least
  one good and one bad row per regular bin). The Special and Missing bins, which are often
  small or empty, and any regular bin that is nevertheless pure, are shrunk towards the
  population with ``a`` pseudo-rows at the population bad rate::

      WoE_i = ln((good_i + a·G/N) / (bad_i + a·B/N)) - ln(G/B),  a = max(2, 5% of N)

  so an empty bin has WoE exactly 0 and a small bin cannot reach ±inf: a Missing bin of a few
  lucky rows is trusted no more than the smallest regular bin (:data:`WOE_PRIOR_SHARE` of the
  rows) would be, and cannot outscore real data by chance. Per-bin information
  value is ``(%good_i - %bad_i) · WoE_i`` with the raw shares.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator

from credo.errors import InvalidInputError, ModelError
from credo.model.columns import as_float, as_target, is_missing

if TYPE_CHECKING:  # optbinning (with scipy.stats and ortools) is imported when a binner fits:
    from optbinning import OptimalBinning  # reading artifacts and the CLI start do not need it

__all__ = [
    "TRENDS",
    "WOE_PRIOR_ROWS",
    "WOE_PRIOR_SHARE",
    "Binning",
    "Kind",
    "MonotoneBinner",
    "assign_bins",
    "trend_of",
]

Kind = Literal["numerical", "categorical"]
IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]

#: Trends a caller may ask for: "ascending" means the bad rate rises with the value;
#: "auto_asc_desc" lets optbinning pick ascending or descending; "auto" is optbinning's own
#: choice, which may also be a peak or a valley (not monotone: points then are not either).
TRENDS = ("auto_asc_desc", "ascending", "descending", "auto")

#: Pseudo-rows at the population bad rate added to the Special and Missing bins (see above).
WOE_PRIOR_ROWS = 2.0
WOE_PRIOR_SHARE = 0.05


@dataclass(frozen=True)
class Binning:
    """The fitted bins of one characteristic, with their statistics.

    Parameters
    ----------
    name
        The characteristic (column) name.
    kind
        ``"numerical"`` or ``"categorical"``.
    splits
        Increasing split points of a numerical characteristic (bins closed on the left).
    categories
        The category groups of a categorical characteristic, one tuple per regular bin.
    special_codes
        Numerical values that go to the Special bin.
    counts, bad_counts
        Training rows and bad rows per bin, Special and Missing last.
    woe, bin_iv
        Weight of evidence and information value per bin.
    monotonic_trend
        The requested trend, or for an automatic one the observed shape of the regular
        bins' bad rates (``"ascending"``, ``"descending"``, ``"peak"``, ``"valley"``);
        None for categorical characteristics.
    unseen_bin
        Regular bin of categories not seen in training (categorical only, else -1).
    integer_valued
        Every finite training value was an integer (lets explanations suggest integers).
    """

    name: str
    kind: Kind
    splits: tuple[float, ...] = ()
    categories: tuple[tuple[str, ...], ...] = ()
    special_codes: tuple[float, ...] = ()
    counts: tuple[int, ...] = ()
    bad_counts: tuple[int, ...] = ()
    woe: tuple[float, ...] = ()
    bin_iv: tuple[float, ...] = ()
    monotonic_trend: str | None = None
    unseen_bin: int = -1
    integer_valued: bool = False

    def __post_init__(self) -> None:
        n = self.n_bins
        lengths = {len(self.counts), len(self.bad_counts), len(self.woe), len(self.bin_iv)}
        if lengths != {n}:
            raise InvalidInputError(
                f"binning {self.name!r}: counts, bad_counts, woe and bin_iv must each have "
                f"{n} entries (regular bins, Special, Missing); got lengths {sorted(lengths)}"
            )
        if self.kind == "numerical":
            if list(self.splits) != sorted(set(self.splits)) or not all(
                math.isfinite(s) for s in self.splits
            ):
                raise InvalidInputError(
                    f"binning {self.name!r}: splits must be finite and strictly increasing"
                )
            if any(not math.isfinite(c) for c in self.special_codes):
                raise InvalidInputError(f"binning {self.name!r}: special codes must be finite")
        elif self.kind == "categorical":
            if not 0 <= self.unseen_bin < self.n_regular:
                raise InvalidInputError(
                    f"binning {self.name!r}: unseen_bin must be a regular bin index; "
                    f"got {self.unseen_bin}"
                )
        else:
            raise InvalidInputError(f"binning {self.name!r}: unknown kind {self.kind!r}")

    @property
    def n_regular(self) -> int:
        """Number of regular bins (before Special and Missing)."""
        if self.kind == "numerical":
            return len(self.splits) + 1
        return len(self.categories)

    @property
    def n_bins(self) -> int:
        """Number of bins including Special and Missing."""
        return self.n_regular + 2

    @property
    def special_index(self) -> int:
        """Index of the Special bin."""
        return self.n_regular

    @property
    def missing_index(self) -> int:
        """Index of the Missing bin."""
        return self.n_regular + 1

    @property
    def iv(self) -> float:
        """Total information value (regular, Special and Missing bins)."""
        return float(sum(self.bin_iv))

    @property
    def labels(self) -> tuple[str, ...]:
        """Human-readable bin labels, e.g. ``"[1.5, 3)"``, ``"{A11, A12}"``, ``"Missing"``."""
        if self.kind == "numerical":
            edges = (-math.inf, *self.splits, math.inf)
            regular = [
                f"{'(' if lo == -math.inf else '['}{_edge(lo)}, {_edge(hi)})"
                for lo, hi in itertools.pairwise(edges)
            ]
        else:
            regular = ["{" + ", ".join(group) + "}" for group in self.categories]
        return (*regular, "Special", "Missing")

    @property
    def bad_rates(self) -> tuple[float, ...]:
        """Bad rate per bin (NaN for an empty bin)."""
        return tuple(
            b / c if c else math.nan for b, c in zip(self.bad_counts, self.counts, strict=True)
        )

    def attainable(self) -> tuple[int, ...]:
        """Bins a scored value can fall in: regular, Special when codes exist, Missing."""
        special = (self.special_index,) if self.kind == "numerical" and self.special_codes else ()
        return (*range(self.n_regular), *special, self.missing_index)


def _edge(value: float) -> str:
    return "inf" if value == math.inf else "-inf" if value == -math.inf else f"{value:.6g}"


def assign_bins(binning: Binning, values: object) -> IntArray:
    """Return the bin index of each value (vectorised).

    Parameters
    ----------
    binning
        The fitted bins.
    values
        One column of raw values (array, list or Series).

    Returns
    -------
    numpy.ndarray
        ``intp`` indices into the bins: regular bins, then ``special_index``, then
        ``missing_index``.

    Examples
    --------
    >>> b = Binning("x", "numerical", splits=(1.5, 3.0), counts=(1,) * 5,
    ...             bad_counts=(0,) * 5, woe=(0.0,) * 5, bin_iv=(0.0,) * 5)
    >>> assign_bins(b, [1.0, 1.5, 3.0, np.nan]).tolist()
    [0, 1, 2, 4]
    """
    if binning.kind == "numerical":
        x = as_float(values, binning.name)
        index = np.searchsorted(np.asarray(binning.splits, dtype=np.float64), x, side="right")
        if binning.special_codes:
            index[np.isin(x, np.asarray(binning.special_codes, dtype=np.float64))] = (
                binning.special_index
            )
        index[np.isnan(x)] = binning.missing_index
        return index.astype(np.intp, copy=False)
    raw = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values, dtype=object)
    missing = is_missing(raw)
    known = [c for group in binning.categories for c in group]
    group_of = np.array(
        [i for i, group in enumerate(binning.categories) for _ in group] + [binning.unseen_bin],
        dtype=np.intp,
    )
    position = pd.Index(known, dtype=object).get_indexer(pd.Index(raw.astype(str)))
    index = group_of[position]  # position -1 (unseen) picks the trailing unseen_bin entry
    index[missing] = binning.missing_index
    return index


def _woe(
    good: FloatArray, bad: FloatArray, smooth: npt.NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray]:
    total_good, total_bad = good.sum(), bad.sum()
    n = total_good + total_bad
    rows = max(WOE_PRIOR_ROWS, WOE_PRIOR_SHARE * n)
    prior_good = np.where(smooth, rows * total_good / n, 0.0)
    prior_bad = np.where(smooth, rows * total_bad / n, 0.0)
    woe = np.log((good + prior_good) / (bad + prior_bad)) - math.log(total_good / total_bad)
    iv = (good / total_good - bad / total_bad) * woe
    return woe, iv


def _statistics(binning: Binning, index: IntArray, y: npt.NDArray[np.int64]) -> Binning:
    counts = np.bincount(index, minlength=binning.n_bins).astype(np.float64)
    bad = np.bincount(index, weights=y, minlength=binning.n_bins).astype(np.float64)
    good = counts - bad
    smooth = (good == 0) | (bad == 0)
    smooth[binning.n_regular :] = True
    woe, iv = _woe(good, bad, smooth)
    return replace(
        binning,
        counts=tuple(int(c) for c in counts),
        bad_counts=tuple(int(b) for b in bad),
        woe=tuple(float(w) for w in woe),
        bin_iv=tuple(float(v) for v in iv),
    )


def _placeholder(name: str, kind: Kind, n_regular: int, **fields: object) -> Binning:
    zeros = (0,) * (n_regular + 2)
    return Binning(
        name,
        kind,
        counts=zeros,
        bad_counts=zeros,
        woe=(0.0,) * len(zeros),
        bin_iv=(0.0,) * len(zeros),
        **fields,  # type: ignore[arg-type]
    )


class MonotoneBinner(BaseEstimator):  # type: ignore[misc]
    """Fit the optimal monotone bins of one characteristic.

    Parameters
    ----------
    name
        Characteristic name recorded in the :class:`Binning`.
    kind
        ``"numerical"`` or ``"categorical"``.
    monotonic_trend
        One of :data:`TRENDS`: ``"auto_asc_desc"`` (optbinning picks ascending or
        descending), ``"ascending"`` (the bad rate rises with the value), ``"descending"``,
        or ``"auto"`` (optbinning's choice, possibly a peak or valley). Ignored for
        categorical columns, whose groups optbinning orders by bad rate.
    max_n_bins
        Most regular bins.
    min_bin_size
        Smallest regular bin as a share of all rows, in (0, 0.5].
    special_codes
        Numerical values that go to the Special bin.

    Attributes
    ----------
    binning_ : Binning
        The fitted bins with their training statistics.
    """

    def __init__(
        self,
        *,
        name: str = "x",
        kind: Kind = "numerical",
        monotonic_trend: str = "auto_asc_desc",
        max_n_bins: int = 8,
        min_bin_size: float = 0.05,
        special_codes: Sequence[float] | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.monotonic_trend = monotonic_trend
        self.max_n_bins = max_n_bins
        self.min_bin_size = min_bin_size
        self.special_codes = special_codes

    def fit(self, x: object, y: object) -> Self:
        """Fit the bins of ``x`` against ``y`` (1 = bad) and return ``self``.

        Raises
        ------
        InvalidInputError
            For an unknown kind or trend, bad sizes, or a non-numeric value in a numerical
            column.
        ModelError
            When ``y`` lacks good or bad rows, or optbinning fails.
        """
        self._check_params()
        target = as_target(y)
        if target.min() == target.max():
            raise ModelError(
                f"binning {self.name!r}: training needs both good and bad rows; "
                f"got only {'bad' if target[0] else 'good'} rows"
            )
        if self.kind == "numerical":
            binning = self._fit_numerical(as_float(x, self.name), target)
        else:
            binning = self._fit_categorical(x, target)
        self.binning_ = binning
        return self

    def transform(self, x: object) -> FloatArray:
        """Return the WoE of each value of ``x``."""
        return np.asarray(self.binning_.woe, dtype=np.float64)[assign_bins(self.binning_, x)]

    def _check_params(self) -> None:
        if self.kind not in ("numerical", "categorical"):
            raise InvalidInputError(
                f"binning {self.name!r}: kind must be 'numerical' or 'categorical'; "
                f"got {self.kind!r}"
            )
        if self.monotonic_trend not in TRENDS:
            raise InvalidInputError(
                f"binning {self.name!r}: monotonic_trend must be one of {TRENDS}; "
                f"got {self.monotonic_trend!r}"
            )
        if not isinstance(self.max_n_bins, int | np.integer) or self.max_n_bins < 2:
            raise InvalidInputError(
                f"binning {self.name!r}: max_n_bins must be an integer >= 2; "
                f"got {self.max_n_bins!r}"
            )
        if not 0.0 < float(self.min_bin_size) <= 0.5:
            raise InvalidInputError(
                f"binning {self.name!r}: min_bin_size must be in (0, 0.5]; "
                f"got {self.min_bin_size!r}"
            )

    def _optbinning(self, dtype: str, special: list[float] | None) -> OptimalBinning:
        from optbinning import OptimalBinning  # noqa: PLC0415 - see the TYPE_CHECKING import

        return OptimalBinning(
            name=self.name,
            dtype=dtype,
            monotonic_trend=self.monotonic_trend if dtype == "numerical" else None,
            max_n_bins=int(self.max_n_bins),
            min_bin_size=float(self.min_bin_size),
            # one good and one bad row per regular bin keeps the empirical WoE finite, so
            # regular bins need no smoothing and their WoE stays monotone
            min_bin_n_event=1,
            min_bin_n_nonevent=1,
            special_codes=special,
        )

    def _fit_numerical(self, x: FloatArray, y: npt.NDArray[np.int64]) -> Binning:
        codes = tuple(sorted({float(c) for c in self.special_codes or ()}))
        if any(not math.isfinite(c) for c in codes):
            raise InvalidInputError(f"binning {self.name!r}: special codes must be finite")
        clean = ~np.isnan(x) & ~np.isin(x, np.asarray(codes, dtype=np.float64))
        splits: tuple[float, ...] = ()
        if np.unique(x[clean]).size > 1:
            optb = self._optbinning("numerical", list(codes) or None)
            try:
                optb.fit(x, y)
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"binning {self.name!r}: optbinning failed: {exc}") from exc
            splits = tuple(float(s) for s in optb.splits)
        finite = x[clean & np.isfinite(x)]
        draft = _placeholder(
            self.name,
            "numerical",
            len(splits) + 1,
            splits=splits,
            special_codes=codes,
            monotonic_trend=self.monotonic_trend,
            integer_valued=bool(finite.size and np.array_equal(finite, np.round(finite))),
        )
        fitted = _statistics(draft, assign_bins(draft, x), y)
        if self.monotonic_trend.startswith("auto"):
            fitted = replace(fitted, monotonic_trend=_observed_trend(fitted, self.monotonic_trend))
        return fitted

    def _fit_categorical(self, x: object, y: npt.NDArray[np.int64]) -> Binning:
        raw = np.asarray(x.to_numpy() if isinstance(x, pd.Series) else x, dtype=object)
        missing = is_missing(raw)
        text = raw.astype(str).astype(object)
        text[missing] = None
        groups: tuple[tuple[str, ...], ...] = ()
        seen = sorted(set(text[~missing].tolist()))
        if len(seen) > 1:
            optb = self._optbinning("categorical", None)
            try:
                optb.fit(text, y)
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"binning {self.name!r}: optbinning failed: {exc}") from exc
            groups = tuple(tuple(sorted(str(c) for c in group)) for group in optb.splits)
        grouped = {c for group in groups for c in group}
        # optbinning groups every category it saw; a single category or a leftover gets its own
        groups += tuple((c,) for c in seen if c not in grouped)
        if not groups:  # every value missing: one empty group that unseen values fall into
            groups = ((),)
        draft = _placeholder(self.name, "categorical", len(groups), categories=groups, unseen_bin=0)
        fitted = _statistics(draft, assign_bins(draft, text), y)
        neutral = int(np.argmin(np.abs(np.asarray(fitted.woe[: fitted.n_regular]))))
        return replace(fitted, unseen_bin=neutral)


def _observed_trend(binning: Binning, requested: str) -> str:
    """The shape of the regular bins' bad rates, or ``requested`` when it cannot be told."""
    rates = np.array([r for r in binning.bad_rates[: binning.n_regular] if not math.isnan(r)])
    steps = np.diff(rates)
    if rates.size < 2 or not steps.any():
        return requested
    if (steps >= 0).all():
        return "ascending"
    if (steps <= 0).all():
        return "descending"
    return "peak" if 0 < int(np.argmax(rates)) < rates.size - 1 else "valley"


def trend_of(column: str, monotonic_trend: str | Mapping[str, str]) -> str:
    """Return the trend requested for ``column`` (a per-column mapping falls back to auto)."""
    if isinstance(monotonic_trend, str):
        return monotonic_trend
    return monotonic_trend.get(column, "auto_asc_desc")
