"""Vectorised validation of raw event batches against the compiled v1 rules.

The rules come from the pydantic models (:func:`credo.events.schemas.field_specs`), so this
module and the JSON Schema can never disagree on what an event is; a reference test checks the
two validators agree record by record. Validation works on whole Arrow columns: the common case
(clean data) never loops over rows in Python, and only a column that fails a bulk conversion is
examined value by value to find the rows at fault.

A row fails on the first rule it breaks, checked in this order: parse problems (from the
reader), envelope fields, event type, payload fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from credo.events.schemas import (
    ARROW_TYPES,
    ENVELOPE_FIELDS,
    EVENT_TYPES,
    FieldSpec,
    Kind,
    field_specs,
    payload_columns,
)

__all__ = [
    "REASONS",
    "RawBatch",
    "Rejects",
    "ValidBatch",
    "Verdicts",
    "coerce",
    "decode_utf8",
    "validate",
]

REASONS: dict[str, str] = {
    "malformed": "the record cannot be parsed (truncated JSON, wrong number of CSV fields)",
    "bad_encoding": "the record is not valid UTF-8",
    "too_large": "the record or a field is longer than allowed",
    "missing_field": "a required field is absent or empty",
    "unknown_field": "a field the event type does not define has a value",
    "bad_type": "a value has the wrong type (text for a number, a float for money…)",
    "bad_value": "a value breaks a rule of its field (range, pattern, allowed values)",
    "future_timestamp": "occurred_at is in the future",
    "too_old": "occurred_at is before the earliest year accepted",
    "unknown_type": "the event type is not one of the v1 types",
    "unknown_source": "the source is not registered",
    "source_mismatch": "the record names another source than the one ingesting it",
    "category_not_allowed": "the source is not registered for the event's data category",
    "duplicate_id": "the same event_id appears earlier in the same ingest",
    "no_consent": "the person has not consented to this category for this source",
}
"""Every reject reason, with its meaning (also printed by ``credo ingest --help``)."""

_PY_TYPES: dict[Kind, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "date": (str,),
    "datetime": (str,),
}
_EPOCH_DATE = "1900-01-01"


@dataclass(slots=True)
class RawBatch:
    """Columns as read from a file, before validation.

    ``columns`` holds Arrow arrays or Python lists (JSON values) of equal length; ``rows`` the
    1-based record number of each row in its input; ``rejected`` rows already refused by the
    reader (row number, field, reason, detail) are not part of ``columns``; ``flags`` are
    problems the reader found in rows that are (e.g. a CSV cell that is not UTF-8), as
    (mask, field, reason, detail).
    """

    columns: dict[str, pa.Array | list[Any]]
    rows: np.ndarray
    parse_rejects: list[tuple[int, str | None, str, str]] = field(default_factory=list)
    flags: list[tuple[np.ndarray, str | None, str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(slots=True)
class Rejects:
    """Rejected rows: parallel lists of row number, event_id, field, reason, detail."""

    rows: list[int] = field(default_factory=list)
    event_ids: list[str | None] = field(default_factory=list)
    fields: list[str | None] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    def add(
        self, row: int, event_id: str | None, fld: str | None, reason: str, detail: str
    ) -> None:
        """Record one rejected row."""
        self.rows.append(row)
        self.event_ids.append(event_id)
        self.fields.append(fld)
        self.reasons.append(reason)
        self.details.append(detail)

    def __len__(self) -> int:
        return len(self.rows)

    def entries(self) -> Iterator[tuple[int, str | None, str | None, str, str]]:
        """Each rejected row as (row, event_id, field, reason, detail)."""
        return zip(self.rows, self.event_ids, self.fields, self.reasons, self.details, strict=True)


@dataclass(slots=True)
class ValidBatch:
    """Typed columns of the accepted rows, in the order of :data:`CANONICAL`."""

    table: pa.Table
    rows: np.ndarray


class Verdicts:
    """Accumulates per-row verdicts: a row keeps the first reason it gets."""

    def __init__(self, rows: np.ndarray, event_ids: pa.Array | list[Any] | None) -> None:
        self.row_numbers = rows
        self._event_ids = event_ids
        self.bad = np.zeros(len(rows), dtype=bool)
        self.rejects = Rejects()

    def event_id(self, i: int) -> str | None:
        if self._event_ids is None:
            return None
        value = self._event_ids[i]
        if isinstance(value, pa.Scalar):
            value = value.as_py()
        return None if value is None else str(value)[:128]

    def mark(self, mask: np.ndarray, fld: str | None, reason: str, detail: str) -> None:
        fresh = mask & ~self.bad
        if not fresh.any():
            return
        for i in np.flatnonzero(fresh):
            self.rejects.add(int(self.row_numbers[i]), self.event_id(int(i)), fld, reason, detail)
        self.bad |= fresh


def _mask(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Boolean Arrow array → numpy mask, nulls counting as False."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _coerce_python(values: list[Any], kind: Kind) -> tuple[pa.Array, np.ndarray]:
    """Slow path for JSON values: check each value's Python type (bool is not an int)."""
    accepted: list[Any] = []
    bad = np.zeros(len(values), dtype=bool)
    allowed = _PY_TYPES[kind]
    for i, value in enumerate(values):
        if value is None:
            accepted.append(None)
        elif isinstance(value, allowed) and not (kind == "int" and isinstance(value, bool)):
            accepted.append(value)
        else:
            accepted.append(None)
            bad[i] = True
    if kind in ("date", "datetime"):
        array, more_bad = coerce(pa.array(accepted, pa.string()), kind)
        return array, bad | more_bad
    return pa.array(accepted, ARROW_TYPES[kind]), bad


def _cast_each(array: pa.Array, target: pa.DataType) -> tuple[pa.Array, np.ndarray]:
    """Cast value by value; failures become null and are flagged."""
    out: list[Any] = []
    bad = np.zeros(len(array), dtype=bool)
    for i in range(len(array)):
        item = array.slice(i, 1)
        try:
            out.append(pc.cast(item, target)[0].as_py())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            out.append(None)
            bad[i] = True
    return pa.array(out, target), bad


def coerce(values: pa.Array | list[Any], kind: Kind) -> tuple[pa.Array, np.ndarray]:
    """Convert a column to ``kind``; return the typed column and a mask of values that failed.

    Strings are parsed (CSV), typed Arrow columns are cast, JSON values are type-checked.
    Timestamps need a UTC offset when written as text; Parquet timestamps without a time zone
    are taken as UTC.
    """
    target = ARROW_TYPES[kind]
    if isinstance(values, list):
        try:
            if kind in ("date", "datetime"):
                return coerce(pa.array(values, pa.string()), kind)
            if kind == "int" and any(isinstance(v, (bool, float)) for v in values):
                raise pa.ArrowTypeError("bools or floats among ints")
            return pa.array(values, target), np.zeros(len(values), dtype=bool)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            return _coerce_python(values, kind)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.type == target:
        return values, np.zeros(len(values), dtype=bool)
    if pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type):
        raise TypeError("decode binary columns with decode_utf8() before coerce()")
    if kind == "datetime" and pa.types.is_timestamp(values.type):
        if values.type.tz is None:
            values = pc.assume_timezone(values, "UTC")
        return pc.cast(values, target), np.zeros(len(values), dtype=bool)
    if kind == "datetime" and not pa.types.is_string(values.type):
        return pa.nulls(len(values), target), np.asarray(values.is_valid(), dtype=bool)
    if kind == "str" and not pa.types.is_string(values.type):
        # a number where text is expected (e.g. an id written as 123 in Parquet) is a type error
        return pa.nulls(len(values), target), _mask(values.is_valid())
    try:
        return pc.cast(values, target), np.zeros(len(values), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _cast_each(values, target)


def decode_utf8(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Binary → string; rows that are not valid UTF-8 become null and are flagged."""
    try:
        return pc.cast(values, pa.string()), np.zeros(len(values), dtype=bool)
    except pa.ArrowInvalid:
        return _cast_each(values, pa.string())


def _check_rules(marker: Verdicts, column: pa.Array, spec: FieldSpec, present: np.ndarray) -> None:
    """Apply a field's range, length, pattern and enum rules to the ``present`` rows."""
    if not present.any():
        return
    name = spec.name
    if spec.kind == "str":
        lengths = pc.utf8_length(column)
        if spec.max_length is not None:
            detail = f"longer than {spec.max_length} characters"
            marker.mark(
                present & _mask(pc.greater(lengths, spec.max_length)), name, "too_large", detail
            )
        if spec.min_length is not None:
            detail = f"shorter than {spec.min_length} characters"
            marker.mark(
                present & _mask(pc.less(lengths, spec.min_length)), name, "bad_value", detail
            )
        if spec.pattern is not None:
            ok = _mask(pc.match_substring_regex(column, spec.pattern))
            marker.mark(present & ~ok, name, "bad_value", f"does not match {spec.pattern}")
        if spec.enum is not None:
            ok = _mask(pc.is_in(column, value_set=pa.array(spec.enum)))
            marker.mark(present & ~ok, name, "bad_value", "not one of " + "|".join(spec.enum))
    elif spec.kind == "int":
        if spec.ge is not None:
            marker.mark(
                present & _mask(pc.less(column, spec.ge)), name, "bad_value", f"< {spec.ge}"
            )
        if spec.le is not None:
            marker.mark(
                present & _mask(pc.greater(column, spec.le)), name, "bad_value", f"> {spec.le}"
            )
    elif spec.kind == "date":
        early = _mask(pc.less(column, pa.scalar(datetime.fromisoformat(_EPOCH_DATE).date())))
        marker.mark(present & early, name, "bad_value", f"before {_EPOCH_DATE}")


def _convert(
    marker: Verdicts, raw: pa.Array | list[Any], spec: FieldSpec, scope: np.ndarray
) -> pa.Array:
    column, bad = coerce(raw, spec.kind)
    marker.mark(scope & bad, spec.name, "bad_type", f"expected {spec.kind}")
    return column


def _validate_envelope(
    marker: Verdicts,
    *,
    raw: dict[str, pa.Array | list[Any]],
    n: int,
    now: datetime,
    future_skew_seconds: int,
    min_year: int,
) -> dict[str, pa.Array]:
    everyone = np.ones(n, dtype=bool)
    typed: dict[str, pa.Array] = {}
    for name, spec in ENVELOPE_FIELDS.items():
        source = raw.get(name)
        column = (
            pa.nulls(n, ARROW_TYPES[spec.kind])
            if source is None
            else _convert(marker, source, spec, everyone)
        )
        if spec.required:
            marker.mark(~_mask(column.is_valid()), name, "missing_field", "required")
        _check_rules(marker, column, spec, _mask(column.is_valid()))
        if spec.default is not None:
            column = pc.fill_null(column, pa.scalar(spec.default, column.type))
        typed[name] = column
    occurred = typed["occurred_at"]
    limit = pa.scalar(int(now.timestamp() * 1_000_000) + future_skew_seconds * 1_000_000)
    future = _mask(pc.greater(pc.cast(occurred, pa.int64()), limit))
    marker.mark(future, "occurred_at", "future_timestamp", f"after {now.isoformat()}")
    floor = pa.scalar(datetime(min_year, 1, 1, tzinfo=UTC), pa.timestamp("us", tz="UTC"))
    marker.mark(_mask(pc.less(occurred, floor)), "occurred_at", "too_old", f"before {min_year}")
    return typed


def _validate_payload(
    marker: Verdicts, raw: dict[str, pa.Array | list[Any]], types: pa.Array, n: int
) -> dict[str, pa.Array]:
    kinds = payload_columns()
    typed: dict[str, pa.Array] = {}
    present: dict[str, np.ndarray] = {}  # validity of the columns the input has
    for name, kind in kinds.items():
        source = raw.get(name)
        if source is None:
            typed[name] = pa.nulls(n, ARROW_TYPES[kind])
            continue
        column, bad = coerce(source, kind)
        marker.mark(bad, name, "bad_type", f"expected {kind}")
        typed[name] = column
        present[name] = _mask(column.is_valid())
    absent = np.zeros(n, dtype=bool)
    for type_name in EVENT_TYPES:
        scope = _mask(pc.equal(types, type_name))
        if not scope.any():
            continue
        specs = field_specs(type_name)
        for name, valid in present.items():
            if name not in specs:
                marker.mark(scope & valid, name, "unknown_field", f"not a field of {type_name}")
        for name, spec in specs.items():
            valid = present.get(name, absent)
            if spec.required:
                marker.mark(scope & ~valid, name, "missing_field", f"required for {type_name}")
            if name in present:
                _check_rules(marker, typed[name], spec, scope & valid)
            if spec.default is not None:
                fill = scope & ~valid
                if fill.any():
                    column = typed[name]
                    typed[name] = pc.if_else(
                        pa.array(fill), pa.scalar(spec.default, column.type), column
                    )
    return typed


def validate(
    batch: RawBatch,
    *,
    now: datetime,
    future_skew_seconds: int = 300,
    min_year: int = 1900,
) -> tuple[ValidBatch, Rejects]:
    """Validate a raw batch; return the typed accepted rows and the rejected ones.

    The accepted table has the columns ``type``, the envelope fields and every payload field
    (typed, defaults filled in), one row per accepted record.
    """
    n = len(batch)
    raw = dict(batch.columns)
    marker = Verdicts(batch.rows, raw.get("event_id"))
    for mask, fld, reason, detail in batch.flags:
        marker.mark(mask, fld, reason, detail)
    known = {"type", *ENVELOPE_FIELDS, *payload_columns()}
    for name in sorted(set(raw) - known):
        stray = _mask(coerce_presence(raw[name]))
        marker.mark(stray, name, "unknown_field", "not a field of any event type")
    types = pa.nulls(n, pa.string()) if "type" not in raw else coerce(raw["type"], "str")[0]
    marker.mark(~_mask(types.is_valid()), "type", "missing_field", "required")
    marker.mark(
        ~_mask(pc.is_in(types, value_set=pa.array(EVENT_TYPES))),
        "type",
        "unknown_type",
        "not a v1 event type",
    )
    envelope = _validate_envelope(
        marker,
        raw=raw,
        n=n,
        now=now,
        future_skew_seconds=future_skew_seconds,
        min_year=min_year,
    )
    payload = _validate_payload(marker, raw, types, n)
    keep = pa.array(~marker.bad)
    columns = {"type": types, **envelope, **payload}
    table = pa.table(columns).filter(keep)
    return ValidBatch(table=table, rows=batch.rows[~marker.bad]), marker.rejects


def coerce_presence(values: pa.Array | list[Any]) -> pa.Array:
    """Boolean column: whether each value is present (not null)."""
    if isinstance(values, list):
        return pa.array([v is not None for v in values], pa.bool_())
    return values.is_valid()
