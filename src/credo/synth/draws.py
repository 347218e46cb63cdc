"""Counter-based draws: randomness that is a pure function of (seed, person index, stream).

Chunks draw most of their randomness from a per-chunk :class:`numpy.random.Generator`. A few
person attributes must also be known *outside* the person's own chunk: a tie's counterpart
usually lives in another chunk, yet its identifier, join month and consents must agree with what
its own chunk writes. Those attributes are drawn here by hashing, so that any chunk can
recompute them for any index without the population ever being held in memory.
"""

from __future__ import annotations

from math import gcd

import numpy as np
from numpy.typing import NDArray

__all__ = ["AffinePermutation", "integers", "norm_ppf", "uniform"]

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix_int(value: int) -> int:
    """splitmix64 on a Python int (for scalar keys, where numpy would warn on overflow)."""
    value = (value + _GOLDEN) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def _mix(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    # numpy wraps uint64 array arithmetic modulo 2**64 silently, which is what splitmix64 needs.
    values = values + np.uint64(_GOLDEN)
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def uniform(seed: int, index: NDArray[np.int64], stream: int) -> NDArray[np.float64]:
    """Return one uniform draw in [0, 1) per index, fixed by ``(seed, index, stream)``.

    Parameters
    ----------
    seed
        The population seed.
    index
        Global person indices (any integers >= 0).
    stream
        A small constant naming the attribute, so that attributes are independent.
    """
    key = _mix_int(_mix_int(seed & _MASK) ^ (stream * _GOLDEN & _MASK))
    hashed = _mix(index.astype(np.uint64) ^ np.uint64(key))
    # The top 53 bits make an exactly representable double in [0, 1).
    return (hashed >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def integers(seed: int, index: NDArray[np.int64], stream: int, high: int) -> NDArray[np.int64]:
    """Return one integer in ``[0, high)`` per index, fixed by ``(seed, index, stream)``."""
    return np.minimum((uniform(seed, index, stream) * high).astype(np.int64), high - 1)


_A = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690,
      -30.66479806614716, 2.506628277459239)  # fmt: skip
_B = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
      -13.28068155288572)  # fmt: skip
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838, -2.549732539343734,
      4.374664141464968, 2.938163982698783)  # fmt: skip
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996, 3.754408661907416)
_P_LOW = 0.02425


def _tail(q: NDArray[np.float64]) -> NDArray[np.float64]:
    num = ((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]
    den = (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0
    return num / den


def norm_ppf(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the standard normal quantile of ``p`` (Acklam's approximation, rel. error < 1.2e-9).

    Written here rather than taken from scipy so the synthetic generator needs only numpy.

    Examples
    --------
    >>> float(norm_ppf(np.array([0.975]))[0].round(4))
    1.96
    """
    p = np.clip(p, 1e-15, 1.0 - 1e-15)
    q = p - 0.5
    r = q * q
    num = ((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]
    den = ((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0
    central = num * q / den
    low = _tail(np.sqrt(-2.0 * np.log(p)))
    high = -_tail(np.sqrt(-2.0 * np.log1p(-p)))
    return np.where(p < _P_LOW, low, np.where(p > 1.0 - _P_LOW, high, central))


class AffinePermutation:
    """The bijection ``i -> (a * i + b) mod n`` on ``[0, n)`` and its inverse.

    Used to scatter person indices over a code space (identity numbers, phone numbers, z-ranks)
    so that a value is unique by construction and its owner can be found again from it.

    Parameters
    ----------
    n
        Size of the space.
    seed, stream
        Pick ``a`` (coprime with ``n``, near a seeded fraction of ``n``) and ``b``.
    """

    def __init__(self, n: int, seed: int, stream: int) -> None:
        if not 1 <= n < 1 << 42:
            raise ValueError(f"permutation space must be in [1, 2**42), got {n}")
        probe = np.array([0, 1], dtype=np.int64)
        frac, offset = uniform(seed, probe, stream)
        a = max(1, int(n * (0.3 + 0.4 * frac)))
        while gcd(a, n) != 1:
            a += 1
        self.n = n
        self.a = a % n if n > 1 else 0
        self.b = int(offset * n) % n
        self.a_inv = pow(self.a, -1, n) if n > 1 else 0

    def forward(self, index: NDArray[np.int64]) -> NDArray[np.int64]:
        """Return the image of every index (indices must lie in ``[0, n)``)."""
        return (self._mul(index, self.a) + self.b) % self.n

    def inverse(self, image: NDArray[np.int64]) -> NDArray[np.int64]:
        """Return the index whose image is ``image``."""
        return self._mul((image - self.b) % self.n, self.a_inv)

    def _mul(self, values: NDArray[np.int64], factor: int) -> NDArray[np.int64]:
        # a * i can pass 2**63 in large spaces and object arithmetic would be slow: multiply by
        # 20-bit limbs, Horner style, so every intermediate stays below n * 2**21 < 2**63.
        values = values % self.n
        limbs = []
        while factor:
            limbs.append(factor & 0xFFFFF)
            factor >>= 20
        result = np.zeros_like(values)
        for limb in reversed(limbs):
            result = ((result << 20) % self.n + values * limb) % self.n
        return result
