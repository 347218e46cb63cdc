"""Bands and percentile ranks of published scores (pure, vectorised)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from credo.settings import BandSetting

__all__ = ["band_of", "next_band_floor", "percentile_rank", "publish_score"]


def publish_score(score: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The integer score people see: the clipped points rounded half up."""
    return np.floor(np.asarray(score, dtype=np.float64) + 0.5).astype(np.int64)


def band_of(scores: npt.ArrayLike, bands: Sequence[BandSetting]) -> npt.NDArray[np.object_]:
    """The band name of each integer score (bands are inclusive and contiguous)."""
    values = np.asarray(scores, dtype=np.int64)
    ordered = sorted(bands, key=lambda b: b.low)
    lows = np.array([b.low for b in ordered])
    names = np.array([b.name for b in ordered], dtype=object)
    index = np.clip(np.searchsorted(lows, values, side="right") - 1, 0, len(ordered) - 1)
    return names[index]


def next_band_floor(scores: npt.ArrayLike, bands: Sequence[BandSetting]) -> npt.NDArray[np.float64]:
    """The lowest score of the band above each score (inf in the top band)."""
    values = np.asarray(scores, dtype=np.int64)
    lows = np.array(sorted(b.low for b in bands), dtype=np.float64)
    following = np.append(lows[1:], np.inf)
    index = np.clip(np.searchsorted(lows, values, side="right") - 1, 0, len(lows) - 1)
    return following[index]


def percentile_rank(scores: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Per score, the share (0-100) of all given scores strictly below it: "higher than 78%
    of people".

    >>> percentile_rank([600, 700, 700, 500]).tolist()
    [25.0, 50.0, 50.0, 0.0]
    """
    values = np.asarray(scores, dtype=np.float64)
    if values.size == 0:
        return values
    ordered = np.sort(values)
    return 100.0 * np.searchsorted(ordered, values, side="left") / values.size
