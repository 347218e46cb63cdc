"""Everyday events: purchases and refunds, household bills, deposit balances, verified income."""

from __future__ import annotations

from typing import get_args

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from credo.events.schemas import MerchantCategory
from credo.synth.calendar import US_PER_DAY
from credo.synth.cohort import Cohort, sigmoid
from credo.synth.records import RecordBuffer, categorical, fen
from credo.synth.risk import late_logit

__all__ = ["MERCHANTS", "emit_bill_payments", "emit_deposits", "emit_income", "emit_purchases"]

MERCHANTS: tuple[str, ...] = get_args(MerchantCategory)  # order matches _WEIGHT below
_WEIGHT = np.array([0.30, 0.03, 0.10, 0.04, 0.02, 0.16, 0.02, 0.05, 0.09, 0.06, 0.01, 0.02, 0.10])
# Log-weight slope on z: essentials and education rise with creditworthiness, gambling and
# cash-like spending fall, the rest barely move.
_TILT = np.array([0.15, 0.2, 0.0, 0.15, 0.3, 0.0, 0.2, -0.1, 0.0, -0.1, -0.9, -0.7, 0.0])
_MEDIAN_CNY = np.array([80, 150, 25, 150, 400, 70, 1800, 1500, 300, 120, 300, 800, 100], float)
_RETURNABLE = np.isin(
    np.arange(len(MERCHANTS)), [MERCHANTS.index("electronics"), MERCHANTS.index("fashion")]
)
_HOUR = US_PER_DAY // 24
_INCOME_METHODS = ("payslip", "tax_return", "bank_statement", "employer")
_PLANS_CNY = np.array([39.0, 59.0, 89.0, 129.0, 199.0, 299.0])


def _categories(
    cohort: Cohort, owner: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    """Draw a merchant category per purchase from its buyer's own category mix."""
    taste = cohort.st.z + 0.5 * rng.standard_normal(cohort.n)
    weights = _WEIGHT * np.exp(np.outer(taste, _TILT))
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    cumulative[:, -1] = 1.0
    # Person p's cumulative weights shifted by p form one increasing sequence: one searchsorted
    # draws every purchase without a (purchases x categories) matrix.
    flat = (cumulative + np.arange(cohort.n)[:, None]).ravel()
    picks = np.searchsorted(flat, owner + rng.random(len(owner)), side="right")
    return np.asarray(np.minimum(picks - owner * len(MERCHANTS), len(MERCHANTS) - 1), np.int64)


def emit_purchases(buf: RecordBuffer, cohort: Cohort, rng: np.random.Generator) -> None:
    """Marketplace purchases (Poisson per month) and their refunds and chargebacks."""
    owner, month = cohort.month_cells("ecommerce")
    scale = (cohort.income / 8_500.0) ** 0.3
    rate = np.exp(rng.normal(np.log(4.0), 0.5, cohort.n)) * np.where(cohort.real, scale, 0.08)
    monthly = rate[owner] * np.where(cohort.shock[owner, month], 0.6, 1.0)
    monthly *= np.where(month > cohort.default_month[owner], 0.7, 1.0)
    count = rng.poisson(monthly)
    owner, month = np.repeat(owner, count), np.repeat(month, count)
    at = cohort.world.calendar.within(rng, month)
    category = _categories(cohort, owner, rng)
    amount = _MEDIAN_CNY[category] * (cohort.income[owner] / 8_500.0) ** 0.4
    amount *= np.exp(0.7 * rng.standard_normal(len(owner)))
    buf.add(
        "purchase",
        owner,
        at,
        amount_minor=fen(amount),
        currency="CNY",
        merchant_category=categorical(MERCHANTS, category),
    )
    refunded = rng.random(len(owner)) < np.where(_RETURNABLE[category], 0.07, 0.025)
    chargeback = rng.random(len(owner)) < sigmoid(-2.2 - 0.8 * cohort.st.z[owner])
    share = np.where(rng.random(len(owner)) < 0.7, 1.0, rng.uniform(0.1, 0.9, len(owner)))
    later = at + (rng.uniform(1.0, 25.0, len(owner)) * US_PER_DAY).astype(np.int64)
    rows = np.flatnonzero(refunded)
    buf.add(
        "refund",
        owner[rows],
        later[rows],
        amount_minor=fen(amount[rows] * share[rows]),
        currency="CNY",
        kind=categorical(("refund", "chargeback"), chargeback[rows].astype(np.int64)),
        merchant_category=categorical(MERCHANTS, category[rows]),
    )


def _calendar_month(cohort: Cohort, month: NDArray[np.int64]) -> NDArray[np.int64]:
    first = cohort.world.calendar.first_month.astype(np.int64)
    return (first + month) % 12 + 1


def emit_bill_payments(
    buf: RecordBuffer, cohort: Cohort, source: str, rng: np.random.Generator
) -> None:
    """Monthly utility or telecom bills paid on time or some days late."""
    owner, month = cohort.month_cells(source)
    cal = cohort.world.calendar
    if source == "utility":
        base = (60.0 + 0.012 * cohort.income) * np.exp(0.3 * rng.standard_normal(cohort.n))
        # Heating in January and air conditioning in July double the lowest bills.
        season = 1.0 + 0.3 * np.cos(2 * np.pi * (_calendar_month(cohort, month) - 1) / 6)
        offset = -0.3
    else:
        plan = np.clip(
            np.round(np.log(cohort.income / 2_500.0) * 1.5 + rng.normal(0, 1, cohort.n)), 0, 5
        )
        base = _PLANS_CNY[plan.astype(np.int64)]
        season = np.where(rng.random(len(owner)) < 0.2, 1.15, 1.0).astype(np.float64)
        offset = 0.0
    amount = base[owner] * season * np.exp(0.08 * rng.standard_normal(len(owner)))
    due_day = cal.start_day[month] + rng.integers(10, 26, cohort.n)[owner] - 1
    late = rng.random(len(owner)) < sigmoid(late_logit(cohort, owner, month) + offset)
    days_late = np.where(late, np.minimum(rng.geometric(0.2, len(owner)), 60), 0)
    early = (rng.random(len(owner)) * 7 * US_PER_DAY).astype(np.int64)
    at = due_day * US_PER_DAY + np.where(late, days_late * US_PER_DAY + 9 * _HOUR, -early)
    at += (rng.random(len(owner)) * 12 * _HOUR).astype(np.int64)
    biller = "utility" if source == "utility" else "telecom"
    buf.add(
        "bill_payment",
        owner,
        at,
        amount_minor=fen(amount),
        currency="CNY",
        biller=biller,
        due_date=due_day,
        days_late=days_late,
    )


def emit_deposits(buf: RecordBuffer, cohort: Cohort, rng: np.random.Generator) -> None:
    """Month-end deposit balances: level and volatility follow ``z``; shocks drain them."""
    owner, month = cohort.month_cells("bank")
    cal = cohort.world.calendar
    z = cohort.st.z
    level = cohort.income * np.exp(0.8 * z + 0.6 * rng.standard_normal(cohort.n)) * 1.2
    volatility = 0.15 + 0.35 * sigmoid(-z)
    balance = level[owner] * np.exp(volatility[owner] * rng.standard_normal(len(owner)))
    balance *= np.where(cohort.shock[owner, month], 0.35, 1.0)
    balance *= np.where(month >= cohort.default_month[owner] - 2, 0.3, 1.0)
    overdrawn = rng.random(len(owner)) < sigmoid(-3.5 - z[owner])
    balance = np.where(overdrawn, -rng.uniform(100.0, 3_000.0, len(owner)), balance)
    at = cal.start_us[month + 1] - 1 - (rng.random(len(owner)) * 6 * _HOUR).astype(np.int64)
    refs = pc.binary_join_element_wise("DA", cohort.id_text.take(pa.array(owner)), "001", "")
    buf.add(
        "balance_snapshot",
        owner,
        at,
        account_ref=refs,
        kind="deposit",
        amount_minor=np.round(balance * 100.0).astype(np.int64),
        currency="CNY",
    )


def emit_income(buf: RecordBuffer, cohort: Cohort, rng: np.random.Generator) -> None:
    """Verified income every six months at the bank, unless an income shock is under way."""
    owner, month = cohort.month_cells("bank")
    due = (month - cohort.since["bank"][owner]) % 6 == 0
    keep = due & ~cohort.shock[owner, month] & (rng.random(len(owner)) < 0.8) & cohort.real[owner]
    owner, month = owner[keep], month[keep]
    at = cohort.world.calendar.within(rng, month)
    amount = np.round(cohort.income[owner] * rng.uniform(0.95, 1.05, len(owner)), -1)
    method = rng.choice(len(_INCOME_METHODS), size=len(owner), p=(0.5, 0.1, 0.3, 0.1))
    buf.add(
        "income_verified",
        owner,
        at,
        amount_minor=fen(amount),
        currency="CNY",
        method=categorical(_INCOME_METHODS, method),
    )
