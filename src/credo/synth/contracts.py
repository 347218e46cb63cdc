"""Contracts and their fulfilment: flat rentals, deposit-free orders, phone contracts.

Whether a contract ends on time, late or broken follows ``z`` and frailty; a fulfilment that
would fall after the generated months is not written (the contract is still running).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from credo.synth.calendar import US_PER_DAY
from credo.synth.cohort import Cohort, sigmoid
from credo.synth.identity import digits
from credo.synth.records import RecordBuffer, categorical, fen

__all__ = ["emit_deposit_free", "emit_phone_contracts", "emit_rentals"]

_OUTCOMES = ("on_time", "late", "broken")
_HOUR = US_PER_DAY // 24


def _refs(cohort: Cohort, prefix: str, owner: NDArray[np.int64], serial: NDArray[np.int64]) -> Any:
    person = cohort.id_text.take(pa.array(owner))
    return pc.binary_join_element_wise(prefix, person, digits(serial, 6), "")


def _fulfil(
    buf: RecordBuffer,
    cohort: Cohort,
    rng: np.random.Generator,
    *,
    owner: NDArray[np.int64],
    start_us: NDArray[np.int64],
    due_day: NDArray[np.int64],
    refs: Any,
) -> None:
    """Add the ``contract_fulfilled`` events of contracts due on ``due_day``."""
    rows = len(owner)
    risk = cohort.st.z[owner] + 0.6 * cohort.frailty[owner]
    u = rng.random(rows)
    broken = u < sigmoid(-4.4 - 1.2 * risk)
    late = ~broken & (u < sigmoid(-4.4 - 1.2 * risk) + sigmoid(-2.4 - 1.0 * risk))
    outcome = np.where(broken, 2, np.where(late, 1, 0))
    days_late = np.where(late, rng.geometric(0.25, rows), 0)
    due_us = due_day * US_PER_DAY
    at = np.where(broken, due_us + 30 * US_PER_DAY, due_us + days_late * US_PER_DAY)
    at = (
        at
        + (rng.random(rows) * 20 * _HOUR).astype(np.int64)
        - np.where(late | broken, 0, 12 * _HOUR)
    )
    at = np.maximum(at, start_us + _HOUR)
    buf.add(
        "contract_fulfilled",
        owner,
        at,
        contract_ref=refs,
        outcome=categorical(_OUTCOMES, outcome),
        days_late=days_late,
    )


def emit_deposit_free(
    buf: RecordBuffer, cohort: Cohort, source: str, rate: float, rng: np.random.Generator
) -> None:
    """Deposit-free orders: ``rate`` per person-month, returned within days (rental) or weeks."""
    owner, month = cohort.month_cells(source)
    count = rng.poisson(rate * np.where(cohort.real[owner], 1.0, 0.2))
    owner, month = np.repeat(owner, count), np.repeat(month, count)
    at = cohort.world.calendar.within(rng, month)
    short = source == "rental"
    due_day = at // US_PER_DAY + rng.integers(1, 8 if short else 31, len(owner))
    value = np.exp(rng.normal(np.log(300.0 if short else 1_200.0), 0.6, len(owner)))
    refs = _refs(cohort, "DF", owner, np.arange(len(owner)))
    buf.add(
        "contract",
        owner,
        at,
        contract_ref=refs,
        kind="deposit_free_order",
        amount_minor=fen(value),
        currency="CNY",
        due_date=due_day,
    )
    _fulfil(buf, cohort, rng, owner=owner, start_us=at, due_day=due_day, refs=refs)


def emit_rentals(buf: RecordBuffer, cohort: Cohort, rng: np.random.Generator) -> None:
    """Yearly flat leases from the month a person joins the rental platform, renewed 70 % of
    the time."""
    cal = cohort.world.calendar
    owner = np.flatnonzero(cohort.member["rental"] & cohort.real).astype(np.int64)
    rent = cohort.income[owner] * rng.uniform(0.2, 0.4, len(owner))
    start = cal.within(rng, cohort.since["rental"][owner])
    renewal = 0
    while len(owner):
        due_day = start // US_PER_DAY + 365
        refs = _refs(cohort, "RT", owner, np.full(len(owner), renewal))
        buf.add(
            "contract",
            owner,
            start,
            contract_ref=refs,
            kind="rental",
            amount_minor=fen(rent * 12.0),
            currency="CNY",
            due_date=due_day,
        )
        _fulfil(buf, cohort, rng, owner=owner, start_us=start, due_day=due_day, refs=refs)
        again = (due_day * US_PER_DAY < cal.end_us) & (rng.random(len(owner)) < 0.7)
        owner, rent = owner[again], rent[again] * 1.03
        start = due_day[again] * US_PER_DAY + (
            rng.random(int(again.sum())) * 3 * US_PER_DAY
        ).astype(np.int64)
        renewal += 1


def emit_phone_contracts(buf: RecordBuffer, cohort: Cohort, rng: np.random.Generator) -> None:
    """A 24-month phone contract from the month a person joins the operator."""
    owner = np.flatnonzero(cohort.member["telecom"]).astype(np.int64)
    start = cohort.world.calendar.within(rng, cohort.since["telecom"][owner])
    due_day = start // US_PER_DAY + 730
    refs = _refs(cohort, "PH", owner, np.zeros(len(owner), np.int64))
    value = 24.0 * rng.choice((59.0, 89.0, 129.0, 199.0), size=len(owner))
    buf.add(
        "contract",
        owner,
        start,
        contract_ref=refs,
        kind="phone",
        amount_minor=fen(value),
        currency="CNY",
        due_date=due_day,
    )
    _fulfil(buf, cohort, rng, owner=owner, start_us=start, due_day=due_day, refs=refs)
