"""Training sets: the outcome window starts at the as-of instant, nothing leaks across it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import ibis
import pytest

from credo.features.build import characteristics_expr
from credo.features.training import add_months, training_set

from lake_rows import credit_event, to_table

T = datetime(2026, 3, 31, tzinfo=UTC)
KNOWN = datetime(2027, 6, 1, tzinfo=UTC)
RELIABILITY = {"bank": 0.9}


def bad_event(
    i: int, subject: str, when: datetime, type_: str = "default", dpd: int = 120
) -> dict[str, Any]:
    return credit_event(f"b{i}", subject, when, type_=type_, days_past_due=dpd)


def test_outcomes_and_leakage() -> None:
    events = [
        bad_event(1, "s1", T - timedelta(days=40), "repayment", 0),
        bad_event(2, "s1", T + timedelta(days=5)),  # bad inside the window
        bad_event(3, "s2", T - timedelta(days=10)),  # bad before: flagged
        bad_event(4, "s3", T - timedelta(days=50), "repayment", 0),
        bad_event(5, "s3", add_months(T, 13)),  # after the window
        bad_event(6, "s4", T - timedelta(days=20), "repayment", 0),
        bad_event(7, "s4", T, "repayment", 120),  # at T: outcome, not feature
        bad_event(8, "s5", T - timedelta(days=20), "repayment", 30),
    ]
    con = ibis.duckdb.connect()
    table = con.create_table("events", to_table(events))
    got = training_set(table, [T], outcome_months=12, reliability=RELIABILITY, known_at=KNOWN)
    rows = {r["subject"]: r for r in got.to_pylist()}
    assert {s: (r["bad"], r["bad_before"]) for s, r in rows.items()} == {
        "s1": (1, 0),
        "s2": (0, 1),
        "s3": (0, 0),
        "s4": (1, 0),
        "s5": (0, 0),
    }
    assert all(r["window_complete"] for r in rows.values())
    features = characteristics_expr(table, T, reliability=RELIABILITY, known_at=KNOWN)
    expected = {r["subject"]: r for r in features.to_pyarrow().to_pylist()}
    for subject, row in rows.items():
        for name, value in expected[subject].items():
            assert row[name] == value, (subject, name)
    assert rows["s4"]["hist_worst_dpd_12m"] == 0.0  # the 120-day event at T is not a feature
    con.disconnect()


def test_window_incomplete_when_not_yet_known() -> None:
    con = ibis.duckdb.connect()
    table = con.create_table("events", to_table([bad_event(1, "s1", T - timedelta(days=3))]))
    got = training_set(
        table,
        [T, add_months(T, 1)],
        outcome_months=12,
        reliability=RELIABILITY,
        known_at=add_months(T, 6),
    )
    assert got.column("window_complete").to_pylist() == [False, False]
    assert got.column("as_of").to_pylist() == [T, add_months(T, 1)]
    con.disconnect()


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (datetime(2026, 1, 31), 1, datetime(2026, 2, 28)),
        (datetime(2024, 1, 31), 1, datetime(2024, 2, 29)),
        (datetime(2026, 11, 30), 3, datetime(2027, 2, 28)),
        (datetime(2026, 5, 15), 12, datetime(2027, 5, 15)),
    ],
)
def test_add_months(start: datetime, months: int, end: datetime) -> None:
    assert add_months(start, months) == end
