"""The operator page's counts: bands against the month before, and open disputes by age."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from credo.rights.disputes import Dispute
from credo.web.operator_view import BAR_WIDTH, age_buckets, band_rows

from factories import NOW

BANDS = [("poor", "较差"), ("good", "良好"), ("excellent", "极好")]


def test_band_rows_count_each_band_and_na_against_the_month_before() -> None:
    now = {"bands": {"poor": 1, "good": 2, "excellent": 1}, "not_scored": 4}
    before = {"bands": {"poor": 3, "good": 2}, "not_scored": 1}
    rows = band_rows(BANDS, now, before)
    assert [(r.name, r.people, r.change) for r in rows] == [
        ("poor", 1, -2),
        ("good", 2, 0),
        ("excellent", 1, 1),
        ("N/A", 4, 3),
    ]
    assert [r.width for r in rows] == [BAR_WIDTH / 8, BAR_WIDTH / 4, BAR_WIDTH / 8, BAR_WIDTH / 2]
    assert [r.slot for r in rows] == [0, 2, 4, None]
    assert rows[1].name_zh == "良好"


def test_without_a_month_before_there_is_no_change() -> None:
    rows = band_rows(BANDS, {"bands": {}, "na": 0}, None)
    assert [(r.people, r.change, r.width) for r in rows] == [(0, None, 0.0)] * 4


def test_open_disputes_are_counted_by_whole_weeks_of_age() -> None:
    first = Dispute(
        id=1,
        subject="s",
        source="bank",
        event_id="e",
        event_type="default",
        occurred_at=NOW,
        statement="",
        jurisdiction="default",
        opened_at=NOW,
        due_at=NOW + timedelta(days=30),
        status="pending",
    )
    ages = [0, 6.9, 7, 13, 14, 20.5, 21, 29]
    disputes = [replace(first, opened_at=NOW - timedelta(days=d)) for d in ages]
    assert age_buckets(disputes, NOW) == [
        ("under 7 days", 2),
        ("7 to 13 days", 2),
        ("14 to 20 days", 2),
        ("21 days or more", 2),
    ]
