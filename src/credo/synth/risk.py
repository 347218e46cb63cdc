"""Ground-truth defaults: a monthly hazard driven by latent creditworthiness and circumstances.

A person can default in month ``t`` only if one of their accounts was already billing in month
``t - 3``: the three months before a default are the delinquency that leads to it (rising days
past due), so the lender must have been billing by then. The hazard is logistic in ``-z`` plus
an unobserved frailty, income shocks, card utilisation and the use of quickloans; the frailty
also drives late payments, so behaviour carries information that ``z`` alone does not.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from credo.synth.accounts import CARD, QUICK, Accounts
from credo.synth.cohort import Cohort, sigmoid
from credo.synth.people import NEVER

__all__ = ["DELINQUENT_MONTHS", "late_logit", "simulate_defaults"]

DELINQUENT_MONTHS = 3
"""Months of rising days past due before a default."""

_BASE = -5.0
_SLOPE_Z = -1.5
_SHOCK = 1.2
_UTILISATION = 1.5
_QUICKLOAN = 0.6
_LENDER_WEIGHT = np.array([1.0, 2.0, 3.0])
"""Relative chance that the defaulting account is a loan, a card or a microloan."""


def _billing(cohort: Cohort, accounts: Accounts) -> NDArray[np.bool_]:
    """(person, month) cells in which at least one account of the person has a bill."""
    counts = np.zeros((cohort.n, cohort.months + 1), np.int64)
    live = accounts.first_bill <= accounts.last_bill
    np.add.at(counts, (accounts.owner[live], accounts.first_bill[live]), 1)
    np.add.at(counts, (accounts.owner[live], accounts.last_bill[live] + 1), -1)
    return np.cumsum(counts, axis=1)[:, : cohort.months] > 0


def hazard(cohort: Cohort, accounts: Accounts) -> NDArray[np.float64]:
    """Monthly default probability per (person, month), before eligibility."""
    st = cohort.st
    has_card = np.zeros(cohort.n, np.bool_)
    has_card[accounts.owner[accounts.lender == CARD]] = True
    has_quick = np.zeros(cohort.n, np.bool_)
    has_quick[accounts.owner[accounts.lender == QUICK]] = True
    logit = (
        _BASE
        + _SLOPE_Z * st.z[:, None]
        + cohort.frailty[:, None]
        + _SHOCK * cohort.shock
        + _UTILISATION * (cohort.utilisation - 0.45) * has_card[:, None]
        + _QUICKLOAN * has_quick[:, None]
    )
    return sigmoid(logit)


def late_logit(
    cohort: Cohort, owner: NDArray[np.int64], month: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Log-odds that a payment of ``owner`` due in ``month`` is late (distress before default)."""
    st = cohort.st
    distress = month >= cohort.default_month[owner] - DELINQUENT_MONTHS + 1
    shock = cohort.shock[owner, np.minimum(month, cohort.months - 1)]
    logit = -3.4 - 1.1 * st.z[owner] + 0.9 * cohort.frailty[owner] + 1.3 * shock + 2.0 * distress
    return np.asarray(logit, dtype=np.float64)


def _first_default(
    cohort: Cohort, accounts: Accounts, rng: np.random.Generator
) -> NDArray[np.int64]:
    billing = _billing(cohort, accounts)
    eligible = np.zeros_like(billing)
    eligible[:, DELINQUENT_MONTHS:] = billing[:, : cohort.months - DELINQUENT_MONTHS]
    eligible &= cohort.real[:, None]
    hit = eligible & (rng.random(billing.shape) < hazard(cohort, accounts))
    return np.where(hit.any(axis=1), hit.argmax(axis=1), NEVER).astype(np.int64)


def simulate_defaults(cohort: Cohort, accounts: Accounts, rng: np.random.Generator) -> Accounts:
    """Draw every person's first default month into ``cohort.default_month``; return the accounts
    with the defaulting one marked and the defaulters' credit cut off after the default.

    The defaulting account is one that billed ``DELINQUENT_MONTHS`` before the default; its bills
    end the month before. A defaulter opens no new credit and, with probability 0.7, every other
    account stops with the default too (the rest keep billing: people do not fail everywhere).
    """
    default_month = _first_default(cohort, accounts, rng)
    cohort.default_month = default_month
    if len(accounts) == 0:
        return accounts
    due = default_month[accounts.owner]
    start = due - DELINQUENT_MONTHS
    candidate = (due != NEVER) & (accounts.first_bill <= start) & (start <= accounts.last_bill)
    key = np.where(candidate, rng.random(len(accounts)) * _LENDER_WEIGHT[accounts.lender], -1.0)
    order = np.lexsort((key, accounts.owner))
    last_of_owner = np.r_[accounts.owner[order][1:] != accounts.owner[order][:-1], True]
    chosen = np.zeros(len(accounts), np.bool_)
    picks = order[last_of_owner]
    chosen[picks[key[picks] >= 0]] = True
    stop_all = rng.random(cohort.n) < 0.7
    last = np.where(chosen, due - 1, accounts.last_bill)
    cut = ~chosen & (due != NEVER) & stop_all[accounts.owner]
    last = np.where(cut, np.minimum(last, due), last)
    keep = accounts.open <= due
    return accounts.with_(last_bill=last, defaulted=chosen).take(keep)
