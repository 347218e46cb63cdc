"""Credit accounts of a chunk: bank instalment loans, credit cards and quickloan microloans.

All accounts open inside the generated range (a bureau that starts collecting sees new credit
first); bills fall due monthly from the month after opening.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from credo.synth.cohort import Cohort, sigmoid

__all__ = ["CARD", "LENDERS", "LOAN", "PRODUCTS", "QUICK", "Accounts", "build_accounts"]

LOAN, CARD, QUICK = 0, 1, 2
LENDERS = ("bank", "card_issuer", "quickloan")
"""Source of each lender code."""

PRODUCTS = ("personal", "mortgage", "auto", "student", "business", "card", "microloan")
_TERMS = {0: (12, 24, 36), 1: (240, 360), 2: (36, 60), 3: (24, 48), 4: (12, 36)}
_PRINCIPAL_INCOMES = {0: (1, 8), 1: (60, 200), 2: (4, 12), 3: (2, 6), 4: (3, 15)}


@dataclass(frozen=True, slots=True)
class Accounts:
    """One row per credit account (all arrays aligned); amounts in CNY."""

    owner: NDArray[np.int64]
    lender: NDArray[np.int64]
    serial: NDArray[np.int64]
    product: NDArray[np.int64]
    open: NDArray[np.int64]
    first_bill: NDArray[np.int64]
    last_bill: NDArray[np.int64]
    due_day: NDArray[np.int64]
    principal: NDArray[np.float64]
    instalment: NDArray[np.float64]
    term: NDArray[np.int64]
    defaulted: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.owner)

    def take(self, rows: NDArray[Any]) -> Accounts:
        """Return the accounts selected by a boolean mask or positions."""
        return Accounts(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    def with_(self, **changes: NDArray[Any]) -> Accounts:
        """Return a copy with some columns replaced."""
        return replace(self, **changes)

    @staticmethod
    def concat(parts: list[Accounts]) -> Accounts:
        """Stack accounts."""
        return Accounts(
            **{
                f.name: np.concatenate([getattr(p, f.name) for p in parts])
                for f in fields(Accounts)
            }
        )


def _annuity(
    principal: NDArray[np.float64], rate: NDArray[np.float64], term: NDArray[np.int64]
) -> NDArray[np.float64]:
    monthly = rate / 12.0
    return principal * monthly / (1.0 - (1.0 + monthly) ** (-term.astype(np.float64)))


def _make(owner: NDArray[np.int64], lender: int, months: int, **cols: NDArray[Any]) -> Accounts:
    k = len(owner)
    open_month = cols["open"]
    term = cols.get("term", np.zeros(k, np.int64))
    last = np.where(term > 0, np.minimum(open_month + term, months - 1), months - 1)
    return Accounts(
        owner=owner,
        lender=np.full(k, lender, np.int64),
        serial=cols.get("serial", np.zeros(k, np.int64)),
        product=cols["product"],
        open=open_month,
        first_bill=open_month + 1,
        last_bill=last,
        due_day=cols["due_day"],
        principal=cols["principal"],
        instalment=cols.get("instalment", np.zeros(k)),
        term=term,
        defaulted=np.zeros(k, np.bool_),
    )


def _loans(cohort: Cohort, rng: np.random.Generator) -> Accounts:
    st, months = cohort.st, cohort.months
    n = cohort.n
    chance = sigmoid(-0.7 + 0.6 * st.z + 0.5 * np.log(cohort.income / 8_500.0))
    delay = rng.geometric(0.35, size=n) - 1
    open_month = cohort.since["bank"] + delay
    has = cohort.member["bank"] & ~st.thin & (rng.random(n) < chance) & (open_month < months - 1)
    owner = np.flatnonzero(has).astype(np.int64)
    k = len(owner)
    income = cohort.income[owner]
    product = rng.choice(5, size=k, p=(0.45, 0.15, 0.2, 0.07, 0.13))
    product = np.where((product == 1) & (income < 10_000), 0, product)
    term = np.empty(k, np.int64)
    principal = np.empty(k)
    for code, choices in _TERMS.items():
        rows = product == code
        term[rows] = rng.choice(choices, size=int(rows.sum()))
        lo, hi = _PRINCIPAL_INCOMES[code]
        principal[rows] = income[rows] * rng.uniform(lo, hi, size=int(rows.sum()))
    rate = np.where(product == 1, 0.045, 0.07 + 0.05 * sigmoid(-st.z[owner]))
    return _make(
        owner,
        LOAN,
        months,
        open=open_month[owner],
        product=product,
        term=term,
        principal=principal.round(-2),
        instalment=_annuity(principal.round(-2), rate, term),
        due_day=rng.integers(5, 19, size=k),
    )


def _cards(cohort: Cohort, rng: np.random.Generator) -> Accounts:
    owner = np.flatnonzero(
        cohort.member["card_issuer"] & (cohort.since["card_issuer"] < cohort.months - 1)
    )
    k = len(owner)
    limit = cohort.income[owner] * rng.uniform(1.0, 4.0, size=k) * np.exp(0.3 * cohort.st.z[owner])
    return _make(
        owner.astype(np.int64),
        CARD,
        cohort.months,
        open=cohort.since["card_issuer"][owner],
        product=np.full(k, PRODUCTS.index("card")),
        principal=np.clip(limit.round(-3), 2_000.0, 200_000.0),
        due_day=rng.integers(5, 19, size=k),
    )


def _microloans(cohort: Cohort, rng: np.random.Generator) -> Accounts:
    """Repeated short microloans: a loan of 1-6 months, a gap of 0-3, the next loan."""
    months = cohort.months
    people = np.flatnonzero(cohort.member["quickloan"] & (cohort.since["quickloan"] < months - 1))
    term = rng.choice((1, 2, 3, 3, 6), size=len(people))
    cycle = term + rng.integers(0, 4, size=len(people))
    count = -(-(months - 1 - cohort.since["quickloan"][people]) // cycle)
    owner = np.repeat(people, count).astype(np.int64)
    first = np.cumsum(count) - count
    serial = np.arange(len(owner)) - np.repeat(first, count)
    open_month = cohort.since["quickloan"][owner] + serial * np.repeat(cycle, count)
    loan_term = np.repeat(term, count)
    size = (
        np.exp(rng.normal(np.log(2_000.0), 0.6, size=len(owner)))
        * (cohort.income[owner] / 8_500.0) ** 0.3
    )
    principal = np.clip(size, 300.0, 20_000.0).round(-2)
    return _make(
        owner,
        QUICK,
        months,
        open=open_month,
        serial=serial,
        product=np.full(len(owner), PRODUCTS.index("microloan")),
        term=loan_term,
        principal=principal,
        instalment=principal * (1.0 + 0.03 * loan_term) / loan_term,
        due_day=rng.integers(5, 19, size=len(owner)),
    )


def build_accounts(cohort: Cohort, rng: np.random.Generator) -> Accounts:
    """Open the chunk's credit accounts (before defaults truncate them)."""
    return Accounts.concat([_loans(cohort, rng), _cards(cohort, rng), _microloans(cohort, rng)])
