"""Injectable time: every "now" in credo comes from a :class:`Clock`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock", "utc"]


def utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime; naive values are rejected.

    >>> utc(datetime(2026, 1, 1, tzinfo=UTC)).isoformat()
    '2026-01-01T00:00:00+00:00'
    """
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} has no timezone; credo needs UTC")
    return value.astimezone(UTC)


class Clock(Protocol):
    """Source of the current instant."""

    def now(self) -> datetime:
        """Return the current instant, timezone-aware in UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; for tests and reproducible runs."""

    def __init__(self, instant: datetime) -> None:
        self._instant = utc(instant)

    def now(self) -> datetime:
        """Return the fixed instant."""
        return self._instant

    def set(self, instant: datetime) -> None:
        """Move the clock to ``instant``."""
        self._instant = utc(instant)
