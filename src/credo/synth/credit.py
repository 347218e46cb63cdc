"""Credit events: openings, monthly bills, repayments, defaults, card balances, false records.

Repayments are on time (paid up to five days before the due date) or late by a number of days
that grows with ``-z``, frailty and income shocks. The defaulting account shows the classic
path to default: its first missed due date three months before the default, partial payments
reported at 3-10, 30-45 and 60-75 days past due, then the ``default`` event at 90-100 days.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from credo.synth.accounts import CARD, PRODUCTS, QUICK, Accounts
from credo.synth.calendar import US_PER_DAY
from credo.synth.cohort import Cohort, sigmoid
from credo.synth.identity import digits
from credo.synth.records import RecordBuffer, categorical, fen
from credo.synth.risk import DELINQUENT_MONTHS, late_logit

__all__ = ["FALSE_SHARE", "emit_credit", "emit_false_records"]

FALSE_SHARE = 0.15
"""Share of the quickloan's records that are fabricated."""

_REF_PREFIX = ("LN", "CC", "QL")
_HOUR = US_PER_DAY // 24
_RAMP_DPD = np.array([[3, 11], [30, 46], [60, 76]])


def _refs(cohort: Cohort, owner: NDArray[np.int64], lender: int, serial: NDArray[np.int64]) -> Any:
    person = cohort.id_text.take(pa.array(owner))
    return pc.binary_join_element_wise(_REF_PREFIX[lender], person, digits(serial, 3), "")


def _bill_cells(accounts: Accounts) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Return (account row, month) for every bill, account-major."""
    count = np.maximum(accounts.last_bill - accounts.first_bill + 1, 0)
    acc = np.repeat(np.arange(len(accounts)), count)
    start = np.cumsum(count) - count
    month = accounts.first_bill[acc] + np.arange(len(acc)) - np.repeat(start, count)
    return acc.astype(np.int64), month.astype(np.int64)


def _amount_due(
    cohort: Cohort, accounts: Accounts, acc: NDArray[np.int64], month: NDArray[np.int64]
) -> NDArray[np.float64]:
    statement = accounts.principal[acc] * cohort.utilisation[accounts.owner[acc], month]
    return np.where(accounts.lender[acc] == CARD, statement, accounts.instalment[acc])


def _first_missed_day(
    cohort: Cohort, accounts: Accounts, acc: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Due date (days since epoch) of the first missed bill of a defaulting account."""
    start = cohort.default_month[accounts.owner[acc]] - DELINQUENT_MONTHS
    return (
        cohort.world.calendar.start_day[np.clip(start, 0, cohort.months)]
        + accounts.due_day[acc]
        - 1
    )


def _openings(
    buf: RecordBuffer, cohort: Cohort, accounts: Accounts, refs: Any, rng: np.random.Generator
) -> None:
    at = cohort.world.calendar.within(rng, accounts.open)
    amount = fen(accounts.principal)
    if accounts.lender[0] == CARD:
        buf.add(
            "credit_line",
            accounts.owner,
            at,
            account_ref=refs,
            product="card",
            amount_minor=amount,
            currency="CNY",
            status="open",
        )
        return
    buf.add(
        "loan_opened",
        accounts.owner,
        at,
        account_ref=refs,
        product=categorical(PRODUCTS, accounts.product),
        amount_minor=amount,
        currency="CNY",
        term_months=accounts.term,
    )


def _late_days(
    cohort: Cohort,
    owner: NDArray[np.int64],
    month: NDArray[np.int64],
    quick: NDArray[np.bool_],
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Days past due of ordinary payments (0 when on time)."""
    late = rng.random(len(owner)) < sigmoid(late_logit(cohort, owner, month) + 0.8 * quick)
    days = rng.geometric(0.18, size=len(owner))
    serious = rng.random(len(owner)) < sigmoid(-2.5 - 0.8 * cohort.st.z[owner])
    return np.where(late, np.minimum(days + 30 * serious, 89), 0)


def _repayments(
    buf: RecordBuffer, cohort: Cohort, accounts: Accounts, refs: Any, rng: np.random.Generator
) -> None:
    cal = cohort.world.calendar
    acc, month = _bill_cells(accounts)
    owner = accounts.owner[acc]
    due = _amount_due(cohort, accounts, acc, month)
    due_day = cal.start_day[month] + accounts.due_day[acc] - 1
    buf.add(
        "bill",
        owner,
        cal.start_us[month] + (rng.random(len(acc)) * 2 * US_PER_DAY).astype(np.int64),
        account_ref=refs.take(pa.array(acc)),
        amount_minor=fen(due),
        currency="CNY",
        due_date=due_day,
    )
    step = month - (cohort.default_month[owner] - DELINQUENT_MONTHS)
    ramp = accounts.defaulted[acc] & (step >= 0)
    step = np.clip(step, 0, DELINQUENT_MONTHS - 1)
    dpd = _late_days(cohort, owner, month, accounts.lender[acc] == QUICK, rng)
    dpd = np.where(ramp, rng.integers(_RAMP_DPD[step, 0], _RAMP_DPD[step, 1]), dpd)
    due_day = np.where(ramp, _first_missed_day(cohort, accounts, acc), due_day)
    early = (rng.random(len(acc)) * 5 * US_PER_DAY).astype(np.int64)
    at = (
        due_day * US_PER_DAY
        + np.where(dpd > 0, dpd * US_PER_DAY + 8 * _HOUR, -early)
        + (rng.random(len(acc)) * 12 * _HOUR).astype(np.int64)
    )
    full = rng.random(len(acc)) < sigmoid(0.8 + 1.2 * cohort.st.z[owner])
    share = np.where((accounts.lender[acc] == CARD) & ~full, rng.uniform(0.1, 0.6, len(acc)), 1.0)
    share = np.where(ramp, rng.uniform(0.15, 0.35, len(acc)), share)
    buf.add(
        "repayment",
        owner,
        at,
        account_ref=refs.take(pa.array(acc)),
        amount_minor=fen(due * share),
        currency="CNY",
        due_date=due_day,
        days_past_due=dpd,
    )


def _defaults(
    buf: RecordBuffer, cohort: Cohort, accounts: Accounts, refs: Any, rng: np.random.Generator
) -> None:
    cal = cohort.world.calendar
    acc = np.flatnonzero(accounts.defaulted).astype(np.int64)
    owner = accounts.owner[acc]
    month = cohort.default_month[owner]
    missed = _first_missed_day(cohort, accounts, acc)
    at = (missed + rng.integers(90, 101, len(acc))) * US_PER_DAY + (
        rng.random(len(acc)) * 12 * _HOUR
    ).astype(np.int64)
    at = np.clip(at, cal.start_us[month], cal.start_us[month + 1] - 1)
    dpd = np.maximum(at // US_PER_DAY - missed, 90)
    remaining = np.maximum(accounts.term[acc] - (month - accounts.open[acc]), 1)
    loan_left = np.minimum(accounts.instalment[acc] * remaining, accounts.principal[acc] * 1.2)
    card_left = accounts.principal[acc] * cohort.utilisation[owner, month]
    outstanding = np.where(accounts.lender[acc] == CARD, card_left, loan_left)
    buf.add(
        "default",
        owner,
        at,
        account_ref=refs.take(pa.array(acc)),
        amount_minor=fen(outstanding),
        currency="CNY",
        days_past_due=dpd,
    )
    if len(acc) and accounts.lender[0] == CARD:
        closed = at + rng.integers(1, 6, len(acc)) * US_PER_DAY
        buf.add(
            "credit_line",
            owner,
            closed,
            account_ref=refs.take(pa.array(acc)),
            product="card",
            amount_minor=fen(accounts.principal[acc]),
            currency="CNY",
            status="closed",
        )


def _card_balances(
    buf: RecordBuffer, cohort: Cohort, accounts: Accounts, refs: Any, rng: np.random.Generator
) -> None:
    """Month-end credit balances from the opening month to the last bill."""
    cal = cohort.world.calendar
    extended = accounts.with_(first_bill=accounts.open)
    acc, month = _bill_cells(extended)
    owner = accounts.owner[acc]
    debt = accounts.principal[acc] * cohort.utilisation[owner, month]
    debt = np.where(month == accounts.open[acc], 0.5 * debt, debt)
    at = cal.start_us[month + 1] - 1 - (rng.random(len(acc)) * 6 * _HOUR).astype(np.int64)
    buf.add(
        "balance_snapshot",
        owner,
        at,
        account_ref=refs.take(pa.array(acc)),
        kind="credit",
        amount_minor=fen(debt),
        currency="CNY",
    )


def emit_credit(
    buf: RecordBuffer, cohort: Cohort, accounts: Accounts, lender: int, rng: np.random.Generator
) -> None:
    """Add the events of ``lender``'s accounts (one of ``LOAN``, ``CARD``, ``QUICK``) to ``buf``."""
    mine = accounts.take(accounts.lender == lender)
    if len(mine) == 0:
        return
    refs = _refs(cohort, mine.owner, lender, mine.serial)
    _openings(buf, cohort, mine, refs, rng)
    _repayments(buf, cohort, mine, refs, rng)
    _defaults(buf, cohort, mine, refs, rng)
    if lender == CARD:
        _card_balances(buf, cohort, mine, refs, rng)


def emit_false_records(
    buf: RecordBuffer, cohort: Cohort, true_rows: int, rng: np.random.Generator
) -> None:
    """Add fabricated late repayments, defaults and bills attached to random real people.

    They make up :data:`FALSE_SHARE` of the source's records; they are flagged so that the
    generator lists them in ``false_events.parquet``.
    """
    people = np.flatnonzero(cohort.real)
    count = round(true_rows * FALSE_SHARE / (1.0 - FALSE_SHARE))
    if count == 0 or len(people) == 0:
        return
    cal = cohort.world.calendar
    owner = rng.choice(people, size=count).astype(np.int64)
    first = cohort.st.join[owner]
    month = first + (rng.random(count) * (cohort.st.active_end[owner] - first + 1)).astype(np.int64)
    at = cal.within(rng, month)
    kind = rng.choice(3, size=count, p=(0.6, 0.25, 0.15))
    dpd = np.where(kind == 1, rng.integers(90, 181, count), rng.integers(30, 121, count))
    refs = _refs(cohort, owner, QUICK, rng.integers(900, 1000, count))
    amount = fen(np.exp(rng.normal(np.log(2_000.0), 0.6, count)))
    due = at // US_PER_DAY - dpd
    for code, type_name in enumerate(("repayment", "default", "bill")):
        rows = kind == code
        fields: dict[str, Any] = {
            "account_ref": refs.filter(pa.array(rows)),
            "amount_minor": amount[rows],
            "currency": "CNY",
        }
        if type_name != "default":
            fields["due_date"] = (
                due[rows] if type_name == "repayment" else at[rows] // US_PER_DAY + 20
            )
        if type_name != "bill":
            fields["days_past_due"] = dpd[rows]
        buf.add(type_name, owner[rows], at[rows], false=True, **fields)
