"""Reference tests: the vectorised validator agrees with the pydantic models, record by record,
and Arrow's fast JSON path agrees with the line-by-line reference path."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from credo.events.readers import _arrow_json, _flatten, _records_batch
from credo.events.schemas import EVENT_TYPES, EventIn
from credo.events.validate import RawBatch, validate

from factories import event

NOW = datetime(2026, 11, 1, tzinfo=UTC)
ADAPTER: TypeAdapter[Any] = TypeAdapter(EventIn)

BASE = [event("e", t) for t in ("repayment", "loan_opened", "profile_update", "purchase", "tie")]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**16), max_value=10**16),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "",
            "CNY",
            "friend",
            "x" * 70,
            "2026-10-05",
            "2026-10-05T08:00:00Z",
            "2026-10-05T08:00:00",
            "2099-01-01T00:00:00Z",
            "grocery",
            "A1",
            "personal",
            "+8613800138000",
            "110101199003074211",
            "repayment",
            "tie",
            "9",
        ]
    ),
)
FIELDS = st.sampled_from(
    [
        "event_id",
        "subject",
        "type",
        "occurred_at",
        "schema_version",
        "supersedes",
        "amount_minor",
        "currency",
        "account_ref",
        "product",
        "term_months",
        "days_past_due",
        "merchant_category",
        "counterpart",
        "relation",
        "verified",
        "name",
        "phone",
        "due_date",
        "colour",
    ]
)


def mutate(record: dict[str, Any], changes: list[tuple[str, Any, bool]]) -> dict[str, Any]:
    out = json.loads(json.dumps(record))
    for name, value, delete in changes:
        target = (
            out
            if name
            in ("event_id", "subject", "type", "occurred_at", "schema_version", "supersedes")
            else out["payload"]
        )
        if delete:
            target.pop(name, None)
        else:
            target[name] = value
    return out


def pydantic_accepts(record: dict[str, Any]) -> bool:
    # credo reads null as absent (a CSV has no other way to leave a field out)
    record = {k: v for k, v in record.items() if v is not None}
    if isinstance(record.get("payload"), dict):
        record["payload"] = {k: v for k, v in record["payload"].items() if v is not None}
    try:
        parsed = ADAPTER.validate_json(json.dumps(record), strict=True)
    except ValidationError:
        return False
    when = parsed.occurred_at
    return bool(datetime(1900, 1, 1, tzinfo=UTC) <= when <= NOW)


def credo_accepts(records: list[dict[str, Any]]) -> np.ndarray:
    flat = [_flatten(json.loads(json.dumps(r))) for r in records]
    assert all(isinstance(f, dict) for f in flat)
    batch = _records_batch(flat, list(range(1, len(flat) + 1)), [])  # type: ignore[arg-type]
    valid, _ = validate(batch, now=NOW, future_skew_seconds=0)
    accepted = np.zeros(len(records), dtype=bool)
    accepted[valid.rows - 1] = True
    return accepted


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(BASE),
    changes=st.lists(st.tuples(FIELDS, VALUES, st.booleans()), max_size=3),
)
def test_validator_agrees_with_pydantic(base: dict[str, Any], changes: list[Any]) -> None:
    record = mutate(base, changes)
    assert bool(credo_accepts([record])[0]) == pydantic_accepts(record), record


def test_every_base_record_is_valid() -> None:
    assert credo_accepts(BASE).all()
    assert all(pydantic_accepts(r) for r in BASE)
    assert {r["type"] for r in BASE} <= set(EVENT_TYPES)


def as_lines(records: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(r).encode() + b"\n" for r in records]


@pytest.mark.parametrize("count", [1, 7, 500])
def test_arrow_fast_path_matches_line_by_line(count: int) -> None:
    records = [dict(BASE[i % len(BASE)], event_id=f"e{i}") for i in range(count)]
    lines = as_lines(records)
    fast = _arrow_json(b"".join(lines), len(lines))
    assert fast is not None
    rows = np.arange(1, count + 1)
    slow = _records_batch(
        [_flatten(json.loads(json.dumps(r))) for r in records],  # type: ignore[misc]
        list(rows),
        [],
    )
    a, _ = validate(RawBatch(columns=fast, rows=rows), now=NOW)
    b, _ = validate(slow, now=NOW)
    assert a.table.num_rows == count
    assert a.table.to_pylist() == b.table.to_pylist()


@pytest.mark.parametrize(
    "line",
    [
        b'{"event_id": 5}',
        b'{"event_id": "e", "payload": {"amount_minor": 1.5}}',
        b'{"event_id": "e", "payload": {"amount_minor": true}}',
        b'{"payload": [1]}',
        b'{"event_id": "e", "payload": {"amount_minor": 100.0}}',
        b'{"event_id": {"a": 1}}',
    ],
)
def test_arrow_fast_path_declines_what_it_cannot_judge(line: bytes) -> None:
    lines = [*as_lines(BASE), line + b"\n"]
    assert _arrow_json(b"".join(lines), len(lines)) is None
