"""The generated months: calendar months ending with a given month, as UTC microseconds."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from credo.errors import InvalidInputError

__all__ = ["US_PER_DAY", "Calendar"]

US_PER_DAY = 86_400_000_000
"""Microseconds in a day: every timestamp in the generator is int64 microseconds (UTC)."""

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class Calendar:
    """``months`` calendar months ending with ``end_month`` (inclusive).

    Month ``t`` (0-based) spans ``[start_us[t], start_us[t + 1])``; every event time lies in
    ``[start_us[0], start_us[months])``.
    """

    months: int
    first_month: np.datetime64
    start_us: NDArray[np.int64]
    start_day: NDArray[np.int64]
    days: NDArray[np.int64]

    @classmethod
    def ending(cls, end_month: str, months: int) -> Calendar:
        """Build the calendar of the ``months`` months ending with ``end_month`` (``YYYY-MM``)."""
        match = _MONTH.match(end_month)
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise InvalidInputError(f"end_month must be YYYY-MM, got {end_month!r}")
        if months < 1:
            raise InvalidInputError(f"months must be >= 1, got {months}")
        last = np.datetime64(end_month, "M")
        bounds = np.arange(last - months + 1, last + 2, dtype="datetime64[M]")
        start_day = bounds.astype("datetime64[D]").astype(np.int64)
        return cls(
            months=months,
            first_month=bounds[0],
            start_us=start_day * US_PER_DAY,
            start_day=start_day,
            days=np.diff(start_day),
        )

    @property
    def end_us(self) -> int:
        """The first instant after the generated range."""
        return int(self.start_us[-1])

    @property
    def month_end_day(self) -> NDArray[np.int64]:
        """The last day of every month, as days since 1970-01-01."""
        return self.start_day[1:] - 1

    def labels(self) -> list[str]:
        """Return the months as ``YYYY-MM`` strings."""
        return [str(self.first_month + t) for t in range(self.months)]

    def within(
        self, rng: np.random.Generator, month: NDArray[np.int64], lo: float = 0.0, hi: float = 1.0
    ) -> NDArray[np.int64]:
        """Return a random instant in each ``month``, in the fraction ``[lo, hi)`` of it."""
        span = self.start_us[month + 1] - self.start_us[month]
        frac = rng.uniform(lo, hi, size=len(month))
        return self.start_us[month] + (frac * span).astype(np.int64)
