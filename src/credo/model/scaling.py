"""Points-to-double-odds scaling: the map between log-odds of *good* and scorecard points.

A scorecard score is an affine function of the log-odds that a person is good::

    score = offset + factor * ln(odds_good)
    factor = pdo / ln(2)
    offset = base_score - factor * ln(base_odds)

so the score is ``base_score`` where the good:bad odds are ``base_odds``, and every ``pdo``
points double the odds. Reported scores are clipped to ``[score_min, score_max]``.

>>> s = Scaling()
>>> float(s.to_score(np.log(20.0)))
600.0
>>> float(s.to_score(np.log(40.0)))
650.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from credo.errors import InvalidInputError

__all__ = ["Scaling"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Scaling:
    """How log-odds of good become points.

    Parameters
    ----------
    pdo
        Points that double the good:bad odds; positive.
    base_score
        Score at which the good:bad odds equal ``base_odds``.
    base_odds
        Good:bad odds at ``base_score``; positive.
    score_min, score_max
        Reported scores are clipped to this closed range.
    """

    pdo: float = 50.0
    base_score: float = 600.0
    base_odds: float = 20.0
    score_min: float = 350.0
    score_max: float = 950.0

    def __post_init__(self) -> None:
        values = (self.pdo, self.base_score, self.base_odds, self.score_min, self.score_max)
        if not all(math.isfinite(v) for v in values):
            raise InvalidInputError(f"scaling: every parameter must be finite; got {values}")
        if self.pdo <= 0:
            raise InvalidInputError(f"scaling: pdo must be positive; got {self.pdo}")
        if self.base_odds <= 0:
            raise InvalidInputError(f"scaling: base_odds must be positive; got {self.base_odds}")
        if self.score_min >= self.score_max:
            raise InvalidInputError(
                f"scaling: score_min must be below score_max; got {self.score_min} "
                f">= {self.score_max}"
            )

    @property
    def factor(self) -> float:
        """Points per unit of log-odds: ``pdo / ln 2``."""
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        """Points at even odds (log-odds 0): ``base_score - factor * ln(base_odds)``."""
        return self.base_score - self.factor * math.log(self.base_odds)

    def to_score(self, log_odds_good: npt.ArrayLike, *, clip: bool = True) -> FloatArray:
        """Return the score of the given log-odds of good.

        Parameters
        ----------
        log_odds_good
            ``ln(P(good) / P(bad))``, any shape.
        clip
            Clip to ``[score_min, score_max]`` (the default: a reported score is always in
            range); ``False`` returns the raw affine points, the inverse of
            :meth:`to_log_odds`.

        Returns
        -------
        numpy.ndarray
            float64 scores with the shape of ``log_odds_good``.
        """
        points = self.offset + self.factor * np.asarray(log_odds_good, dtype=np.float64)
        return self.clip(points) if clip else points

    def to_log_odds(self, score: npt.ArrayLike) -> FloatArray:
        """Return the log-odds of good that the (unclipped) score stands for."""
        return (np.asarray(score, dtype=np.float64) - self.offset) / self.factor

    def clip(self, points: npt.ArrayLike) -> FloatArray:
        """Clip raw points to ``[score_min, score_max]``; NaN stays NaN."""
        return np.clip(np.asarray(points, dtype=np.float64), self.score_min, self.score_max)
