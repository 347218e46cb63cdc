"""Collect one source's events for one chunk, then number, correct and hand them to the writer.

Generators add whole batches (one event type, numpy arrays or Arrow arrays per field). At the
end of a chunk :meth:`RecordBuffer.finish` drops events outside the generated months (a payment
that would happen after the range has not happened yet), sorts by person and time, assigns
``event_id`` ``{source}-{index:09d}-{n}`` (``index`` is the person whose generator made the
event, ``n`` counts that person's events at the source), and appends the corrections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from credo.events.dataset import FLAT_EVENT_SCHEMA
from credo.events.schemas import EVENT_TYPES
from credo.synth.calendar import US_PER_DAY
from credo.synth.cohort import Cohort
from credo.synth.consents import count_without_consent
from credo.synth.sources import SOURCE_NAMES

__all__ = ["CORRECTION_SHARE", "Finished", "RecordBuffer", "categorical", "fen"]

CORRECTION_SHARE = 0.002
"""Share of (correctable) events that a later event supersedes."""

_ARROW_TYPES = {f.name: f.type for f in FLAT_EVENT_SCHEMA}
_TIMESTAMP = _ARROW_TYPES["occurred_at"]
_CORRECTABLE = np.isin(
    np.array(EVENT_TYPES),
    [
        "bill",
        "repayment",
        "purchase",
        "bill_payment",
        "balance_snapshot",
        "income_verified",
        "refund",
    ],
)
_MAX_CORRECTION_US = 30 * US_PER_DAY


def fen(amount_cny: NDArray[np.float64]) -> NDArray[np.int64]:
    """Convert CNY to fen (minor units), rounding and flooring at zero."""
    return np.maximum(np.round(amount_cny * 100.0), 0).astype(np.int64)


def categorical(choices: tuple[str, ...] | list[str], codes: NDArray[np.int64]) -> Any:
    """Return ``choices[codes]`` as an Arrow string array."""
    return pa.array(list(choices), type=pa.string()).take(pa.array(codes, type=pa.int64()))


@dataclass(frozen=True, slots=True)
class Finished:
    """A chunk's events of one source, ready for :meth:`DatasetWriter.write_events`."""

    columns: dict[str, Any]
    rows: int
    false_ids: Any
    corrections: int
    without_consent: int


def _column(name: str, value: Any, rows: int) -> Any:
    kind = _ARROW_TYPES[name]
    if isinstance(value, str):
        return categorical([value], np.zeros(rows, np.int64))
    if isinstance(value, bool):
        return pa.array(np.full(rows, value), type=kind)
    if isinstance(value, np.ndarray):
        if kind == pa.date32():
            value = value.astype(np.int32)
        return pa.array(value, type=kind)
    return value if value.type == kind else value.cast(kind)


class RecordBuffer:
    """The events of one source for one chunk, accumulated batch by batch."""

    def __init__(self, source: str, cohort: Cohort) -> None:
        self.source = source
        self.cohort = cohort
        self._parts: list[pa.Table] = []
        self._owner: list[NDArray[np.int64]] = []
        self._at: list[NDArray[np.int64]] = []
        self._type: list[NDArray[np.int64]] = []
        self._subject: list[NDArray[np.int64]] = []
        self._false: list[NDArray[np.bool_]] = []

    @property
    def rows(self) -> int:
        """Number of events added so far (before range filtering and corrections)."""
        return sum(len(owner) for owner in self._owner)

    def add(
        self,
        type_name: str,
        owner: NDArray[np.int64],
        at_us: NDArray[np.int64],
        *,
        subject: Any = None,
        subject_index: NDArray[np.int64] | None = None,
        false: bool = False,
        **fields: Any,
    ) -> None:
        """Add events of one type made by the chunk people ``owner`` (local positions).

        ``subject`` defaults to the owner's national id; pass ``subject`` (Arrow strings) and
        ``subject_index`` (global indices) for events about someone else (a reciprocal tie).
        Field values are numpy arrays, Arrow arrays or scalars repeated on every row.
        """
        rows = len(owner)
        if rows == 0:
            return
        columns = {"type": categorical([type_name], np.zeros(rows, np.int64))}
        columns["occurred_at"] = pa.array(at_us, type=pa.int64()).cast(_TIMESTAMP)
        if subject is not None:
            columns["subject"] = subject
        columns.update({name: _column(name, value, rows) for name, value in fields.items()})
        self._parts.append(pa.table(columns))
        self._owner.append(owner)
        self._at.append(at_us)
        self._type.append(np.full(rows, EVENT_TYPES.index(type_name), np.int64))
        index = self.cohort.st.index[owner] if subject_index is None else subject_index
        self._subject.append(index)
        self._false.append(np.full(rows, false))

    def finish(self, rng: np.random.Generator) -> Finished:
        """Return the chunk's events in final form (see the module docstring)."""
        if not self._parts:
            return Finished({}, 0, pa.array([], pa.string()), 0, 0)
        cal = self.cohort.world.calendar
        owner, at = np.concatenate(self._owner), np.concatenate(self._at)
        order = np.lexsort((at, owner))
        order = order[(at[order] >= cal.start_us[0]) & (at[order] < cal.end_us)]
        table = pa.concat_tables(self._parts, promote_options="default").take(pa.array(order))
        owner, at = owner[order], at[order]
        type_code = np.concatenate(self._type)[order]
        subject_index = np.concatenate(self._subject)[order]
        false = np.concatenate(self._false)[order]
        own_subject = self.cohort.national_id.take(pa.array(owner))
        subject = (
            pc.coalesce(table["subject"], own_subject)
            if "subject" in table.column_names
            else own_subject
        )
        table = _set(table, "subject", subject)
        counter = _rank_in_groups(owner)
        table = _set(table, "event_id", self._event_ids(owner, counter))
        pick = _CORRECTABLE[type_code] & ~false & (at + US_PER_DAY < cal.end_us)
        pick &= rng.random(len(owner)) < CORRECTION_SHARE
        last = np.zeros(self.cohort.n, np.int64)
        np.maximum.at(last, owner, counter + 1)
        fixes = self._corrections(table.filter(pa.array(pick)), owner[pick], at[pick], last, rng)
        missing = count_without_consent(
            self.cohort.world,
            SOURCE_NAMES.index(self.source),
            np.concatenate([subject_index, subject_index[pick]]),
            np.concatenate([type_code, type_code[pick]]),
            np.concatenate([at, pc.cast(fixes["occurred_at"], pa.int64()).to_numpy()]),
        )
        table = pa.concat_tables([table, fixes], promote_options="default")
        columns = {name: table[name].combine_chunks() for name in table.column_names}
        false_ids = table["event_id"].slice(0, len(owner)).filter(pa.array(false))
        return Finished(columns, table.num_rows, false_ids, fixes.num_rows, missing)

    def _event_ids(self, owner: NDArray[np.int64], counter: NDArray[np.int64]) -> Any:
        person = self.cohort.id_text.take(pa.array(owner))
        number = pc.cast(pa.array(counter), pa.string())
        return pc.binary_join_element_wise(self.source, person, number, "-")

    def _corrections(
        self,
        table: pa.Table,
        owner: NDArray[np.int64],
        at: NDArray[np.int64],
        next_counter: NDArray[np.int64],
        rng: np.random.Generator,
    ) -> pa.Table:
        """Return corrections superseding ``table``'s events: a short lateness that was wrong, or
        an amount off by up to 20 %, reported 1-30 days later."""
        rows = table.num_rows
        room = np.minimum(_MAX_CORRECTION_US, self.cohort.world.calendar.end_us - 1 - at)
        lag = US_PER_DAY + (rng.random(rows) * (room - US_PER_DAY)).astype(np.int64)
        fixed = table
        late = np.zeros(rows, np.bool_)
        for name in ("days_past_due", "days_late"):
            if name in table.column_names:
                # Only short lateness is plausibly a reporting error; serious arrears get an
                # amount correction instead.
                was_late = pc.and_(pc.greater(table[name], 0), pc.less(table[name], 30))
                late |= pc.fill_null(was_late, False).to_numpy()
                # Nulls stay null: the field does not exist in the other types of the batch.
                fixed = _set(fixed, name, pc.if_else(was_late, 0, table[name]))
        if "amount_minor" in table.column_names:
            factor = np.where(late, 1.0, rng.uniform(0.8, 1.2, size=rows))
            scaled = pc.multiply(pc.cast(table["amount_minor"], pa.float64()), pa.array(factor))
            fixed = _set(fixed, "amount_minor", pc.cast(pc.round(scaled), pa.int64()))
        fixed = _set(fixed, "supersedes", table["event_id"])
        fixed = _set(fixed, "occurred_at", pa.array(at + lag, type=pa.int64()).cast(_TIMESTAMP))
        counter = next_counter[owner] + _rank_in_groups(owner)
        return _set(fixed, "event_id", self._event_ids(owner, counter))


def _rank_in_groups(sorted_keys: NDArray[np.int64]) -> NDArray[np.int64]:
    """Return each element's position within its run of equal keys (keys sorted)."""
    positions = np.arange(len(sorted_keys))
    starts = (
        np.r_[True, sorted_keys[1:] != sorted_keys[:-1]] if len(sorted_keys) else np.zeros(0, bool)
    )
    return positions - np.maximum.accumulate(np.where(starts, positions, 0))


def _set(table: pa.Table, name: str, values: Any) -> pa.Table:
    """Return ``table`` with column ``name`` replaced or added."""
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)
