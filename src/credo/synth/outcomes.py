"""Ground truth tables: monthly outcomes (what a scorecard learns) and one truth row per person."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from credo.synth.cohort import Cohort
from credo.synth.people import NEVER

__all__ = ["OUTCOME_WINDOW_MONTHS", "TRUTH_SCHEMA", "outcome_table", "truth_table"]

OUTCOME_WINDOW_MONTHS = 12
"""A person is bad at month end ``T`` if their first default falls in ``(T, T + 12 months]``."""

TRUTH_SCHEMA = pa.schema(
    [
        pa.field("subject", pa.string(), nullable=False),
        pa.field("creditworthiness", pa.float64()),
        pa.field("is_sybil", pa.bool_(), nullable=False),
        pa.field("sybil_ring", pa.int32()),
        pa.field("first_default_month", pa.date32()),
        pa.field("joined_month", pa.date32(), nullable=False),
        pa.field("thin_file", pa.bool_(), nullable=False),
        pa.field("income_minor", pa.int64()),
    ]
)
"""``truth.parquet``: months are given by their first day; ``creditworthiness`` (the latent
``z``) and ``income_minor`` are null for sybils, who are not people."""


def outcome_table(cohort: Cohort) -> pa.Table:
    """Return one row per (person, month end) of the chunk.

    Columns: ``subject``, ``month_end`` (last day of the month), ``bad`` (int8), ``window_complete``
    (the 12-month window ends inside the generated range) and ``defaulted_before`` (the first
    default is at or before the month end: such rows are not scoreable and trainers drop them).
    """
    months = cohort.months
    person = np.repeat(np.arange(cohort.n), months)
    month = np.tile(np.arange(months), cohort.n)
    first = cohort.default_month[person]
    month_end = cohort.world.calendar.month_end_day[month]
    return pa.table(
        {
            "subject": cohort.national_id.take(pa.array(person)),
            "month_end": pa.array(month_end.astype(np.int32), type=pa.date32()),
            "bad": pa.array(
                ((first > month) & (first <= month + OUTCOME_WINDOW_MONTHS)).astype(np.int8)
            ),
            "window_complete": pa.array(month + OUTCOME_WINDOW_MONTHS <= months - 1),
            "defaulted_before": pa.array(first <= month),
        }
    )


def _month_dates(cohort: Cohort, month: NDArray[np.int64]) -> pa.Array:
    start_day = cohort.world.calendar.start_day
    days = start_day[np.clip(month, 0, cohort.months - 1)].astype(np.int32)
    return pa.array(days, type=pa.date32(), mask=month == NEVER)


def truth_table(cohort: Cohort) -> pa.Table:
    """Return the chunk's rows of ``truth.parquet`` (see :data:`TRUTH_SCHEMA`)."""
    real = cohort.real
    ring = cohort.st.ring
    return pa.table(
        {
            "subject": cohort.national_id,
            "creditworthiness": pa.array(cohort.st.z, mask=~real),
            "is_sybil": pa.array(~real),
            "sybil_ring": pa.array(ring.astype(np.int32), mask=real),
            "first_default_month": _month_dates(cohort, cohort.default_month),
            "joined_month": _month_dates(cohort, cohort.st.join),
            "thin_file": pa.array(cohort.st.thin),
            "income_minor": pa.array(np.round(cohort.income * 100).astype(np.int64), mask=~real),
        },
        schema=TRUTH_SCHEMA,
    )
