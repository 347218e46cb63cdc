"""The watchlist: a person's negative records (defaults and collections) as partners see them.

Records are read from the event lake for one subject, with corrections applied as the features
apply them: an event that a later event of the same source ``supersedes`` is gone, and the
correction counts in its place (if it is itself a default or a collection). Each record carries
its dispute status from a :class:`DisputeStatuses` store; until disputes exist,
:class:`NoDisputes` reports every record as ``"none"``.

A partner learns the date, type, amount, currency and reporting source of each record, never
the source's event id or account reference. A record whose retention period ran out
(:mod:`credo.events.negative`) is not shown, whether or not it has been purged yet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from credo.clock import utc
from credo.events.negative import BEHAVIOUR_KEYS, dataset_predicate, retention_days_of

__all__ = [
    "NEGATIVE_TYPES",
    "NO_DISPUTE",
    "DisputeStatuses",
    "EventDataset",
    "LakeWatchlist",
    "NegativeRecord",
    "NegativeRecords",
    "NoDisputes",
    "RecordKey",
    "WatchlistAnswer",
    "expired_keys",
]

NegativeType = Literal["default", "collection"]
NEGATIVE_TYPES: tuple[NegativeType, ...] = ("default", "collection")
"""Event types that are negative records."""
NO_DISPUTE = "none"
"""The dispute status of a record nobody disputes."""

UPHELD = "upheld"
"""The status of a record a dispute found wrong (:mod:`credo.rights.disputes`)."""
RecordKey = tuple[str, str]
"""How a record is known to a dispute store: (source, event_id)."""


@dataclass(frozen=True, slots=True)
class NegativeRecord:
    """One default or collection, as a partner with the ``watchlist`` scope sees it."""

    occurred_on: date
    type: NegativeType
    amount_minor: int
    currency: str
    source: str
    dispute_status: str


@dataclass(frozen=True, slots=True)
class WatchlistAnswer:
    """A watchlist query's answer: the person's negative records, newest first."""

    records: tuple[NegativeRecord, ...]
    as_of: datetime


class DisputeStatuses(Protocol):
    """Where dispute statuses come from (a dispute store serves as one)."""

    def statuses(self, subject: str, keys: Sequence[RecordKey]) -> Mapping[RecordKey, str]:
        """The status of each disputed record among ``keys``; records left out are undisputed."""
        ...


class NoDisputes:
    """No record is disputed (the store before disputes exist)."""

    def statuses(self, subject: str, keys: Sequence[RecordKey]) -> Mapping[RecordKey, str]:
        """Nothing is disputed."""
        return {}


class NegativeRecords(Protocol):
    """Where a person's negative records come from."""

    def records(self, subject: str) -> tuple[NegativeRecord, ...]:
        """``subject``'s defaults and collections, newest first."""
        ...


class EventDataset(Protocol):
    """An event lake that can be read as a pyarrow dataset (the Delta lake serves as one)."""

    def dataset(self, version: int | None = None) -> ds.Dataset:
        """The lake's current files."""
        ...


_COLUMNS = [
    "source",
    "event_id",
    "type",
    "category",
    "occurred_at",
    "amount_minor",
    "currency",
    *BEHAVIOUR_KEYS,
]


def expired_keys(
    rows: Sequence[Mapping[str, object]], now: datetime, retention: Mapping[str, int] | None
) -> set[RecordKey]:
    """(source, event_id) of one person's negative ``rows`` whose retention period ran out by
    ``now``: the period runs from the last negative record on the same account or contract."""

    def behaviour(row: Mapping[str, object]) -> tuple[object, object]:
        key = next((row[k] for k in BEHAVIOUR_KEYS if row.get(k) is not None), row["event_id"])
        return row["source"], key

    ends: dict[tuple[object, object], datetime] = {}
    for row in rows:
        at = row["occurred_at"]
        assert isinstance(at, datetime)
        key = behaviour(row)
        ends[key] = max(at, ends.get(key, at))
    return {
        (str(row["source"]), str(row["event_id"]))
        for row in rows
        if ends[behaviour(row)] + timedelta(days=retention_days_of(str(row["category"]), retention))
        <= utc(now)
    }


class LakeWatchlist:
    """Negative records read from the event lake, with their dispute status.

    Parameters
    ----------
    lake
        The event lake.
    disputes
        The dispute store; by default nothing is disputed.
    retention, now
        Days a negative record counts per category after the behaviour ended (five years
        where not given), and the clock it is measured against (the system's by default).
    """

    def __init__(
        self,
        lake: EventDataset,
        disputes: DisputeStatuses | None = None,
        *,
        retention: Mapping[str, int] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._lake = lake
        self._disputes: DisputeStatuses = disputes if disputes is not None else NoDisputes()
        self._retention = retention
        self._now = now or (lambda: datetime.now(UTC))

    def records(self, subject: str) -> tuple[NegativeRecord, ...]:
        """``subject``'s defaults and collections that no correction superseded and whose
        retention period has not run out, newest first."""
        dataset = self._lake.dataset()
        negative = dataset.to_table(
            columns=_COLUMNS, filter=(ds.field("subject") == subject) & dataset_predicate()
        )
        expired = expired_keys(negative.to_pylist(), self._now(), self._retention)
        mine = negative.filter(pc.is_in(negative.column("type"), pa.array(NEGATIVE_TYPES)))
        if not mine.num_rows:
            return ()
        mine = mine.sort_by([("occurred_at", "descending"), ("source", "ascending")])
        # corrections may come from any event of the source, even one filed under another
        # person (a record reported against the wrong person and then moved)
        corrections = dataset.to_table(
            columns=["source", "supersedes"],
            filter=ds.field("supersedes").isin(pc.unique(mine.column("event_id")))
            & ds.field("source").isin(pc.unique(mine.column("source"))),
        )
        gone = set(
            zip(
                corrections.column("source").to_pylist(),
                corrections.column("supersedes").to_pylist(),
                strict=True,
            )
        )
        hidden = gone | expired
        rows = [row for row in mine.to_pylist() if (row["source"], row["event_id"]) not in hidden]
        keys = [(row["source"], row["event_id"]) for row in rows]
        statuses = self._disputes.statuses(subject, keys)
        return tuple(
            NegativeRecord(
                occurred_on=row["occurred_at"].date(),
                type=row["type"],
                amount_minor=int(row["amount_minor"]),
                currency=row["currency"],
                source=row["source"],
                dispute_status=statuses.get(key, NO_DISPUTE),
            )
            for row, key in zip(rows, keys, strict=True)
            # an upheld dispute found the record wrong: partners never see it again
            if statuses.get(key) != UPHELD
        )
